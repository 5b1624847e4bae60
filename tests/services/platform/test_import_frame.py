"""The import frame: a row the database refuses is a reject, and the other rows stay."""

import pytest

from app.extensions import db
from app.models.crm import Region
from app.models.imports import ImportBatch, ImportReject
from app.services.dataio import registry
from app.services.platform import import_frame
from tests.helpers import IMPORT_ROWS, add_catalog


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
    return import_frame.ACCEPTED


def test_a_row_the_database_refuses_is_rejected_and_the_rest_is_kept(ctx, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code\nIT-C\nNEW-1\n", encoding="utf-8")  # IT-C exists already
    summary = import_frame.run_import("codes", path, ["code"], _insert_region)
    assert summary.line() == "read 2, accepted 1, rejected 1, duplicates 0"
    reject = db.session.scalar(db.select(ImportReject))
    assert reject.line == 2 and reject.reason.startswith("the database refused the row:")
    assert db.session.scalar(db.select(Region.code).where(Region.code == "NEW-1")) == "NEW-1"


def test_long_reasons_are_cut_to_fit(ctx, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code\n" + "X" * 2000 + "\n", encoding="utf-8")

    def refuse(row, _line):
        raise import_frame.DomainError("code", f"{row['code']!r} is wrong")

    summary = import_frame.run_import("codes", path, ["code"], refuse)
    assert summary.rejected == 1
    assert len(db.session.scalar(db.select(ImportReject.reason))) == import_frame.REASON_MAX


# Every import kind reads its file through the frame: a record it cannot read is a reject
# with its reason, the others are imported, and the summary counts both.


def _import_kind(tmp_path, kind, lines):
    header, _row = IMPORT_ROWS[kind]
    path = tmp_path / f"{kind}.csv"
    path.write_text(header + "\n" + "".join(line + "\n" for line in lines), encoding="utf-8")
    return registry.run(kind, path)


def _rejects(summary) -> dict[int, tuple[str, str]]:
    rows = db.session.execute(
        db.select(ImportReject.line, ImportReject.reason, ImportReject.raw).where(
            ImportReject.batch_id == summary.batch_id
        )
    )
    return {line: (reason, raw) for line, reason, raw in rows}


def _batch_counts(summary):
    db.session.expire_all()
    batch = db.session.get(ImportBatch, summary.batch_id)
    return batch.read, batch.accepted, batch.rejected, batch.duplicates


@pytest.fixture
def catalog_ready(ctx, tmp_path):
    add_catalog(tmp_path)


@pytest.mark.parametrize("kind", sorted(IMPORT_ROWS))
def test_a_field_over_the_csv_limit_is_a_reject_and_the_rest_is_imported(
    catalog_ready, tmp_path, kind
):
    _header, row = IMPORT_ROWS[kind]
    huge = row(2).replace("Italy", "I" * 200_000).replace(",Region 2,", ",R" + "x" * 200_000 + ",")
    huge = huge.replace(",Product 2,", ",P" + "x" * 200_000 + ",")
    huge = huge.replace(",Name 2,", ",N" + "x" * 200_000 + ",")
    summary = _import_kind(tmp_path, kind, [row(1), huge, row(3)])
    assert summary.line() == "read 3, accepted 2, rejected 1, duplicates 0"
    assert _batch_counts(summary) == (3, 2, 1, 0)
    (line, (reason, raw)), *others = _rejects(summary).items()
    assert not others
    assert line == 3 and reason.startswith("malformed row: field larger than field limit")
    assert len(raw) <= import_frame.RAW_MAX


@pytest.mark.parametrize("kind", sorted(IMPORT_ROWS))
def test_a_line_of_30_mb_is_a_reject_read_in_pieces(catalog_ready, tmp_path, kind):
    _header, row = IMPORT_ROWS[kind]
    summary = _import_kind(tmp_path, kind, [row(1), "," * 30_000_000, row(3)])
    assert summary.line() == "read 3, accepted 2, rejected 1, duplicates 0"
    reason, raw = _rejects(summary)[3]
    assert reason == f"line longer than {import_frame.MAX_LINE} characters"
    assert len(raw) <= import_frame.RAW_MAX


@pytest.mark.parametrize("kind", sorted(IMPORT_ROWS))
def test_a_nul_byte_is_a_reject_stored_without_it(catalog_ready, tmp_path, kind):
    _header, row = IMPORT_ROWS[kind]
    bad = row(2).replace("EUR", "E\x00UR")
    summary = _import_kind(tmp_path, kind, [row(1), bad, row(3)])
    assert summary.line() == "read 3, accepted 2, rejected 1, duplicates 0"
    assert _rejects(summary) == {
        3: ("currency: the NUL character is not allowed", bad.replace("\x00", "\ufffd"))
    }


def test_a_crash_commits_no_part_of_the_open_chunk(ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(import_frame, "CHUNK", 2)
    path = tmp_path / "codes.csv"
    path.write_text("code\nN-1\nN-2\nN-3\nBOOM\n", encoding="utf-8")

    def insert_or_crash(row, line):
        _insert_region(row, line)
        if row["code"] == "BOOM":
            raise RuntimeError("the server went away")
        return import_frame.ACCEPTED

    with pytest.raises(RuntimeError):
        import_frame.run_import("codes", path, ["code"], insert_or_crash)
    db.session.remove()
    codes = set(db.session.scalars(db.select(Region.code).where(Region.code.like("N-%"))))
    assert codes == {"N-1", "N-2"}
    batch = db.session.scalar(db.select(ImportBatch).where(ImportBatch.kind == "codes"))
    assert (batch.read, batch.accepted) == (2, 2)
    assert db.session.scalar(db.select(Region.code).where(Region.code == "BOOM")) is None
