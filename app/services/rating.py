"""Rating: pending usage records become charges (CONTRACT.md §3), in batches of services.

For each service the records are taken in order of `started_at`: the band (peak Monday to
Friday 08:00–20:00 in the region's time, else offpeak) and the allowance cycle (the
billing account's cycle) come from the record's local time; the longest matching prefix of
the service's rate plan gives the tariff (`tariffs.py` prices it); bundle rates draw on the
product's allowance for that cycle. Prepaid accounts are debited as records are rated,
never below zero; what the balance cannot pay is kept as unrecovered. A record that
matches no rate is kept `unrated` with the reason and rated by a later run.

Work is set-based around a Python core: one query reads a batch of services' pending
records, prices are integer arithmetic, and the charges are written with COPY (PostgreSQL)
or one executemany (SQLite).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from app.extensions import db
from app.models.catalog import Product, RatePlan
from app.models.crm import BillingAccount, Customer, PaymentMode, Region, Service
from app.models.types import to_micros, utcnow
from app.models.usage import UsageType
from app.services import bulk, periods
from app.services.errors import DomainError
from app.services.numbers import holder as service_holding
from app.services.tariffs import Group, Tariff, billed_by_group, price

BATCH_RECORDS = 50_000
BUCKET = 900_000_000  # 15 minutes in microseconds: every zone offset is a multiple of it
ALLOWANCE_UNITS = {
    UsageType.VOICE: ("voice_min", 60),
    UsageType.SMS: ("sms", 1),
    UsageType.DATA: ("data_mb", 1_048_576),
}
CHARGE_COLUMNS = (
    "usage_id",
    "service_id",
    "status",
    "reason",
    "cycle_start",
    "billed_quantity",
    "covered_quantity",
    "charge",
    "currency",
    "unrecovered",
    "rated_at",
)


@dataclass
class RatingSummary:
    rated: int = 0
    unrated: int = 0

    def __str__(self) -> str:
        return f"rated {self.rated}, unrated {self.unrated}"


class Deck:
    """A rate plan's tariffs by usage type and prefix, for longest-prefix matching."""

    def __init__(self):
        self.by_type: dict[str, dict[str, dict[str, Tariff]]] = defaultdict(dict)
        self.lengths: dict[str, list[int]] = {}

    def find(self, usage_type: str, destination: str, band: str):
        """The tariff for a record, or the reason there is none."""
        prefixes = self.by_type.get(usage_type)
        if not prefixes:
            return None, f"no {usage_type} rates in the plan"
        number = destination.lstrip("+")
        bands = None
        for length in self.lengths[usage_type]:
            if length <= len(number):
                bands = prefixes.get(number[:length])
                if bands is not None:
                    break
        if bands is None:
            bands = prefixes.get("*")
            if bands is None:
                return None, f"no rate for destination {destination}"
        tariff = bands.get(band) or bands.get("any")
        if tariff is None:
            return None, f"no {band} or any rate for destination {destination}"
        return tariff, None


def load_deck(plan_id: int) -> Deck:
    deck = Deck()
    rows = bulk.fetch(
        "SELECT usage_type, prefix, band, from_units, price, per, increment, connect_fee, "
        "bundle, currency, destination FROM rate WHERE plan_id = ? "
        "ORDER BY usage_type, prefix, band, from_units",
        (plan_id,),
    )
    # stored scaled: price in millionths, connect fee in ten-thousandths, as tariffs use them
    key, groups, first = None, [], None
    for row in [*rows, (None,) * 11]:
        if row[:3] != key:
            if key is not None:
                usage_type, prefix, band = key
                deck.by_type[usage_type].setdefault(prefix, {})[band] = Tariff(
                    groups=tuple(groups),
                    connect_fee=int(first[7]),
                    bundle=bool(first[8]),
                    currency=first[9],
                    destination=first[10],
                    prefix=prefix,
                    band=band,
                )
            key, groups, first = row[:3], [], row
        if row[0] is not None:
            groups.append(Group(int(row[3]), int(row[4]), int(row[5]), int(row[6])))
    for usage_type, prefixes in deck.by_type.items():
        deck.lengths[usage_type] = sorted({len(p) for p in prefixes if p != "*"}, reverse=True)
    return deck


