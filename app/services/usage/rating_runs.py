"""Rating: pending usage records become charges (docs/rating.md), set-based in SQL.

A run compiles the rate plans whose rates changed (deck.py), finds the accounts with
pending records (never rated, or `unrated` before) and cuts them into chunks of about
CHUNK_RECORDS records; each chunk is rated and committed on its own
(rating_chunk.py). Chunks are worked out in parallel on `RATING_WORKERS` connections,
each with its own temporary tables; on SQLite, which has one writer, the workers take turns
to write. Runs take turns too.
"""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.types import utcnow
from app.services.crm.lines import holder as service_holding
from app.services.platform import bulk, locks, periods
from app.services.platform.errors import DomainError
from app.services.usage import deck
from app.services.usage.pricing import DAY
from app.services.usage.rating_chunk import (
    PENDING,
    Context,
    RatingSummary,
    Scope,
    bulk_plans,
    calendar,
    drop,
    drop_cycles,
    rate_chunk,
)

# records per chunk: PostgreSQL gains from bigger ones (fewer hash tables of the deck to
# build); SQLite from smaller ones (its workers take turns to write)
CHUNK_RECORDS = {"postgresql": 500_000, "sqlite": 100_000}


ANALYZE_AFTER = 100_000  # records rated in a run: statistics refreshed for the next


RUN_LOCK = "rating"


RUN_LOCK_BEAT = 15.0  # seconds


RUN_LOCK_POLL = 1.0  # seconds


@contextmanager
def one_at_a_time():
    """Rating runs (the scheduler's, `flask usage rate`, a re-rating) and rate imports take
    turns: two runs at once would rate the same records, and a deck compiled under a run
    would change its tariffs half-way. A live run beats every RUN_LOCK_BEAT seconds and
    after each chunk; the lock of a run whose process was killed is taken over at once on
    its host, and by any host after RUN_LOCK_STALE seconds without a beat. Yields the
    holder's name."""
    holder = locks.holder_name(uuid.uuid4().hex[:8])
    stale = timedelta(seconds=current_app.config["RUN_LOCK_STALE"])
    db.session.commit()
    while not locks.acquire(RUN_LOCK, holder, stale):
        time.sleep(RUN_LOCK_POLL)
    try:
        with locks.beating(RUN_LOCK, holder, RUN_LOCK_BEAT):
            yield holder
    finally:
        db.session.rollback()
        locks.release(RUN_LOCK, holder)


def rate_pending(service_ids=None, now: datetime | None = None) -> RatingSummary:
    """Rate every pending record (of `service_ids` only, when given); a scheduler job and
    `flask usage rate`. Each chunk of accounts commits on its own."""
    with one_at_a_time() as holder:
        return rate_pending_held(holder, service_ids, now)


