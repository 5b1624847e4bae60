"""The frame every CSV import runs in: header check, one savepoint per row, rejects kept.

A row handler validates one row and writes it, returning ACCEPTED or DUPLICATE, or
raises DomainError with the reason. A rejected row never leaves half its writes behind.
"""

import csv
import hashlib
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models.imports import ImportBatch, ImportReject
from app.services.actor import current_username
from app.services.errors import DomainError, ImportFileError

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
CHUNK = 500
REASON_MAX = 500  # ImportReject.reason


@dataclass
class ImportSummary:
    batch_id: int
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0

    def line(self) -> str:
        return (
            f"read {self.read}, accepted {self.accepted}, "
            f"rejected {self.rejected}, duplicates {self.duplicates}"
        )


def read_text(path: str | Path) -> tuple[str, str]:
    """The file's text and its SHA-256; a clear error when it cannot be read as UTF-8."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImportFileError(
            None, _l("cannot read %(path)s: %(reason)s", path=path, reason=exc.strerror)
        ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            None, _l("%(path)s is not UTF-8 (byte %(byte)s)", path=path, byte=exc.start)
        ) from exc
    return text, hashlib.sha256(data).hexdigest()


def row_of(record, columns: Iterable[str]) -> dict:
    """A record entered on a form, as the text row an import would read, so forms are
    checked by the import's own parsing rules."""
    return {
        column: "" if getattr(record, column, None) is None else str(getattr(record, column))
        for column in columns
    }


def _raw(values: list[str]) -> str:
    """A parsed record written back as one CSV line, as stored with its reject."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue().removesuffix("\n")


def csv_rows(text: str, columns: Iterable[str]) -> Iterator[tuple[int, dict | None, str]]:
    """Records of a headed CSV as (first line number, row, raw record); None for a row with
    more fields than the header. The header must hold `columns`."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, None) or []]
    missing = [name for name in columns if name not in header]
    if not header or missing:
        missing_text = ", ".join(missing or columns)
        raise ImportFileError(
            None, _l("header is missing columns: %(columns)s", columns=missing_text)
        )
    while True:
        line_no = reader.line_num + 1
        values = next(reader, None)
        if values is None:
            return
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(header):
            yield line_no, None, _raw(values)
            continue
        values += [""] * (len(header) - len(values))
        row = {name: value.strip() for name, value in zip(header, values, strict=True)}
        yield line_no, row, _raw(values)


def _database_reason(exc: SQLAlchemyError) -> str:
    detail = str(getattr(exc, "orig", exc)).splitlines()[0]
    return str(_l("the database refused the row: %(detail)s", detail=detail))


def run_import(
    kind: str,
    path: str | Path,
    columns: Iterable[str],
    handle_row: Callable[[dict, int], str],
) -> ImportSummary:
    """Import a file row by row; committed every CHUNK rows, so a large file neither holds the
    database's write lock for long nor loses finished work if it stops (re-running it only
    counts duplicates)."""
    text, digest = read_text(path)
    rows = csv_rows(text, list(columns))
    first = next(rows, None)  # checks the header before anything is written
    batch = ImportBatch(kind=kind, filename=str(path), sha256=digest, username=current_username())
    db.session.add(batch)
    db.session.flush()
    summary = ImportSummary(batch_id=batch.id)
    pending = [] if first is None else [first]
    for line_no, row, raw in itertools.chain(pending, rows):
        summary.read += 1
        reason = None
        try:
            if row is None:
                raise DomainError(None, _l("more fields than the header has columns"))
            with db.session.begin_nested():
                outcome = handle_row(row, line_no)
        except DomainError as exc:
            reason = exc.message
        except SQLAlchemyError as exc:
            reason = _database_reason(exc)
        if reason is not None:
            summary.rejected += 1
            db.session.add(
                ImportReject(batch_id=batch.id, line=line_no, reason=reason[:REASON_MAX], raw=raw)
            )
        elif outcome == DUPLICATE:
            summary.duplicates += 1
        else:
            summary.accepted += 1
        if summary.read % CHUNK == 0:
            _save_counts(batch, summary)
    _save_counts(batch, summary)
    return summary


def _save_counts(batch: ImportBatch, summary: ImportSummary) -> None:
    batch.read, batch.accepted = summary.read, summary.accepted
    batch.rejected, batch.duplicates = summary.rejected, summary.duplicates
    db.session.commit()


def write_rejects(batch_id: int, path: str | Path) -> int:
    """The rejected rows of one import as CSV: line, reason, raw."""
    rejects = db.session.execute(
        db.select(ImportReject.line, ImportReject.reason, ImportReject.raw)
        .where(ImportReject.batch_id == batch_id)
        .order_by(ImportReject.line)
        .execution_options(yield_per=5000)  # a file of a million rejects, in constant memory
    )
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reason", "raw"])
        for row in rejects:
            writer.writerow(row)
            written += 1
    return written