@dataclass
class Line:
    """What rating needs to know of a service."""

    service_id: int
    account_id: int
    plan_id: int | None
    allowances: dict[str, int]
    bill_day: int
    prepaid: bool
    currency: str
    timezone: str


def _lines(service_ids) -> dict[int, Line]:
    rows = db.session.execute(
        db.select(
            Service.id,
            BillingAccount.id,
            Product.rate_plan_id,
            Product.voice_min,
            Product.sms,
            Product.data_mb,
            BillingAccount.bill_day,
            BillingAccount.payment_mode,
            BillingAccount.currency,
            Region.timezone,
        )
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
        .outerjoin(Product, Product.code == Service.product_code)
        .where(Service.id.in_(list(service_ids)))
    )
    lines = {}
    for sid, aid, plan, voice, sms, data, bill_day, mode, currency, tz in rows:
        lines[sid] = Line(
            service_id=sid,
            account_id=aid,
            plan_id=plan,
            allowances={
                UsageType.VOICE: (voice or 0) * 60,
                UsageType.SMS: sms or 0,
                UsageType.DATA: (data or 0) * 1_048_576,
            },
            bill_day=bill_day,
            prepaid=mode == PaymentMode.PREPAID,
            currency=currency,
            timezone=tz,
        )
    return lines


def line_of(service_id: int) -> Line:
    return _lines([service_id])[service_id]


class Calendar:
    """Local date and band of a moment in a zone, cached per 15 minutes."""

    def __init__(self):
        self.cache: dict[tuple[str, int], tuple[date, str]] = {}
        self.zones: dict[str, ZoneInfo] = {}

    def at(self, timezone: str, micros: int) -> tuple[date, str]:
        key = (timezone, micros // BUCKET)
        found = self.cache.get(key)
        if found is None:
            zone = self.zones.get(timezone) or self.zones.setdefault(timezone, ZoneInfo(timezone))
            local = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)).astimezone(
                zone
            )
            peak = local.weekday() < 5 and 8 <= local.hour < 20
            found = self.cache[key] = (local.date(), "peak" if peak else "offpeak")
        return found


PENDING = """
    SELECT u.id, u.service_id, u.usage_type, u.started_at, u.destination, u.quantity, c.status
    FROM usage_record u LEFT JOIN usage_charge c ON c.usage_id = u.id
    WHERE (c.usage_id IS NULL OR c.status = 'unrated') AND {condition}
    ORDER BY u.service_id, u.started_at, u.id
"""


def _pending_batches(service_ids=None):
    """Pending records in batches holding whole services."""
    if service_ids is not None:
        ids = sorted(service_ids)
        for start in range(0, len(ids), 1000):
            marks = ", ".join(str(int(i)) for i in ids[start : start + 1000])
            rows = bulk.fetch(PENDING.format(condition=f"u.service_id IN ({marks})"))
            if rows:
                yield rows
        return
    after = 0
    while True:
        rows = bulk.fetch(
            PENDING.format(condition="u.service_id > ?") + " LIMIT ?", (after, BATCH_RECORDS)
        )
        if not rows:
            return
        if len(rows) == BATCH_RECORDS and rows[0][1] != rows[-1][1]:
            last = rows[-1][1]  # cut before the last service: its records may go on
            rows = [row for row in rows if row[1] != last]
        elif len(rows) == BATCH_RECORDS:  # one service with more records than a batch
            rows = bulk.fetch(PENDING.format(condition="u.service_id = ?"), (rows[0][1],))
        yield rows
        after = rows[-1][1]


def used_allowances(service_ids) -> dict[tuple[int, date, str], int]:
    """Allowance units already covered, per (service, cycle start, usage type)."""
    return {key: covered for key, (covered, _latest) in _allowance_state(service_ids).items()}