def rate_pending_held(holder: str, service_ids=None, now: datetime | None = None) -> RatingSummary:
    """`rate_pending` for a job that already holds the run lock (a bill run)."""
    now = now or utcnow()
    db.session.commit()
    scope = Scope(service_ids=list(service_ids) if service_ids is not None else None)
    accounts, first_day, last_day = _pending_accounts(scope)
    if not accounts:
        return RatingSummary()
    context = _context(scope, now, first_day, last_day)
    db.session.commit()
    postgresql = bulk.is_postgresql()
    chunks = _chunks(accounts, CHUNK_RECORDS["postgresql" if postgresql else "sqlite"])
    workers = min(current_app.config.get("RATING_WORKERS", 2), len(chunks))
    # SQLite has one writer: the workers work out their chunks side by side (in their own
    # temporary tables) and take turns to write them
    turns = nullcontext if postgresql else threading.Lock
    engine, queue, summary = db.engine, list(reversed(chunks)), RatingSummary()

    def work() -> RatingSummary:
        done = RatingSummary()
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            raw = bulk.Raw(driver, postgresql)
            tuning = bulk.SqliteTuning()
            tuning.apply(driver)
            if postgresql:
                bulk_plans(raw, on=True)

            @contextmanager
            def writing():
                """A chunk's write, committed with the run's heartbeat: a run that lost its
                lock (taken over as stale) writes nothing more. The next chunk is worked out
                while another worker writes."""
                with turn:
                    try:
                        yield
                        alive = raw.execute(
                            "UPDATE process_lock SET heartbeat_at = ? "
                            "WHERE name = ? AND holder = ?",
                            (bulk.sql_timestamp(utcnow(), postgresql), RUN_LOCK, holder),
                        )
                        if not alive:
                            raise RuntimeError("the rating run lost its lock")
                        driver.commit()
                    except BaseException:
                        driver.rollback()
                        raise

            try:
                calendar(raw, context, *context.days)
                driver.commit()
                while queue:
                    first, last = queue.pop()
                    try:
                        chunk = Scope((first, last), scope.service_ids)
                        done.add(rate_chunk(raw, context, chunk, writing))
                    except BaseException:
                        driver.rollback()
                        raise
            finally:
                if not raw.usable():
                    driver.rollback()
                drop(raw, ("rt_zone", "rt_cycle"))
                driver.commit()
                tuning.restore()
                if postgresql:
                    bulk_plans(raw, on=False)
                    driver.commit()
        return done

    turn = turns()
    if workers == 1:
        summary.add(work())
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rating") as pool:
            for result in [pool.submit(work) for _ in range(workers)]:
                summary.add(result.result())
    if summary.rated + summary.unrated >= ANALYZE_AFTER:
        bulk.analyze("usage_charge", "allowance_usage", "ledger_entry")
    return summary


def rate_records(usage_ids: list[int], now: datetime | None = None) -> RatingSummary:
    """Rate these records now, if pending, in the caller's transaction (online charging,
    which holds the account's lock)."""
    scope = Scope(usage_ids=list(usage_ids))
    accounts, first_day, last_day = _pending_accounts(scope)
    if not accounts:
        return RatingSummary()
    raw = bulk.Raw.of_session()
    context = _context(scope, now or utcnow(), first_day, last_day, stale=False)
    calendar(raw, context, first_day, last_day)
    try:
        return rate_chunk(raw, context, scope, nullcontext)
    finally:
        if raw.usable():
            drop(raw, ("rt_zone", "rt_cycle"))


def _pending_accounts(scope: Scope) -> tuple[list[tuple[int, int]], int, int]:
    """(account, pending records) in account order, and the first and last UTC day."""
    rows = bulk.fetch(
        "SELECT s.account_id, SUM(p.records), MIN(p.first), MAX(p.last) FROM ("
        "SELECT u.service_id, COUNT(*) AS records, MIN(u.started_at) AS first, "
        "MAX(u.started_at) AS last FROM usage_record u "
        f"LEFT JOIN usage_charge ch ON ch.usage_id = u.id WHERE {PENDING} "
        f"AND {scope.record_filter()} GROUP BY u.service_id) p "
        "JOIN service s ON s.id = p.service_id JOIN billing_account a ON a.id = s.account_id "
        f"WHERE {scope.line_filter()} GROUP BY s.account_id ORDER BY s.account_id"
    )
    if not rows:
        return [], 0, 0
    first = min(int(row[2]) for row in rows) // DAY
    last = max(int(row[3]) for row in rows) // DAY
    return [(int(row[0]), int(row[1])) for row in rows], first, last


