"""One chunk of a rating run (services/usage/rating_runs.py), set-based in SQL.

A chunk is the pending records of a range of billing accounts, so an account's services and
its prepaid balance are always in one chunk. It is a handful of statements over temporary
tables, written in one transaction:

1. `rt_input`: the records with their line (account, rate plan, allowances, bill day), the
   start on the region's clock (`rt_zone`: each day's UTC offset, and the instant it
   changes on a daylight-saving day), the band, the allowance cycle (`rt_cycle`, from
   periods.py) and the tariff found by longest prefix in the compiled deck (deck.py).
2. A record that draws on an allowance later records of its postpaid cycle drew on first
   sends that cycle back to pending, so allowances are covered in `started_at` order.
3. `rt_charged`: billed units per group, allowances covered as a running sum in
   `started_at` order on top of what earlier runs covered (`allowance_usage`), and the
   charge (pricing.py), or the reason the record cannot be rated.
4. Prepaid accounts, locked, are debited as a running sum in `started_at` order, never
   below zero: one ledger entry per debited record, the rest kept as unrecovered.
5. The charges are written, and the allowance counters moved on.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.services.platform import bulk, periods
from app.services.usage import pricing
from app.services.usage.pricing import DAY, Dialect

PENDING = "(ch.usage_id IS NULL OR ch.status = 'unrated')"


TEMPORARY = ("rt_input", "rt_tariff", "rt_covered", "rt_base", "rt_charged", "rt_debit",
             "rt_paid", "rt_line", "rt_asked")  # fmt: skip


@dataclass
class RatingSummary:
    rated: int = 0
    unrated: int = 0
    invoiced: int = 0  # cycles re-rating left alone: an issued invoice carries them

    def __str__(self) -> str:
        return f"rated {self.rated}, unrated {self.unrated}"

    def add(self, other: "RatingSummary") -> None:
        self.rated += other.rated
        self.unrated += other.unrated
        self.invoiced += other.invoiced


@dataclass
class Scope:
    """Which records a pipeline takes: a chunk of accounts (and services), or records."""

    accounts: tuple[int, int] | None = None
    service_ids: list[int] | None = None
    usage_ids: list[int] | None = None

    def line_filter(self) -> str:
        terms = ["TRUE"]
        if self.accounts is not None:
            terms.append(f"a.id BETWEEN {int(self.accounts[0])} AND {int(self.accounts[1])}")
        if self.service_ids is not None:
            terms.append(f"s.id IN ({bulk.id_list(self.service_ids)})")
        if self.usage_ids is not None:
            terms.append(f"s.id IN (SELECT service_id FROM usage_record WHERE id IN "
                         f"({bulk.id_list(self.usage_ids)}))")  # fmt: skip
        return " AND ".join(terms)

    def record_filter(self) -> str:
        terms = ["TRUE"]
        if self.service_ids is not None:
            terms.append(f"u.service_id IN ({bulk.id_list(self.service_ids)})")
        if self.usage_ids is not None:
            terms.append(f"u.id IN ({bulk.id_list(self.usage_ids)})")
        return " AND ".join(terms)


@dataclass
class Context:
    """What every chunk of a run shares: when, the deck's shape, the zones and bill days,
    and the UTC days the pending records fall on."""

    rated_at: str
    groups: int
    lengths: list[int]
    zones: list[str]
    bill_days: list[int]
    days: tuple[int, int]


EPOCH_DAY = date(1970, 1, 1)


def _date(day: int) -> date:
    """The date of a day number (days since 1970, as `started_at / DAY` counts them)."""
    return EPOCH_DAY + timedelta(days=day)


def _day(day: date) -> int:
    return (day - EPOCH_DAY).days


def _zone_day(zone: str, day: int) -> tuple[str, int, int, int, int]:
    """(zone, UTC day, instant the offset changes, offset before, offset after) in
    microseconds: daylight saving time changes at most once a day."""
    tz = ZoneInfo(zone)

    def offset(micros: int) -> int:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
        return int(moment.astimezone(tz).utcoffset() / timedelta(microseconds=1))

    start, end = day * DAY, (day + 1) * DAY - 1
    before, after = offset(start), offset(end)
    if before == after:
        return (zone, day, end + 1, before, before)
    low, high = start, end  # offset(low) == before, offset(high) == after
    while high - low > 1_000_000:
        middle = (low + high) // 2
        if offset(middle) == before:
            low = middle
        else:
            high = middle
    return (zone, day, high - high % 1_000_000, before, after)


def calendar(raw: bulk.Raw, context: Context, first_day: int, last_day: int) -> None:
    """rt_zone and rt_cycle for the UTC days [first_day, last_day], a day more each side
    (a record's local day may be the UTC day before or after)."""
    drop(raw, ("rt_zone", "rt_cycle"))
    raw.execute(
        "CREATE TEMPORARY TABLE rt_zone (timezone VARCHAR(64), day BIGINT, change_at BIGINT, "
        "before BIGINT, after BIGINT, PRIMARY KEY (timezone, day))"
    )
    raw.execute(
        "CREATE TEMPORARY TABLE rt_cycle (bill_day INTEGER, day BIGINT, cycle_start DATE, "
        "PRIMARY KEY (bill_day, day))"
    )
    days = range(first_day - 1, last_day + 2)
    raw.insert_rows(
        "rt_zone",
        ("timezone", "day", "change_at", "before", "after"),
        [_zone_day(zone, day) for zone in context.zones for day in days],
    )
    raw.insert_rows(
        "rt_cycle",
        ("bill_day", "day", "cycle_start"),
        [
            (bill_day, day, bulk.sql_date(periods.cycle_start(bill_day, _date(day))))
            for bill_day in context.bill_days
            for day in days
        ],
    )
    raw.analyze("rt_zone", "rt_cycle")


BULK_PLANS = {
    # a chunk is 500,000 records: hash joins (the planner, misled by the pending filter,
    # would probe the deck per record), sorts in memory, no parallel workers of its own
    # (the chunks are the parallelism), no JIT (compiling the long expressions of a chunk's
    # statements costs more than it saves)
    "enable_nestloop": "off",
    "work_mem": "'64MB'",
    "max_parallel_workers_per_gather": "0",
    "jit": "off",
}


def bulk_plans(raw: bulk.Raw, on: bool) -> None:
    for name, value in BULK_PLANS.items():
        raw.execute(f"SET {name} = {value}" if on else f"RESET {name}")


def drop(raw: bulk.Raw, tables) -> None:
    for table in tables:
        raw.execute(f"DROP TABLE IF EXISTS {table}")


def rate_chunk(raw: bulk.Raw, context: Context, scope: Scope, writing) -> RatingSummary:
    """Rate the pending records of the scope: work them out in temporary tables, then
    write them `with writing()`."""
    dialect = Dialect(raw.postgresql)
    try:
        _input(raw, dialect, context, scope)
        _tariffs(raw, context)
        late = _late_cycles(raw)
        if not late:
            _charge(raw, dialect, context)
            with writing():
                return _write(raw, dialect, context)
        # those cycles go back to pending and are rated again with the late records, all
        # in one transaction: no moment without their charges
        with writing():
            raw.execute("CREATE TEMPORARY TABLE rt_asked AS SELECT id FROM rt_input")
            drop_cycles(raw, late)
            starts = [date.fromisoformat(str(cycle)) for _sid, cycle in late]
            first = min(_day(min(starts)), context.days[0])
            last = max(_day(periods.cycle_end(max(starts))), context.days[1])
            calendar(raw, context, first, last)
            _input(raw, dialect, context, scope)
            _tariffs(raw, context)
            _charge(raw, dialect, context)
            return _write(raw, dialect, context, counted="id IN (SELECT id FROM rt_asked)")
    finally:
        if raw.usable():  # after a failed statement PostgreSQL refuses even a DROP
            drop(raw, TEMPORARY)


def _late_cycles(raw: bulk.Raw) -> list[tuple]:
    """(service, cycle start) of postpaid cycles whose allowance later records drew on
    before a pending record that draws on it too."""
    if not raw.fetch(
        "SELECT 1 FROM rt_line l WHERE EXISTS "
        "(SELECT 1 FROM allowance_usage a WHERE a.service_id = l.service_id) LIMIT 1"
    ):
        return []  # the chunk's lines have drawn on no allowance yet
    return raw.fetch(
        "SELECT DISTINCT i.service_id, i.cycle_start FROM rt_input i "
        "JOIN rt_tariff t ON t.tariff_id = i.code "
        "JOIN allowance_usage a ON a.service_id = i.service_id "
        "AND a.cycle_start = i.cycle_start AND a.usage_type = i.usage_type "
        f"WHERE NOT i.prepaid AND t.bundle AND ({pricing.reason_sql('i', 't')}) IS NULL "
        "AND i.started_at < a.last_covered_at AND NOT EXISTS (SELECT 1 FROM usage_charge c "
        "WHERE c.service_id = i.service_id AND c.cycle_start = i.cycle_start "
        "AND c.invoice_id IS NOT NULL)"
    )


def _write(raw: bulk.Raw, dialect: Dialect, context: Context, counted="TRUE") -> RatingSummary:
    """The prepaid debits, the charges (replacing `unrated` ones) and the allowance
    counters; the summary of what was written. Online charging may have rated a prepaid
    record, or drawn on a prepaid line's allowance, since the chunk was worked out: with
    the prepaid accounts locked, such records are left out and the chunk's charges worked
    out again if an allowance moved."""
    raw.execute(
        "UPDATE billing_account SET balance = balance "
        "WHERE id IN (SELECT DISTINCT account_id FROM rt_input WHERE prepaid)"
    )
    rated_meanwhile = _with_nested_loops(
        raw,
        "DELETE FROM rt_input WHERE prepaid AND EXISTS (SELECT 1 FROM usage_charge c "
        "WHERE c.usage_id = rt_input.id AND (c.status = 'rated' OR rt_input.old_status IS NULL))",
    )
    moved = raw.fetch(
        "SELECT 1 FROM rt_base b LEFT JOIN allowance_usage a ON a.service_id = b.service_id "
        "AND a.cycle_start = b.cycle_start AND a.usage_type = b.usage_type "
        "WHERE COALESCE(a.covered, -1) <> COALESCE(b.covered, -1)"
    )
    if rated_meanwhile or moved:
        _charge(raw, dialect, context)
    counts = dict(
        raw.fetch(f"SELECT status, COUNT(*) FROM rt_charged WHERE {counted} GROUP BY status")
    )
    _debit_prepaid(raw, dialect, context)
    raw.execute(
        "DELETE FROM usage_charge WHERE usage_id IN "
        "(SELECT id FROM rt_input WHERE old_status IS NOT NULL)"
    )
    raw.execute(
        "INSERT INTO usage_charge (usage_id, service_id, status, reason, cycle_start, "
        "billed_quantity, covered_quantity, charge, currency, unrecovered, rated_at) "
        "SELECT c.id, c.service_id, c.status, c.reason, c.cycle_start, c.billed, c.covered, "
        "c.charge, c.charge_currency, COALESCE(c.charge - p.paid, 0), ? "
        "FROM rt_charged c LEFT JOIN rt_paid p ON p.id = c.id",
        (context.rated_at,),
    )
    raw.execute(
        "INSERT INTO allowance_usage (service_id, cycle_start, usage_type, covered, "
        "last_covered_at) SELECT service_id, cycle_start, usage_type, SUM(covered), "
        "MAX(started_at) FROM rt_charged WHERE covered > 0 "
        "GROUP BY service_id, cycle_start, usage_type "
        "ON CONFLICT (service_id, cycle_start, usage_type) DO UPDATE SET "
        "covered = allowance_usage.covered + excluded.covered, last_covered_at = "
        + dialect.greatest("allowance_usage.last_covered_at", "excluded.last_covered_at")
    )
    return RatingSummary(int(counts.get("rated", 0)), int(counts.get("unrated", 0)))


def _with_nested_loops(raw: bulk.Raw, sql: str) -> int:
    """A statement that probes a big table for a chunk's few rows (a chunk's PostgreSQL
    connection otherwise plans hash joins)."""
    if not raw.postgresql or raw.fetch("SHOW enable_nestloop")[0][0] == "on":
        return raw.execute(sql)
    raw.execute("SET LOCAL enable_nestloop = on")
    count = raw.execute(sql)
    raw.execute("SET LOCAL enable_nestloop = off")
    return count


def _input(raw: bulk.Raw, dialect: Dialect, context: Context, scope: Scope) -> None:
    """rt_line and rt_input: the pending records with everything rating needs to know."""
    drop(raw, ("rt_input", "rt_line"))
    raw.execute(
        "CREATE TEMPORARY TABLE rt_line AS "
        "SELECT s.id AS service_id, a.id AS account_id, p.rate_plan_id AS plan_id, "
        "r.timezone, a.bill_day, a.payment_mode = 'prepaid' AS prepaid, a.currency, "
        "CAST(COALESCE(p.voice_min, 0) AS BIGINT) * 60 AS voice, COALESCE(p.sms, 0) AS sms, "
        "CAST(COALESCE(p.data_mb, 0) AS BIGINT) * 1048576 AS data "
        "FROM service s JOIN billing_account a ON a.id = s.account_id "
        "JOIN customer c ON c.id = a.customer_id JOIN region r ON r.id = c.region_id "
        f"LEFT JOIN product p ON p.code = s.product_code WHERE {scope.line_filter()}"
    )
    raw.execute("CREATE UNIQUE INDEX rt_line_service ON rt_line (service_id)")
    raw.analyze("rt_line")
    bounds = ""
    if raw.postgresql:  # its merge join then reads only the chunk's part of the index
        first, last = raw.fetch("SELECT MIN(service_id), MAX(service_id) FROM rt_line")[0]
        bounds = f"AND u.service_id BETWEEN {int(first or 0)} AND {int(last or 0)}"
    joins, code = pricing.lookup(dialect, "b", context.lengths)
    raw.execute(f"""
        CREATE TEMPORARY TABLE rt_input AS
        SELECT b.id, b.service_id, b.account_id, b.prepaid, b.plan_id, b.currency,
               b.usage_type, b.started_at, b.quantity, b.destination, b.old_status,
               b.record_id, b.allowance, b.band, cy.cycle_start, {code} AS code FROM (
            SELECT v.*, {pricing.band_sql("v.local")} AS band, v.local / {DAY} AS day FROM (
                SELECT u.id, u.service_id, l.account_id, l.prepaid, l.plan_id, l.currency,
                       l.bill_day, u.usage_type, u.started_at, u.quantity, u.destination,
                       {pricing.number_sql("u.destination")} AS number,
                       ch.status AS old_status,
                       CASE WHEN l.prepaid THEN u.record_id END AS record_id,
                       CASE u.usage_type WHEN 'voice' THEN l.voice WHEN 'sms' THEN l.sms
                            ELSE l.data END AS allowance,
                       u.started_at + CASE WHEN u.started_at >= z.change_at THEN z.after
                                           ELSE z.before END AS local
                FROM rt_line l JOIN usage_record u ON u.service_id = l.service_id
                     {bounds}
                JOIN rt_zone z ON z.timezone = l.timezone AND z.day = u.started_at / {DAY}
                LEFT JOIN usage_charge ch ON ch.usage_id = u.id
                WHERE {PENDING} AND {scope.record_filter()}
            ) v {"OFFSET 0" if raw.postgresql else ""}
        ) b JOIN rt_cycle cy ON cy.bill_day = b.bill_day AND cy.day = b.day
        {joins}
    """)  # fmt: skip


def _tariffs(raw: bulk.Raw, context: Context) -> None:
    """rt_tariff: the tariffs the records found, their groups side by side."""
    drop(raw, ("rt_tariff",))
    raw.execute(
        "CREATE TEMPORARY TABLE rt_tariff AS "
        + pricing.tariffs_sql(context.groups, "t.id IN (SELECT code FROM rt_input WHERE code > 0)")
    )
    raw.execute("CREATE UNIQUE INDEX rt_tariff_id ON rt_tariff (tariff_id)")


def _charge(raw: bulk.Raw, dialect: Dialect, context: Context) -> None:
    """rt_charged: each record's billed and covered units and charge, or its reason. The
    running sum of allowance units is worked out first, over the records that draw on an
    allowance only (a sort: the fewer and narrower the rows, the faster)."""
    groups = context.groups
    drop(raw, ("rt_covered", "rt_charged", "rt_base"))
    units = pricing.units_sql(dialect, groups, "i.quantity", "t")
    priced = f"""
        SELECT i.*, t.*, {pricing.reason_sql("i", "t")} AS reason,
               {", ".join(f"{u} AS u{k}" for k, u in enumerate(units, 1))}
        FROM rt_input i LEFT JOIN rt_tariff t ON t.tariff_id = i.code
    """
    # a fence: the units are columns computed once, not expressions copied into each use
    fence = "OFFSET 0" if raw.postgresql else "LIMIT -1 OFFSET 0"
    earlier = (
        # PostgreSQL sums BIGINTs as NUMERIC, whose division would not truncate
        "CAST(COALESCE(SUM(z.billed) OVER (PARTITION BY z.service_id, z.cycle_start, "
        "z.usage_type ORDER BY z.started_at, z.id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS BIGINT)"
    )
    left = f"z.allowance - COALESCE(a.covered, 0) - {earlier}"
    raw.execute(f"""
        CREATE TEMPORARY TABLE rt_covered AS
        SELECT z.id, z.service_id, z.cycle_start, z.usage_type, z.prepaid, a.covered AS base,
               {dialect.greatest("0", dialect.least("z.billed", left))} AS covered
        FROM (SELECT x.id, x.service_id, x.cycle_start, x.usage_type, x.started_at,
                     x.prepaid, x.allowance, {pricing.units_total(groups, "x")} AS billed
              FROM ({priced}) x WHERE x.bundle AND x.reason IS NULL) z
        LEFT JOIN allowance_usage a ON a.service_id = z.service_id
             AND a.cycle_start = z.cycle_start AND a.usage_type = z.usage_type
    """)  # fmt: skip
    raw.execute("CREATE UNIQUE INDEX rt_covered_id ON rt_covered (id)")
    # what prepaid allowances stood at: online charging may move them before the write
    raw.execute(
        "CREATE TEMPORARY TABLE rt_base AS SELECT DISTINCT service_id, cycle_start, "
        "usage_type, base AS covered FROM rt_covered WHERE prepaid"
    )
    raw.execute(f"""
        CREATE TEMPORARY TABLE rt_charged AS
        SELECT w.id, w.service_id, w.account_id, w.prepaid, w.usage_type, w.started_at,
               w.cycle_start, w.currency, w.record_id, w.reason,
               CASE WHEN w.reason IS NULL THEN 'rated' ELSE 'unrated' END AS status,
               CASE WHEN w.reason IS NULL THEN w.rate_currency END AS charge_currency,
               CASE WHEN w.reason IS NULL THEN w.billed ELSE 0 END AS billed, w.covered,
               CASE WHEN w.reason IS NULL
                    THEN {pricing.charge_sql(dialect, groups, "w", "w", "w.covered")}
                    ELSE 0 END AS charge
        FROM (SELECT x.*, {pricing.units_total(groups, "x")} AS billed,
                     COALESCE(c.covered, 0) AS covered
              FROM ({priced} {fence}) x LEFT JOIN rt_covered c ON c.id = x.id) w
    """)  # fmt: skip


def _debit_prepaid(raw: bulk.Raw, dialect: Dialect, context: Context) -> None:
    """rt_paid: what each prepaid record's account pays of its charge, in `started_at`
    order, never below zero; the ledger entries and the new balances."""
    # the accounts are locked (_write): their balances stay as read here until the commit
    raw.execute(
        "CREATE TEMPORARY TABLE rt_debit AS SELECT DISTINCT account_id FROM rt_charged "
        "WHERE prepaid AND charge > 0"
    )
    before = (
        "CAST(COALESCE(SUM(c.charge) OVER (PARTITION BY c.account_id "
        "ORDER BY c.started_at, c.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) "
        "AS BIGINT)"
    )
    raw.execute(f"""
        CREATE TEMPORARY TABLE rt_paid AS
        SELECT x.id, x.account_id, x.currency, x.started_at, x.record_id,
               {dialect.greatest("0", dialect.least("x.charge", "b.balance - x.before"))} AS paid,
               {dialect.greatest("0", "b.balance - x.before - x.charge")} AS balance_after
        FROM (SELECT c.id, c.account_id, c.currency, c.started_at, c.record_id, c.charge,
                     {before} AS before
              FROM rt_charged c WHERE c.prepaid AND c.charge > 0) x
        JOIN billing_account b ON b.id = x.account_id
    """)  # fmt: skip
    raw.execute("CREATE UNIQUE INDEX rt_paid_id ON rt_paid (id)")
    raw.execute("CREATE INDEX rt_paid_account ON rt_paid (account_id)")
    raw.execute(
        "INSERT INTO ledger_entry (account_id, posted_at, kind, amount, currency, reference, "
        "balance_after) SELECT p.account_id, ?, 'usage', -p.paid, p.currency, p.record_id, "
        "p.balance_after FROM rt_paid p WHERE p.paid > 0 "
        "ORDER BY p.account_id, p.started_at, p.id",
        (context.rated_at,),
    )
    raw.execute(
        "UPDATE billing_account SET balance = balance - (SELECT SUM(p.paid) FROM rt_paid p "
        "WHERE p.account_id = billing_account.id) WHERE id IN (SELECT account_id FROM rt_debit)"
    )


def drop_cycles(raw: bulk.Raw, cycles) -> None:
    """Send the records of these (service, cycle start) back to pending: their charges and
    allowance counters go (postpaid only: a prepaid charge has moved money)."""
    drop(raw, ("rt_drop",))
    raw.execute("CREATE TEMPORARY TABLE rt_drop (service_id INTEGER, cycle_start DATE)")
    raw.insert_rows("rt_drop", ("service_id", "cycle_start"), [tuple(c) for c in cycles])
    same = "d.service_id = {t}.service_id AND d.cycle_start = {t}.cycle_start"
    raw.execute(
        "DELETE FROM usage_charge WHERE usage_id IN (SELECT u.id FROM usage_record u "
        "WHERE u.service_id IN (SELECT service_id FROM rt_drop)) "
        f"AND EXISTS (SELECT 1 FROM rt_drop d WHERE {same.format(t='usage_charge')})"
    )
    raw.execute(
        "DELETE FROM allowance_usage WHERE "
        f"EXISTS (SELECT 1 FROM rt_drop d WHERE {same.format(t='allowance_usage')})"
    )
    drop(raw, ("rt_drop",))
