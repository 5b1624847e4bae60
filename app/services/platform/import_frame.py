"""The frame every CSV import runs in: header check, one savepoint per row, rejects kept.

A row handler validates one row and writes it, returning ACCEPTED or DUPLICATE, or
raises DomainError with the reason. A rejected row never leaves half its writes behind.
"""

import codecs
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
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, ImportFileError

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
CHUNK = 500
REASON_MAX = 500  # ImportReject.reason
RAW_MAX = 10_000  # characters of a rejected record kept with its reject
MAX_LINE = 1 << 20  # characters: no row of these files comes near; a longer line is a reject
READ_BLOCK = 1 << 20


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


def scan_file(path: str | Path) -> tuple[str, int]:
    """The file's SHA-256 and size, after checking the whole file is readable UTF-8, in
    constant memory: a file that turns out unreadable half-way stores nothing."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    try:
        with open(path, "rb") as handle:
            while block := handle.read(READ_BLOCK):
                digest.update(block)
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:  # exc.object: undecoded bytes, then block
                    byte = size + len(block) - len(exc.object) + exc.start
                    raise not_utf8(path, byte) from exc
                size += len(block)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise not_utf8(path, size - len(exc.object) + exc.start) from exc
    except OSError as exc:
        raise cannot_read(path, exc) from exc
    return digest.hexdigest(), size


def not_utf8(path, byte: int) -> ImportFileError:
    return ImportFileError(None, _l("%(path)s is not UTF-8 (byte %(byte)s)", path=path, byte=byte))


def cannot_read(path, exc: OSError) -> ImportFileError:
    reason = exc.strerror or str(exc)
    return ImportFileError(None, _l("cannot read %(path)s: %(reason)s", path=path, reason=reason))


def storable(raw: str) -> str:
    """A rejected record's text as a reject keeps it: PostgreSQL text cannot hold NUL, and
    a record of megabytes is kept as its first RAW_MAX characters."""
    if len(raw) > RAW_MAX:
        raw = raw[: RAW_MAX - 1] + "…"
    return raw.replace("\x00", "\ufffd")


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
    return storable(out.getvalue().removesuffix("\n"))


class _LineTooLong(Exception):
    def __init__(self, line: int, start: str):
        super().__init__(line)
        self.line, self.start = line, start


class _Lines:
    """The file's lines for csv.reader, each read at most MAX_LINE characters at a time: a
    longer line is skipped to its end without being held whole, and raises _LineTooLong
    through the reader (which reads on after it)."""

    def __init__(self, handle):
        self.handle = handle
        self.count = 0  # lines read
        self.last = ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        text = self.handle.readline(MAX_LINE + 1)
        if not text:
            raise StopIteration
        self.count += 1
        if len(text) > MAX_LINE and text[-1] not in "\r\n":
            rest = text
            while rest and rest[-1] not in "\r\n":
                rest = self.handle.readline(MAX_LINE)
            raise _LineTooLong(self.count, text)
        self.last = text
        return text


def _nul_column(header: list[str], values: list[str]) -> str | None:
    for name, value in zip(header, values, strict=False):
        if "\x00" in value:
            return name
    return None


def csv_rows(
    path: str | Path, columns: Iterable[str]
) -> Iterator[tuple[int, dict | DomainError, str]]:
    """Records of a headed CSV file as (first line number, row, raw record), read a line
    at a time; a record that cannot be a row comes as the DomainError saying why (more
    fields than the header, a field or a line too long, a NUL character). The header must
    hold `columns`."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield from _records(handle, list(columns))
    except OSError as exc:
        raise cannot_read(path, exc) from exc
    except UnicodeDecodeError as exc:  # the file changed since it was scanned
        raise not_utf8(path, exc.start) from exc


def _records(handle, columns: list[str]) -> Iterator[tuple[int, dict | DomainError, str]]:
    lines = _Lines(handle)
    reader = csv.reader(lines)
    try:
        header = [name.strip() for name in next(reader, None) or []]
    except (csv.Error, _LineTooLong):
        header = []
    missing = [name for name in columns if name not in header]
    if not header or missing:
        missing_text = ", ".join(missing or columns)
        raise ImportFileError(
            None, _l("header is missing columns: %(columns)s", columns=missing_text)
        )
    while True:
        line_no = lines.count + 1
        try:
            values = next(reader, None)
        except _LineTooLong as exc:
            problem = DomainError(None, _l("line longer than %(limit)s characters", limit=MAX_LINE))
            yield exc.line, problem, storable(exc.start)
            continue
        except csv.Error as exc:
            problem = DomainError(None, _l("malformed row: %(detail)s", detail=str(exc)))
            yield line_no, problem, storable(lines.last.rstrip("\r\n"))
            continue
        if values is None:
            return
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(header):
            yield (
                line_no,
                DomainError(None, _l("more fields than the header has columns")),
                _raw(values),
            )
            continue
        nul = _nul_column(header, values)
        if nul is not None:
            yield line_no, DomainError(nul, _l("the NUL character is not allowed")), _raw(values)
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
    counts duplicates). A crash rolls back the rows since the last commit, whose counts
    are the batch's."""
    digest, _size = scan_file(path)
    rows = csv_rows(path, columns)
    first = next(rows, None)  # checks the header before anything is written
    batch = ImportBatch(kind=kind, filename=str(path), sha256=digest, username=current_username())
    db.session.add(batch)
    db.session.flush()
    summary = ImportSummary(batch_id=batch.id)
    pending = [] if first is None else [first]
    try:
        for line_no, row, raw in itertools.chain(pending, rows):
            summary.read += 1
            reason = None
            try:
                if isinstance(row, DomainError):
                    raise row
                _open_transaction()
                with db.session.begin_nested():
                    outcome = handle_row(row, line_no)
            except DomainError as exc:
                reason = exc.message
            except (SQLAlchemyError, OverflowError) as exc:  # SQLite: a number beyond 64 bits
                reason = _database_reason(exc)
            if reason is not None:
                summary.rejected += 1
                db.session.add(
                    ImportReject(
                        batch_id=batch.id, line=line_no, reason=reason[:REASON_MAX], raw=raw
                    )
                )
            elif outcome == DUPLICATE:
                summary.duplicates += 1
            else:
                summary.accepted += 1
            if summary.read % CHUNK == 0:
                _save_counts(batch, summary)
        _save_counts(batch, summary)
    except BaseException:
        db.session.rollback()
        raise
    finally:
        rows.close()
    return summary


def _open_transaction() -> None:
    """pysqlite (legacy transaction control) opens a transaction only before a write, so a
    SAVEPOINT issued first opens one of its own that its RELEASE commits: every row after a
    chunk's commit would be committed at once, and a crash would keep them."""
    driver = db.session.connection().connection.driver_connection
    if type(driver).__module__ == "sqlite3" and not driver.in_transaction:
        driver.execute("BEGIN")


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
