"""`flask data import/export`: summary lines, exit codes, rejects files (docs/formats.md)."""

import csv

from tests.conftest import SAMPLES


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_sample_files_import_with_summary_lines(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["data", "import", "regions", str(SAMPLES / "regions.csv")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "read 1, accepted 0, rejected 0, duplicates 1"
    result = runner.invoke(args=["data", "import", "customers", str(SAMPLES / "customers.csv")])
    assert result.output.strip() == "read 1, accepted 1, rejected 0, duplicates 0"
    again = runner.invoke(args=["data", "import", "customers", str(SAMPLES / "customers.csv")])
    assert again.exit_code == 0
    assert again.output.strip() == "read 1, accepted 0, rejected 0, duplicates 1"


def test_wrong_header_exits_1_naming_missing_columns(app, tmp_path):
    path = _write(tmp_path, "bad.csv", "code,name,country\nXX,Nowhere,IT\n")
    result = app.test_cli_runner().invoke(args=["data", "import", "regions", path])
    assert result.exit_code == 1
    assert "missing columns: timezone, currency, vat_rate, language" in result.output


def test_unreadable_file_exits_1(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["data", "import", "customers", str(tmp_path / "absent.csv")]
    )
    assert result.exit_code == 1
    assert "cannot read" in result.output


def test_not_utf8_exits_1(app, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "code,name,country,timezone,currency,vat_rate,language\nX,Città,IT".encode("latin-1")
    )
    result = app.test_cli_runner().invoke(args=["data", "import", "regions", str(path)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output


def test_rejects_file_lists_line_and_reason(app, tmp_path):
    path = _write(
        tmp_path,
        "regions.csv",
        "code,name,country,timezone,currency,vat_rate,language\n"
        "KR-BS,부산,KR,Asia/Seoul,KRW,10,ko\n"
        "XX-1,Nowhere,ZZ,Europe/Rome,EUR,22,it\n"
        "XX-2,Nowhere,IT,Mars/Olympus,EUR,22,it\n"
        "XX-3,Nowhere,IT,Europe/Rome,EUR,abc,it\n",
    )
    out = tmp_path / "rejects.csv"
    result = app.test_cli_runner().invoke(
        args=["data", "import", "regions", path, "--rejects", str(out)]
    )
    assert result.exit_code == 0
    assert result.output.strip() == "read 4, accepted 1, rejected 3, duplicates 0"
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["line"] for r in rows] == ["3", "4", "5"]
    assert rows[0]["reason"].startswith("country:")
    assert rows[1]["reason"].startswith("timezone:")
    assert rows[2]["reason"].startswith("vat_rate:")
    assert rows[0]["raw"] == "XX-1,Nowhere,ZZ,Europe/Rome,EUR,22,it"


def test_unknown_format_exits_1(app):
    result = app.test_cli_runner().invoke(
        args=["data", "import", "customers", str(SAMPLES / "customers.csv"), "--format", "xml"]
    )
    assert result.exit_code == 1
    assert "unknown format 'xml'" in result.output


def test_services_export(app, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["data", "import", "customers", str(SAMPLES / "customers.csv")])
    out = tmp_path / "services.csv"
    result = runner.invoke(args=["data", "export", "services", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines() == [
        "service_id,account_ref,product_code,status,activated_on,terminated_on",
        "393331234567,AC1,SMART,active,2026-01-20,",
    ]


def test_a_directory_is_an_unreadable_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["data", "import", "regions", str(tmp_path)])
    assert result.exit_code == 1
    assert "cannot read" in result.output


def test_rejects_keep_the_first_line_and_the_whole_record(app, tmp_path):
    path = _write(
        tmp_path,
        "regions.csv",
        "code,name,country,timezone,currency,vat_rate,language\n"
        '"XX-1","Two\nlines",IT,Europe/Rome,EUR,NaN,it\n'
        "XX-2,Sep\u2028arator,IT,Europe/Rome,EUR,22,xx\n"
        "XX-3,Extra,IT,Europe/Rome,EUR,22,it,surplus\n",
    )
    out = tmp_path / "rejects.csv"
    result = app.test_cli_runner().invoke(
        args=["data", "import", "regions", path, "--rejects", str(out)]
    )
    assert result.output.strip() == "read 3, accepted 0, rejected 3, duplicates 0"
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["reason"].split(":")[0]) for r in rows] == [
        ("2", "vat_rate"),
        ("4", "language"),
        ("5", "more fields than the header has columns"),
    ]
    assert rows[0]["raw"] == 'XX-1,"Two\nlines",IT,Europe/Rome,EUR,NaN,it'
    assert rows[1]["raw"] == "XX-2,Sep\u2028arator,IT,Europe/Rome,EUR,22,xx"