def _allowance_state(service_ids) -> dict[tuple[int, date, str], tuple[int, int]]:
    """Per (service, cycle start, usage type): the allowance units covered so far, and the
    start of the latest record that drew on it."""
    marks = ", ".join(str(int(i)) for i in service_ids)
    rows = bulk.fetch(
        "SELECT c.service_id, c.cycle_start, u.usage_type, SUM(c.covered_quantity), "
        "MAX(u.started_at) FROM usage_charge c JOIN usage_record u ON u.id = c.usage_id "
        f"WHERE c.service_id IN ({marks}) AND c.status = 'rated' "
        "AND c.covered_quantity > 0 GROUP BY c.service_id, c.cycle_start, u.usage_type"
    )
    return {
        (sid, date.fromisoformat(str(cycle)), usage_type): (int(covered), int(latest))
        for sid, cycle, usage_type, covered, latest in rows
    }


def rate_pending(service_ids=None, now: datetime | None = None) -> RatingSummary:
    """Rate every pending record (of `service_ids` only, when given); a scheduler job and
    `flask usage rate`. Each batch of services commits on its own."""
    now = now or utcnow()
    summary = RatingSummary()
    decks: dict[int, Deck] = {}
    calendar = Calendar()
    tuning = bulk.SqliteTuning()
    late: set[tuple[int, date]] = set()
    try:
        for rows in _pending_batches(service_ids):
            tuning.apply(db.session.connection().connection.driver_connection)
            _rate_batch(rows, now, decks, calendar, summary, late)
            db.session.commit()
    finally:
        tuning.restore()
    if late:
        # records that came in after later ones of their cycle drew on the allowance: the
        # cycle is rated again, in `started_at` order (the summary counts each record once)
        for sid, cycle in late:
            _drop_cycle_charges(sid, [cycle])
        db.session.commit()
        rate_pending(service_ids=sorted({sid for sid, _cycle in late}), now=now)
    return summary


def rerate(
    service_ids=None, start: date | None = None, end: date | None = None, now=None
) -> RatingSummary:
    """Rate again, after a rate change, the usage of the given services (all when None) in
    the allowance cycles that overlap [start, end) (all cycles when open): their charges are
    dropped and the records rated afresh, whole cycles at a time so allowances are covered
    in `started_at` order again; nothing is charged twice. Prepaid charges stay: their money
    has moved (a correction is an adjustment)."""
    query = (
        "SELECT DISTINCT c.service_id, c.cycle_start FROM usage_charge c "
        "JOIN service s ON s.id = c.service_id "
        "JOIN billing_account a ON a.id = s.account_id WHERE a.payment_mode = 'postpaid'"
    )
    params: tuple = ()
    if service_ids is not None:
        query += f" AND c.service_id IN ({', '.join(str(int(i)) for i in service_ids) or 'NULL'})"
    if end is not None:
        query += " AND c.cycle_start < ?"
        params = (bulk.sql_date(end),)
    cycles = [(sid, date.fromisoformat(str(cycle))) for sid, cycle in bulk.fetch(query, params)]
    if start is not None:
        cycles = [(sid, cycle) for sid, cycle in cycles if periods.cycle_end(cycle) > start]
    by_service = defaultdict(list)
    for sid, cycle in cycles:
        by_service[sid].append(cycle)
    for sid, starts in by_service.items():
        _drop_cycle_charges(sid, starts)
    db.session.commit()
    return rate_pending(service_ids=list(by_service), now=now) if by_service else RatingSummary()


def _drop_cycle_charges(service_id: int, cycles: list[date]) -> None:
    marks = ", ".join("?" * len(cycles))
    bulk.execute(
        f"DELETE FROM usage_charge WHERE service_id = ? AND cycle_start IN ({marks})",
        (service_id, *(bulk.sql_date(cycle) for cycle in cycles)),
    )


def rate_records(usage_ids: list[int], now: datetime | None = None) -> RatingSummary:
    """Rate these records now, if pending, in the caller's transaction (online charging,
    which holds the account's lock)."""
    summary = RatingSummary()
    marks = ", ".join(str(int(i)) for i in usage_ids)
    rows = bulk.fetch(PENDING.format(condition=f"u.id IN ({marks})"))
    if rows:
        _rate_batch(rows, now or utcnow(), {}, Calendar(), summary)
    return summary


