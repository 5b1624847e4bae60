"""`flask debit collect` and `flask debit returns`: the run's file written where asked, a
second run collecting nothing, a status report applied once."""

from app.extensions import db
from app.models.direct_debit import CollectionRun
from tests.services.direct_debit.debited import debited_account
from tests.services.direct_debit.test_returns import pain_002


def test_collect_then_return_from_the_command_line(app, ctx, tmp_path):
    debited_account(tmp_path, "CLI1")
    runner = app.test_cli_runner()
    out = tmp_path / "debits.xml"
    result = runner.invoke(args=["debit", "collect", "--date", "2026-04-01", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"files 1, debits 1, total EUR 70.76\nwritten: {out}\n"
    run = db.session.scalars(db.select(CollectionRun)).one()
    assert out.read_bytes() == run.file
    result = runner.invoke(args=["debit", "collect", "--date", "2026-04-01"])
    assert result.output == "files 0, debits 0, total EUR 0.00\n"
    report = tmp_path / "status.xml"
    report.write_bytes(pain_002(run.message_id, (run.items[0].end_to_end_id, "AM04")))
    result = runner.invoke(args=["debit", "returns", str(report)])
    assert (result.exit_code, result.output) == (0, "returned 1, duplicates 0, rejected 0\n")
    result = runner.invoke(args=["debit", "returns", str(report)])
    assert result.output == "returned 0, duplicates 1, rejected 0\n"


def test_bad_input_on_the_command_line(app, ctx, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["debit", "collect", "--date", "1 April"])
    assert (result.exit_code, result.output) == (
        1,
        "error: --date: '1 April' is not a date YYYY-MM-DD\n",
    )
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<Document/>")
    result = runner.invoke(args=["debit", "returns", str(bad)])
    assert (result.exit_code, result.output) == (
        1,
        "error: file: not a pain.002 payment status report\n",
    )
