"""`flask data import statement`: the contract's summary line, rejects, exit codes."""

from tests.services.reconciliation.files import camt_statement, csv_statement


def test_summary_line_and_rejects_on_stderr(app, tmp_path):
    path = csv_statement(tmp_path, "2026-03-10,5.00,EUR,nobody,X,C1", "2026-03-10,x,EUR,?,X,C2")
    runner = app.test_cli_runner()
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(
        args=["data", "import", "statement", str(path), "--rejects", str(rejects)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "read 2, matched 0, unmatched 1, duplicates 0"
    assert "rejected 1" in result.stderr
    assert "3,amount:" in rejects.read_text(encoding="utf-8")


def test_malformed_xml_exits_1(app, tmp_path):
    path = camt_statement(tmp_path, "<Ntry>", name="bad.xml")
    result = app.test_cli_runner().invoke(
        args=["data", "import", "statement", str(path), "--format", "camt053"]
    )
    assert result.exit_code == 1
    assert "not well-formed XML" in result.output
