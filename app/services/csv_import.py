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

from app.extensions import db
from app.models.imports import ImportBatch, ImportReject
from app.services.actor import current_username
from app.services.errors import DomainError, ImportFileError

ACCEPTED = "accepted"
DUPLICATE = "duplicate"


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


def csv_rows(text: str, columns: Iterable[str]) -> Iterator[tuple[int, dict, str]]:
    """Rows of a headed CSV as (line number, row, raw line); the header must hold `columns`."""
    lines = text.splitlines()
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in columns if name not in header]
    if not header or missing:
        raise ImportFileError(
            None,
            _l("header is missing columns: %(columns)s", columns=", ".join(missing or columns)),
        )
    reader.fieldnames = header
    for row in reader:
        line_no = reader.line_num
        if not any((value or "").strip() for value in row.values()):
            continue
        raw = lines[line_no - 1] if line_no <= len(lines) else ""
        if None in row:
            yield line_no, None, raw
            continue
        yield line_no, {key: (value or "").strip() for key, value in row.items()}, raw


def run_import(
    kind: str,
    path: str | Path,
    columns: Iterable[str],
    handle_row: Callable[[dict], str],
) -> ImportSummary:
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
        try:
            if row is None:
                raise DomainError(None, _l("more fields than the header has columns"))
            with db.session.begin_nested():
                outcome = handle_row(row)
        except DomainError as exc:
            summary.rejected += 1
            db.session.add(
                ImportReject(batch_id=batch.id, line=line_no, reason=exc.message, raw=raw)
            )
            continue
        if outcome == DUPLICATE:
            summary.duplicates += 1
        else:
            summary.accepted += 1
    batch.read, batch.accepted = summary.read, summary.accepted
    batch.rejected, batch.duplicates = summary.rejected, summary.duplicates
    db.session.commit()
    return summary


def write_rejects(batch_id: int, path: str | Path) -> int:
    """The rejected rows of one import as CSV: line, reason, raw."""
    rejects = db.session.scalars(
        db.select(ImportReject).where(ImportReject.batch_id == batch_id).order_by(ImportReject.line)
    ).all()
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reason", "raw"])
        for reject in rejects:
            writer.writerow([reject.line, reject.reason, reject.raw])
    return len(rejects)
