"""`flask data import cdrs`: summary line, exit codes, rejects file, progress bar."""

import csv
import io

import click
import pytest

from app.extensions import db
from app.models.imports import ImportBatch
from app.models.usage import UsageRecord
from tests.conftest import SAMPLES

HEADER = "record_id,service_id,usage_type,started_at,destination,quantity\n"


@pytest.fixture
def runner(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["data", "import", "customers", str(SAMPLES / "customers.csv")])
    assert result.exit_code == 0, result.output
    return runner


def _cdr_batches(app) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count(ImportBatch.id)).where(ImportBatch.kind == "cdrs")
        )


def test_sample_cdrs_import_and_reimport(runner):
    result = runner.invoke(args=["data", "import", "cdrs", str(SAMPLES / "cdrs.csv")])
    assert result.exit_code == 0, result.output
    assert result.stdout == "read 9, accepted 9, rejected 0, duplicates 0\n"
    again = runner.invoke(args=["data", "import", "cdrs", str(SAMPLES / "cdrs.csv")])
    assert again.stdout == "read 9, accepted 0, rejected 0, duplicates 9\n"


def test_asterisk_format(runner, tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(
        '"","393331234567","393471234567","from-internal","""Anna"" <393331234567>",'
        '"SIP/100-0001","SIP/trunk-0002","Dial","SIP/trunk/393471234567,60",'
        '"2026-02-09 10:00:00","2026-02-09 10:00:05","2026-02-09 10:01:05",65,60,'
        '"ANSWERED","DOCUMENTATION","1770627600.1",""\n',
        encoding="utf-8",
    )
    args = ["data", "import", "cdrs", str(path), "--format", "asterisk"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.stdout == "read 1, accepted 1, rejected 0, duplicates 0\n"


def test_rejects_file_lists_line_reason_and_record(runner, tmp_path):
    path = tmp_path / "cdrs.csv"
    path.write_text(
        HEADER + "r1,393331234567,voice,2026-02-09T09:00:00+01:00,39347,100\n"
        "r2,399999999999,voice,2026-02-09T09:00:00+01:00,39347,100\n"
        "r3,393331234567,voice,2026-02-09T09:00:00+01:00,39347,-1\n",
        encoding="utf-8",
    )
    out = tmp_path / "rejects.csv"
    result = runner.invoke(args=["data", "import", "cdrs", str(path), "--rejects", str(out)])
    assert result.exit_code == 0
    assert result.stdout == "read 3, accepted 1, rejected 2, duplicates 0\n"
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["reason"]) for r in rows] == [
        ("3", "service_id: unknown service '399999999999'"),
        ("4", "quantity: '-1' is not a whole number of 0 or more"),
    ]
    assert rows[0]["raw"] == "r2,399999999999,voice,2026-02-09T09:00:00+01:00,39347,100"


def test_wrong_header_exits_1_and_stores_nothing(app, runner, tmp_path):
    path = tmp_path / "cdrs.csv"
    path.write_text("id,number,type\ne1,393331234567,voice\n", encoding="utf-8")
    result = runner.invoke(args=["data", "import", "cdrs", str(path)])
    assert result.exit_code == 1
    assert "header is missing columns: record_id, service_id, usage_type" in result.output
    assert result.stdout == ""
    assert _cdr_batches(app) == 0


@pytest.mark.parametrize("fmt", ["csv", "asterisk"])
def test_unreadable_file_exits_1_and_stores_nothing(app, runner, tmp_path, fmt):
    missing = ["data", "import", "cdrs", str(tmp_path / "absent.csv"), "--format", fmt]
    result = runner.invoke(args=missing)
    assert result.exit_code == 1
    assert "cannot read" in result.output
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "e1,393331234567,voice,").encode() + "Città".encode("latin-1"))
    result = runner.invoke(args=["data", "import", "cdrs", str(latin1), "--format", fmt])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output
    assert _cdr_batches(app) == 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(UsageRecord.id))) == 0


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_only(runner, monkeypatch):
    terminal = _Terminal()
    original = click.get_text_stream
    monkeypatch.setattr(
        click, "get_text_stream", lambda name: terminal if name == "stderr" else original(name)
    )
    result = runner.invoke(args=["data", "import", "cdrs", str(SAMPLES / "cdrs.csv")])
    assert result.exit_code == 0, result.output
    assert result.stdout == "read 9, accepted 9, rejected 0, duplicates 0\n"
    assert "cdrs.csv" in terminal.getvalue()
    assert "100%" in terminal.getvalue()


def test_no_progress_bar_when_stderr_is_not_a_terminal(runner):
    result = runner.invoke(args=["data", "import", "cdrs", str(SAMPLES / "cdrs.csv")])
    assert result.stderr == ""