def _chunks(accounts: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Ranges of accounts holding about `size` pending records each."""
    chunks, first, records = [], None, 0
    for account, count in accounts:
        first = account if first is None else first
        records += count
        if records >= size:
            chunks.append((first, account))
            first, records = None, 0
    if first is not None:
        chunks.append((first, accounts[-1][0]))
    return chunks


def _context(
    scope: Scope, now: datetime, first_day: int, last_day: int, stale: bool = True
) -> Context:
    """Compile the plans in scope if their rates changed, and work out the calendar of the
    days the records fall on."""
    plans = [
        row[0]
        for row in bulk.fetch(
            "SELECT DISTINCT p.rate_plan_id FROM service s "
            "JOIN billing_account a ON a.id = s.account_id "
            "JOIN product p ON p.code = s.product_code "
            f"WHERE p.rate_plan_id IS NOT NULL AND {scope.line_filter()}"
        )
    ]
    deck.ensure(plans, stale)
    groups, lengths = deck.shape(plans)
    return Context(
        rated_at=bulk.sql_timestamp(now),
        groups=groups,
        lengths=lengths,
        zones=[row[0] for row in bulk.fetch("SELECT DISTINCT timezone FROM region")],
        bill_days=[row[0] for row in bulk.fetch("SELECT DISTINCT bill_day FROM billing_account")],
        days=(first_day, last_day),
    )


def rerate(
    service_ids=None, start: date | None = None, end: date | None = None, now=None
) -> RatingSummary:
    """Rate again, after a rate change, the usage of the given services (all when None) in
    the allowance cycles that overlap [start, end) (all cycles when open): their charges are
    dropped and the records rated afresh, whole cycles at a time so allowances are covered
    in `started_at` order again; nothing is charged twice. Prepaid charges stay: their money
    has moved (a correction is an adjustment); so do cycles an issued invoice carries."""
    with one_at_a_time() as holder:
        cycles = _postpaid_cycles(service_ids, start, end)
        invoiced = _invoiced_cycles(service_ids)
        kept = [cycle for cycle in cycles if cycle in invoiced]
        cycles = [cycle for cycle in cycles if cycle not in invoiced]
        summary = RatingSummary(invoiced=len(kept))
        if cycles:
            drop_cycles(bulk.Raw.of_session(), [(sid, bulk.sql_date(c)) for sid, c in cycles])
            db.session.commit()
            summary.add(rate_pending_held(holder, sorted({sid for sid, _cycle in cycles}), now))
        return summary


def _invoiced_cycles(service_ids) -> set[tuple[int, date]]:
    """(service, cycle start) that an issued invoice carries."""
    query = "SELECT DISTINCT service_id, cycle_start FROM usage_charge WHERE invoice_id IS NOT NULL"
    if service_ids is not None:
        query += f" AND service_id IN ({bulk.id_list(service_ids)})"
    return {(sid, date.fromisoformat(str(cycle))) for sid, cycle in bulk.fetch(query)}


def _postpaid_cycles(service_ids, start: date | None, end: date | None) -> list[tuple]:
    """(service, cycle start) of the rated postpaid usage in cycles overlapping
    [start, end)."""
    query = (
        "SELECT DISTINCT c.service_id, c.cycle_start FROM usage_charge c "
        "JOIN service s ON s.id = c.service_id "
        "JOIN billing_account a ON a.id = s.account_id WHERE a.payment_mode = 'postpaid'"
    )
    params: tuple = ()
    if service_ids is not None:
        query += (
            " AND c.usage_id IN (SELECT id FROM usage_record "
            f"WHERE service_id IN ({bulk.id_list(service_ids)}))"
        )
    if end is not None:
        query += " AND c.cycle_start < ?"
        params = (bulk.sql_date(end),)
    cycles = [(sid, date.fromisoformat(str(cycle))) for sid, cycle in bulk.fetch(query, params)]
    if start is not None:
        cycles = [(sid, cycle) for sid, cycle in cycles if periods.cycle_end(cycle) > start]
    return cycles


def service_ids_of(numbers) -> list[int]:
    """The services holding these numbers (their current or last line)."""
    found = []
    for number in numbers:
        service = service_holding(number)
        if service is None:
            raise DomainError("service", _l("unknown service %(ref)s", ref=repr(number)))
        found.append(service.id)
    return found