def _rate_batch(rows, now, decks, calendar, summary, late=None) -> None:
    """Rate one batch of records (whole services, in time order) and write the charges.
    The loop is the hot path of rating: plain tuples, cached lookups, integer prices."""
    service_ids = {row[1] for row in rows}
    lines = _lines(service_ids)
    state = _allowance_state(service_ids)
    used = {key: covered for key, (covered, _latest) in state.items()}
    rated_at = bulk.sql_timestamp(now)
    local_time = calendar.at
    cycles: dict[tuple[int, date], tuple[date, str]] = {}
    charges = []
    retried = []  # records whose old `unrated` charge this batch replaces
    debits = defaultdict(list)  # prepaid account -> [(index in charges, charge, usage id)]
    rated = unrated = 0
    late = set() if late is None else late
    for usage_id, sid, usage_type, started, destination, quantity, old_status in rows:
        if old_status is not None:
            retried.append(usage_id)
        line = lines[sid]
        local_day, band = local_time(line.timezone, started)
        cycle = cycles.get((line.bill_day, local_day))
        if cycle is None:
            start = periods.cycle_start(line.bill_day, local_day)
            cycle = cycles[(line.bill_day, local_day)] = (start, bulk.sql_date(start))
        if line.plan_id is None:
            tariff, reason = None, "the line's product has no rate plan"
        else:
            deck = decks.get(line.plan_id)
            if deck is None:
                deck = decks[line.plan_id] = load_deck(line.plan_id)
            tariff, reason = deck.find(usage_type, destination, band)
            if tariff is not None and tariff.currency != line.currency:
                reason = f"the rate is in {tariff.currency}, the account in {line.currency}"
        if reason is not None:
            charges.append([usage_id, sid, "unrated", reason, cycle[1], 0, 0, 0, None, 0, rated_at])
            unrated += 1
            continue
        if tariff.bundle:
            key = (sid, cycle[0], usage_type)
            if key in state and started < state[key][1] and not line.prepaid:
                late.add((sid, cycle[0]))  # covered before records started after it
            billed, covered, charge = price(
                tariff, quantity, max(line.allowances[usage_type] - used.get(key, 0), 0)
            )
            if covered:
                used[key] = used.get(key, 0) + covered
        else:
            billed, covered, charge = price(tariff, quantity)
        if charge and line.prepaid:
            debits[line.account_id].append((len(charges), charge, usage_id))
        charges.append(
            [usage_id, sid, "rated", None, cycle[1], billed, covered, charge, tariff.currency,
             0, rated_at]
        )  # fmt: skip
        rated += 1
    summary.rated += rated
    summary.unrated += unrated
    if debits:
        _debit_prepaid(debits, charges, now)
    _delete_charges(retried)
    bulk.insert_rows("usage_charge", CHARGE_COLUMNS, charges)


def _delete_charges(usage_ids: list[int]) -> None:
    for start in range(0, len(usage_ids), 5000):
        chunk = ", ".join(str(i) for i in usage_ids[start : start + 5000])
        db.session.execute(text(f"DELETE FROM usage_charge WHERE usage_id IN ({chunk})"))


def _debit_prepaid(debits, charges, now: datetime) -> None:
    """Debit each prepaid account, record by record in time order, never below zero; a
    ledger entry per debited record (idempotent by record id), the rest unrecovered."""
    record_ids = _record_ids([usage_id for items in debits.values() for _, _, usage_id in items])
    account_ids = list(debits)
    marks = ", ".join(str(i) for i in account_ids)
    # lock the accounts, then read their balance: online charging may debit them meanwhile
    db.session.execute(text(f"UPDATE billing_account SET balance = balance WHERE id IN ({marks})"))
    balances = dict(
        db.session.execute(
            text(f"SELECT id, balance FROM billing_account WHERE id IN ({marks})")
        ).all()
    )
    currencies = dict(
        db.session.execute(
            text(f"SELECT id, currency FROM billing_account WHERE id IN ({marks})")
        ).all()
    )
    posted = bulk.sql_timestamp(now)
    entries = []
    for account_id, items in debits.items():
        balance = int(balances[account_id])
        for index, charge, usage_id in items:
            paid = min(balance, charge)
            charges[index][9] = charge - paid  # unrecovered
            if paid:
                balance -= paid
                entries.append(
                    (account_id, posted, "usage", -paid, currencies[account_id],
                     record_ids[usage_id], balance)
                )  # fmt: skip
        db.session.execute(
            text("UPDATE billing_account SET balance = :balance WHERE id = :id"),
            {"balance": balance, "id": account_id},
        )
    bulk.insert_rows(
        "ledger_entry",
        ("account_id", "posted_at", "kind", "amount", "currency", "reference", "balance_after"),
        entries,
    )


