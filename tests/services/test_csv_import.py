"""The import frame: a row the database refuses is a reject, and the other rows stay."""

from app.extensions import db
from app.models.crm import Region
from app.models.imports import ImportReject
from app.services import csv_import


def _insert_region(row, _line):
    # no checks on purpose: the unique code is left to the database
    db.session.add(
        Region(
            code=row["code"],
            name="N",
            country="IT",
            timezone="Europe/Rome",
            currency="EUR",
            vat_rate=22,
            language="it",
        )
    )
    db.session.flush()
    return csv_import.ACCEPTED


def test_a_row_the_database_refuses_is_rejected_and_the_rest_is_kept(ctx, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code\nIT-C\nNEW-1\n", encoding="utf-8")  # IT-C exists already
    summary = csv_import.run_import("codes", path, ["code"], _insert_region)
    assert summary.line() == "read 2, accepted 1, rejected 1, duplicates 0"
    reject = db.session.scalar(db.select(ImportReject))
    assert reject.line == 2 and reject.reason.startswith("the database refused the row:")
    assert db.session.scalar(db.select(Region.code).where(Region.code == "NEW-1")) == "NEW-1"


def test_long_reasons_are_cut_to_fit(ctx, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code\n" + "X" * 2000 + "\n", encoding="utf-8")

    def refuse(row, _line):
        raise csv_import.DomainError("code", f"{row['code']!r} is wrong")

    summary = csv_import.run_import("codes", path, ["code"], refuse)
    assert summary.rejected == 1
    assert len(db.session.scalar(db.select(ImportReject.reason))) == csv_import.REASON_MAX
