"""Storing usage records a chunk at a time, for the CDR files and the REST API
(app/services/usage/intake.py parses and checks them): each chunk's new records go into
usage_record in one set-based statement (ON CONFLICT DO NOTHING: a record id is stored
once), its rejects into import_reject, and the batch's counts move in the same commit."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import insert

from app.extensions import db
from app.models.imports import ImportBatch, ImportReject
from app.services.platform.actor import current_username
from app.services.platform.bulk import SqliteTuning
from app.services.platform.errors import DomainError
from app.services.platform.import_frame import REASON_MAX, ImportSummary, storable

KIND = "cdrs"
Progress = Callable[[int], None]
# record_id, service id, usage_type, started_at (microseconds), destination, quantity
Record = tuple[str, int, str, int, str, int]


def new_batch(filename: str, digest: str) -> ImportBatch:
    batch = ImportBatch(kind=KIND, filename=filename, sha256=digest, username=current_username())
    db.session.add(batch)
    db.session.flush()
    return batch


class _Chunk:
    """One chunk's parsed records (first occurrence of each record id) and rejects."""

    def __init__(self):
        self.read = 0
        self.records: list[Record] = []
        self.rejects: list[dict] = []
        self.seen: set[str] = set()


def _chunks(
    items: Iterable[tuple[int, object]],
    parse: Callable[[object], Record],
    raw: Callable[[object], str],
    batch_id: int,
    size: int,
    rejected: Callable[[dict], None] | None,
) -> Iterator[_Chunk]:
    chunk = _Chunk()
    records, seen = chunk.records, chunk.seen
    for line, values in items:
        chunk.read += 1
        try:
            record = parse(values)
        except DomainError as exc:
            reason = exc.message[:REASON_MAX]
            chunk.rejects.append(
                {"batch_id": batch_id, "line": line, "reason": reason, "raw": storable(raw(values))}
            )
            if rejected is not None:
                rejected({"index": line, "reason": reason})
        else:
            if record[0] not in seen:  # else a duplicate within the chunk
                seen.add(record[0])
                records.append(record)
        if chunk.read == size:
            yield chunk
            chunk = _Chunk()
            records, seen = chunk.records, chunk.seen
    yield chunk


def load(
    batch: ImportBatch,
    items: Iterable[tuple[int, object]],
    parse: Callable[[object], Record],
    raw: Callable[[object], str],
    size: int,
    bulk: bool,
    progress: Progress | None = None,
    position: Callable[[], int] | None = None,
    rejected: Callable[[dict], None] | None = None,
) -> ImportSummary:
    """Parse, check and store the records a chunk at a time, one commit per chunk.

    In bulk (a file), a worker thread stores and commits each chunk while this one parses the
    next; the session is never used by both at once."""
    summary = ImportSummary(batch_id=batch.id)
    session = db.session()
    writer = ChunkWriter(session, batch.id, bulk)

    def store(chunk: _Chunk) -> None:
        inserted = writer.apply() if chunk.records else 0
        summary.read += chunk.read
        summary.accepted += inserted
        summary.rejected += len(chunk.rejects)
        summary.duplicates += chunk.read - len(chunk.rejects) - inserted
        if chunk.rejects:
            session.execute(insert(ImportReject), chunk.rejects)
        batch.read, batch.accepted = summary.read, summary.accepted
        batch.rejected, batch.duplicates = summary.rejected, summary.duplicates
        session.commit()

    def stored(future: Future) -> None:
        future.result()
        if progress is not None and position is not None:
            progress(position())

    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="usage-import") as pool:
            pending = None
            for chunk in _chunks(items, parse, raw, batch.id, size, rejected):
                if pending is not None:
                    stored(pending)
                if chunk.records:
                    writer.stage(chunk.records)
                pending = _submit(pool if writer.threaded else None, store, chunk)
            stored(pending)
    except BaseException:
        session.rollback()
        raise
    finally:
        writer.restore()
    return summary


def _submit(pool: ThreadPoolExecutor | None, function, argument) -> Future:
    """Run `function(argument)` in the pool (without a pool: now) and return once it has
    started: a thread woken while this one parses would wait for the GIL until the parsing
    blocks (reading a file gives the GIL up and takes it back at once, so it is never handed
    over)."""
    if pool is None:
        future = Future()
        future.set_result(function(argument))
        return future
    started = threading.Event()

    def run():
        started.set()
        return function(argument)

    # in this thread's context (Flask's application context, who is acting)
    future = pool.submit(contextvars.copy_context().run, run)
    started.wait()
    return future


class ChunkWriter:
    """The set-based insert of a chunk, on both engines: `stage` puts the records into a
    temporary table (PostgreSQL: COPY; SQLite: executemany), `apply` inserts them into
    usage_record in one statement and returns how many were new. Both run in the session's
    transaction, `apply` possibly in another thread (never while the session is in use)."""

    COLUMNS = "record_id, service_id, usage_type, started_at, destination, quantity"
    DEFINITION = (
        "record_id text, service_id integer, usage_type text, started_at bigint, "
        "destination text, quantity bigint"
    )

    def __init__(self, session, batch_id: int, bulk: bool):
        self.session = session
        self.bulk = bulk
        self.tuning = SqliteTuning()
        connection = session.connection()
        self.postgresql = connection.dialect.name == "postgresql"
        # an in-memory SQLite database lives in one connection of one thread
        self.threaded = bulk and connection.engine.url.database not in (None, "", ":memory:")
        self.apply_sql = (
            f"INSERT INTO usage_record ({self.COLUMNS}, batch_id) "
            f"SELECT {self.COLUMNS}, {int(batch_id)} FROM usage_chunk WHERE true "
            "ON CONFLICT (record_id) DO NOTHING"
        )
        self.driver = None

    def stage(self, records: list[Record]) -> None:
        # the session's connection of this transaction (a commit may hand back another)
        self.driver = self.session.connection().connection.driver_connection
        if self.postgresql:
            with self.driver.cursor() as cursor:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE usage_chunk ({self.DEFINITION}) ON COMMIT DROP"
                )
                with cursor.copy(f"COPY usage_chunk ({self.COLUMNS}) FROM STDIN") as copy:
                    write_row = copy.write_row
                    for record in records:
                        write_row(record)
            return
        cursor = self.driver.cursor()
        try:
            if self.bulk:
                self.tuning.apply(self.driver)
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS usage_chunk ({self.DEFINITION})")
            cursor.executemany(
                f"INSERT INTO temp.usage_chunk ({self.COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", records
            )
        finally:
            cursor.close()

    def apply(self) -> int:
        cursor = self.driver.cursor()
        try:
            cursor.execute(self.apply_sql)
            inserted = cursor.rowcount
            cursor.execute(
                "DROP TABLE usage_chunk" if self.postgresql else "DELETE FROM temp.usage_chunk"
            )
            return inserted
        finally:
            cursor.close()

    def restore(self) -> None:
        self.tuning.restore()