def _record_ids(usage_ids: list[int]) -> dict[int, str]:
    found = {}
    for start in range(0, len(usage_ids), 5000):
        chunk = ", ".join(str(i) for i in usage_ids[start : start + 5000])
        found.update(
            db.session.execute(
                text(f"SELECT id, record_id FROM usage_record WHERE id IN ({chunk})")
            ).all()
        )
    return found


@dataclass
class PricedCall:
    """A record priced as rating would price it, with each group's share shown."""

    tariff: Tariff
    band: str
    billed: int
    groups: list[tuple[Group, int, Decimal]]  # group, billed units, amount before rounding
    charge: Decimal


def price_call(plan_code: str, usage_type: str, destination: str, started_at: datetime,
               quantity: int, timezone: str) -> PricedCall:  # fmt: skip
    """The "price a call" tool: the same deck, band and formula as rating, no allowance."""
    plan_id = db.session.scalar(db.select(RatePlan.id).where(RatePlan.code == plan_code))
    if plan_id is None:
        raise DomainError("plan", _l("unknown rate plan %(code)s", code=repr(plan_code)))
    if quantity < 0:
        raise DomainError("quantity", _l("a whole number of 0 or more"))
    _day, band = Calendar().at(timezone, to_micros(started_at))
    tariff, reason = load_deck(plan_id).find(usage_type, destination, band)
    if tariff is None:
        raise DomainError("destination", reason)
    billed, _covered, charge = price(tariff, quantity)
    shares = [
        (group, units, Decimal(group.price * units).scaleb(-6) / group.per)
        for group, units in zip(tariff.groups, billed_by_group(tariff, quantity), strict=False)
    ]
    return PricedCall(tariff, band, billed, shares, Decimal(charge).scaleb(-4))


def service_ids_of(numbers) -> list[int]:
    """The services holding these numbers (their current or last line)."""
    found = []
    for number in numbers:
        service = service_holding(number)
        if service is None:
            raise DomainError("service", _l("unknown service %(ref)s", ref=repr(number)))
        found.append(service.id)
    return found


@dataclass
class CycleUsage:
    """A line's usage of one type in its current allowance cycle."""

    usage_type: str
    cycle_start: date
    used: int  # billed units
    covered: int
    allowance: int
    charge: Decimal


def current_cycle_usage(service_ids, today: date | None = None) -> dict[int, list[CycleUsage]]:
    """Per line, its current cycle's usage by type against the product's allowance (the
    customer's 360° page)."""
    if not service_ids:
        return {}
    lines = _lines(service_ids)
    calendar = Calendar()
    now = to_micros(utcnow())
    starts = {}
    for sid, line in lines.items():
        local_day = today or calendar.at(line.timezone, now)[0]
        starts[sid] = periods.cycle_start(line.bill_day, local_day)
    marks = ", ".join(str(int(i)) for i in lines)
    rows = bulk.fetch(
        "SELECT c.service_id, c.cycle_start, u.usage_type, SUM(c.billed_quantity), "
        "SUM(c.covered_quantity), SUM(c.charge) FROM usage_charge c "
        "JOIN usage_record u ON u.id = c.usage_id "
        f"WHERE c.service_id IN ({marks}) AND c.status = 'rated' "
        "GROUP BY c.service_id, c.cycle_start, u.usage_type"
    )
    totals = {
        (sid, date.fromisoformat(str(cycle)), usage_type): (int(b), int(c), int(m))
        for sid, cycle, usage_type, b, c, m in rows
    }
    usage = {}
    for sid, line in lines.items():
        usage[sid] = []
        for usage_type in UsageType:
            billed, covered, charge = totals.get((sid, starts[sid], usage_type.value), (0, 0, 0))
            allowance = line.allowances[usage_type]
            if billed or allowance:
                usage[sid].append(
                    CycleUsage(
                        usage_type.value,
                        starts[sid],
                        billed,
                        covered,
                        allowance,
                        Decimal(charge).scaleb(-4),
                    )
                )
    return usage
