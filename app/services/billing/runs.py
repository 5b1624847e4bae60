"""Bill runs (docs/billing.md): `flask billing run --date D [--dry-run]`, the scheduler's
daily job, and the preview of an account's next bill.

A run bills the postpaid paying accounts whose cycle ends on the date (every bill day for
an account billed monthly; every second or third for one billed every two or three
months, crm.bill_frequency) and whose period has ended on their region's clock. It first
rates what is pending and then holds the rating lock, so the usage it sums cannot move
under it. Accounts go in chunks of one timezone and period: a chunk's facts are read in a
few queries, each bill is worked out by bills.py, and the chunk is written in one
transaction with its invoice numbers, the usage and adjustments it carries, and the run's
counts. A chunk that fails to write is written again account by account, so one bad
account does not stop the others. Exactly once: an invoice is unique per (account, period
start), so a run of the same date again, or after a crash, bills only what is left.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models.billing import (
    AccountDiscount,
    Adjustment,
    AdjustmentStatus,
    BillRun,
    BillRunError,
    BillRunStatus,
    Invoice,
    InvoiceStatus,
)
from app.models.catalog import Discount, Product, ProductName
from app.models.crm import (
    BillFrequencyChange,
    BillingAccount,
    Customer,
    PaymentMode,
    Region,
    Service,
    ServiceProductChange,
)
from app.models.types import scaled, utcnow
from app.models.usage import UsageCharge, UsageRecord
from app.services.billing import document_numbers, settlement
from app.services.billing.bills import (
    AccountFacts,
    Bill,
    BillRefused,
    DiscountFacts,
    PayerFacts,
    ProductFacts,
    ServiceFacts,
    make_bill,
)
from app.services.crm import bill_frequency
from app.services.ledger import posting
from app.services.platform import bulk, locks, periods
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError
from app.services.platform.language import account_language_sql
from app.services.usage import rating_runs

REASON_MAX = BillRunError.__table__.c.reason.type.length


@dataclass
class BillRunSummary:
    created: int = 0
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (account ref, reason)
    run_id: int | None = None
    by_months: Counter = field(default_factory=Counter)  # months of the period → invoices

    def __str__(self) -> str:
        return f"invoices created {self.created}, already billed {self.already}"

    def add(self, bills: list[Bill]) -> None:
        self.created += len(bills)
        self.by_months.update(periods.cycles_between(*bill.period) for bill in bills)


def run(
    run_date: date, dry_run: bool = False, now: datetime | None = None, record_idle: bool = True
) -> BillRunSummary:
    """Bill the accounts due on `run_date`; `dry_run` works every bill out and writes
    nothing; `record_idle` False leaves no run record when nothing is left to bill."""
    _check_date(run_date)
    now = now or utcnow()
    if dry_run:
        return _run(run_date, now, None)
    return _runs([run_date], now, record_idle)[0]


def run_dates(
    run_dates: list[date], now: datetime | None = None, record_idle: bool = True
) -> list[BillRunSummary]:
    """The runs of several dates in turn, after rating what is pending once (a `run` of
    each date would look for pending usage before each)."""
    for run_date in run_dates:
        _check_date(run_date)
    return _runs(run_dates, now or utcnow(), record_idle)


def run_due(now: datetime | None = None) -> list[BillRunSummary]:
    """The scheduler's daily job: the runs of every date from the last completed run's to
    today (UTC dates), at most BILL_RUN_CATCH_UP_DAYS back: the days missed while no
    scheduler ran are billed, and so is a region west of UTC, whose period ends after the
    job of its date. A run with nothing left to bill leaves no record."""
    now = now or utcnow()
    today = now.date()
    last = db.session.scalar(
        select(func.max(BillRun.run_date)).where(
            BillRun.status == BillRunStatus.DONE, BillRun.run_date <= today
        )
    )
    earliest = today - timedelta(days=current_app.config["BILL_RUN_CATCH_UP_DAYS"])
    first = max(min(last or today, today - timedelta(days=1)), earliest)
    dates = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    return _runs([day for day in dates if day.day <= periods.LAST_BILL_DAY], now, False)


def _runs(run_dates: list[date], now: datetime, record_idle: bool) -> list[BillRunSummary]:
    """The runs of these dates, in turn, after rating what is pending, holding the rating
    lock throughout."""
    with rating_runs.one_at_a_time() as holder:
        rating_runs.rate_pending_held(holder, now=now)
        return [_run(day, now, holder, record_idle) for day in run_dates]


def _fail_abandoned_runs(previous_holder: str) -> None:
    """A bill run holds the rating lock from start to end: when the lock is taken over from
    a holder that stopped, the runs still "running" were left by it (killed, or cut off
    from the database); accounts it did not write are billed by the next run."""
    db.session.execute(
        update(BillRun)
        .where(BillRun.status == BillRunStatus.RUNNING)
        .values(
            status=BillRunStatus.FAILED,
            finished_at=utcnow(),
            reason=str(
                _l(
                    "stopped without finishing: its process (%(holder)s) ended",
                    holder=previous_holder,
                )
            )[:REASON_MAX],
        )
        .execution_options(synchronize_session=False)
    )


locks.on_takeover(rating_runs.RUN_LOCK, _fail_abandoned_runs)


def preview(account: BillingAccount, run_date: date) -> Bill | None:
    """The bill the run of `run_date` would make for the account's payer, written nowhere
    (None: nothing to bill, also when no cycle of it ends that day). Raises BillRefused."""
    payer = _payer(account)
    _check_date(run_date)
    due = _due(run_date, [(payer.id, payer.bill_every)])[payer.id]
    if due is None or payer.bill_day != run_date.day:
        return None
    batch = Batch(payer.customer.region.timezone, *due)
    children = _children([payer.id], _links())
    (facts,) = _facts([payer.id], children, batch)
    return make_bill(facts, batch.period, _products(), _skip_unrated())


def next_bill_date(account: BillingAccount, today: date) -> date:
    """The next bill date of the account: the end of its payer's cycle under way (accounts
    billed to another are billed with their payer)."""
    return bill_frequency.cycle_under_way(_payer(account), today)[1]


def _payer(account: BillingAccount) -> BillingAccount:
    payer, seen = account, {account.id}
    while payer.bill_to is not None and payer.bill_to.id not in seen:
        payer = payer.bill_to
        seen.add(payer.id)
    return payer


def _check_date(run_date: date) -> None:
    if run_date.day > periods.LAST_BILL_DAY:
        raise DomainError("date", _l("%(date)s: bill days are 1 to 28", date=run_date.isoformat()))


@dataclass(frozen=True)
class Batch:
    """Accounts billed together: of one timezone (the period's edges are its midnights), for
    one period, with the same day from which the usage they carry starts."""

    timezone: str
    period: tuple[date, date]
    # the start of the period before: its records rated after its bill (late ones) come
    # with this bill
    since: date

    def usage_window(self) -> tuple[datetime, datetime]:
        return _instant(self.since, self.timezone), _instant(self.period[1], self.timezone)


def _due(run_date: date, accounts: list[tuple[int, int]]) -> dict[int, tuple | None]:
    """Paying account → (the period the run of `run_date` bills it for, the start of the
    period before), or None when no cycle of it ends that day; for (account id,
    bill_every) of accounts whose bill day it is. A monthly account that never changed its
    frequency needs no look-up: it is billed for the month before. The period before is at
    most as long as the longest the account was ever billed for."""
    monthly = periods.bill_period(run_date)
    changed = set(db.session.scalars(select(BillFrequencyChange.account_id).distinct()))
    found = {
        account_id: (monthly, periods.add_months(monthly[0], -1))
        for account_id, every in accounts
        if every == 1 and account_id not in changed
    }
    others = [account_id for account_id, _every in accounts if account_id not in found]
    size = current_app.config["BILL_RUN_CHUNK"]
    for first in range(0, len(others), size):
        chunk = others[first : first + size]
        frequencies = bill_frequency.frequencies(chunk)
        anchors = bill_frequency.anchors(chunk, run_date - timedelta(days=1))
        for account_id in chunk:
            frequency = frequencies[account_id]
            period = periods.cycle_ending(
                run_date, run_date.day, anchors.get(account_id), frequency
            )
            longest = max((frequency.initial, *(every for _day, every in frequency.changes)))
            found[account_id] = period and (period, periods.add_months(period[0], -longest))
    return found


def _skip_unrated() -> bool:
    """BILL_UNRATED_USAGE = "skip" bills an account without its unrated usage (billed once
    rated); by default the account is left unbilled with the reason."""
    return current_app.config["BILL_UNRATED_USAGE"] == "skip"


def _instant(day: date, timezone: str) -> datetime:
    """Midnight starting `day` on the region's clock, as a UTC instant."""
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


def _run(run_date, now, holder: str | None, record_idle: bool = True) -> BillRunSummary:
    summary = BillRunSummary()
    due = db.session.execute(
        select(BillingAccount.id, Region.timezone, BillingAccount.bill_every)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
        .where(
            BillingAccount.payment_mode == PaymentMode.POSTPAID,
            BillingAccount.bill_day == run_date.day,
            BillingAccount.bill_to_id.is_(None),
        )
        .order_by(Region.timezone, BillingAccount.id)
    ).all()
    ended = {timezone for _id, timezone, _every in due if _instant(run_date, timezone) <= now}
    due = [row for row in due if row.timezone in ended]  # the others' periods still run
    due_of = _due(run_date, [(account_id, every) for account_id, _tz, every in due])
    starts = {found[0][0] for found in due_of.values() if found is not None}
    billed = set(
        db.session.execute(
            select(Invoice.account_id, Invoice.period_start).where(
                Invoice.period_start.in_(starts), Invoice.status != InvoiceStatus.VOID
            )
        ).all()
    ) if starts else set()  # fmt: skip
    batches: dict[Batch, list[int]] = defaultdict(list)
    for account_id, timezone, _every in due:
        if due_of[account_id] is None:
            continue  # billed every two or three months: its cycle ends another day
        batch = Batch(timezone, *due_of[account_id])
        if (account_id, batch.period[0]) in billed:
            summary.already += 1
        else:
            batches[batch].append(account_id)
    stranded = _stranded(run_date, now)
    bill_run = None
    if not batches and not stranded and not record_idle:
        return summary
    if holder is not None:
        bill_run = BillRun(run_date=run_date, username=current_username(),
                           already_billed=summary.already)  # fmt: skip
        db.session.add(bill_run)
        db.session.commit()
        summary.run_id = bill_run.id
    products = _products()
    skip_unrated = _skip_unrated()
    size = current_app.config["BILL_RUN_CHUNK"]
    children = _children([a for payer_ids in batches.values() for a in payer_ids], _links())
    try:
        for batch, payer_ids in batches.items():
            for first in range(0, len(payer_ids), size):
                chunk = payer_ids[first : first + size]
                bills, refused = [], []
                for facts in _facts(chunk, children, batch):
                    try:
                        bill = make_bill(facts, batch.period, products, skip_unrated)
                    except BillRefused as exc:
                        refused.append((facts.account, exc.reason))
                    else:
                        if bill is not None:
                            bills.append(bill)
                if bill_run is None:
                    summary.add(bills)
                    summary.failed += [(account.ref, reason) for account, reason in refused]
                    continue
                _write_chunk(bill_run, bills, refused, summary, batch)
                if not locks.renew(rating_runs.RUN_LOCK, holder):
                    raise RuntimeError("the bill run lost its lock")
        if bill_run is None:
            summary.failed += [(account.ref, reason) for account, reason in stranded]
        elif stranded:
            _commit(bill_run, [], stranded, summary)
    except BaseException as exc:
        db.session.rollback()
        if bill_run is not None:
            bill_run.status, bill_run.finished_at = BillRunStatus.FAILED, utcnow()
            bill_run.reason = (str(exc) or type(exc).__name__)[:REASON_MAX]
            db.session.commit()
        raise
    if bill_run is not None:
        bill_run.status, bill_run.finished_at = BillRunStatus.DONE, utcnow()
        db.session.commit()
    return summary


def _write_chunk(bill_run, bills, refused, summary, batch: Batch) -> None:
    """The chunk in one transaction; if that fails, bill by bill, each failure recorded."""
    try:
        _write(bills, bill_run, batch)
        _commit(bill_run, bills, refused, summary)
        return
    except Exception:  # noqa: BLE001 - isolated below, account by account
        db.session.rollback()
    for bill in bills:
        try:
            _write([bill], bill_run, batch)
            _commit(bill_run, [bill], [], summary)
        except Exception as exc:  # noqa: BLE001 - the account is reported, the run goes on
            db.session.rollback()
            _commit(bill_run, [], [(bill.payer.account, str(exc))], summary)
    _commit(bill_run, [], refused, summary)


def _commit(bill_run: BillRun, bills: list[Bill], refused, summary: BillRunSummary) -> None:
    """Commit what was written with the run's counts and errors; the summary follows once
    committed."""
    failed = [(account, reason[:REASON_MAX]) for account, reason in refused]
    bill_run.created = summary.created + len(bills)
    bill_run.failed = len(summary.failed) + len(failed)
    for account, reason in failed:
        db.session.add(BillRunError(run_id=bill_run.id, account_id=account.id, reason=reason))
    db.session.commit()
    summary.add(bills)
    summary.failed += [(account.ref, reason) for account, reason in failed]


def _stranded(run_date: date, now: datetime) -> list[tuple]:
    """Accounts with charges of this bill date that no bill of the run would take, each
    with the reason, so a run never leaves an account out silently: a prepaid account with
    postpaid lines in the period, and a postpaid account whose charges are billed to an
    account that is not a postpaid one paying for itself. (The rules refuse both today;
    data made before them, or by hand, may still hold them.)"""
    period = periods.bill_period(run_date)
    reasons: dict[int, str] = {}
    numbers: dict[int, list[str]] = defaultdict(list)
    for account_id, number in db.session.execute(
        select(Service.account_id, Service.service_id)
        .join(Product, Product.code == Service.product_code)
        .join(BillingAccount, BillingAccount.id == Service.account_id)
        .where(
            BillingAccount.payment_mode == PaymentMode.PREPAID,
            BillingAccount.bill_day == run_date.day,
            Product.payment_mode == PaymentMode.POSTPAID,
            Service.activated_on < period[1],
            (Service.terminated_on.is_(None)) | (Service.terminated_on > period[0]),
        )
        .order_by(Service.service_id)
    ):
        numbers[account_id].append(number)
    for account_id, found in numbers.items():
        reasons[account_id] = str(
            _l("a prepaid account with postpaid lines (%(numbers)s): they are billed once it "
               "is postpaid", numbers=", ".join(found))
        )  # fmt: skip
    links = _links()
    roots = {}
    for account_id in db.session.scalars(
        select(BillingAccount.id).where(
            BillingAccount.bill_to_id.is_not(None),
            BillingAccount.payment_mode == PaymentMode.POSTPAID,
            BillingAccount.bill_day == run_date.day,
        )
    ):
        root, seen = links[account_id], {account_id}
        while root in links and root not in seen:
            seen.add(root)
            root = links[root]
        roots[account_id] = root
    payee = aliased(BillingAccount)
    payers = {
        row.id: row
        for row in db.session.execute(
            select(BillingAccount.id, BillingAccount.ref, BillingAccount.payment_mode,
                   BillingAccount.bill_to_id)
            .where(BillingAccount.id.in_(select(payee.bill_to_id)))
        )
    } if roots else {}  # fmt: skip
    for account_id, root in roots.items():
        payer = payers[root]
        if root in links or payer.payment_mode != PaymentMode.POSTPAID or payer.bill_to_id:
            reasons[account_id] = str(
                _l("its charges are billed to %(ref)s, which is not a postpaid account paying "
                   "for itself", ref=payer.ref)
            )  # fmt: skip
    if not reasons:
        return []
    return [
        (account, reasons[account.id])
        for account in db.session.execute(
            select(BillingAccount.id, BillingAccount.ref, Region.timezone)
            .join(Customer, BillingAccount.customer_id == Customer.id)
            .join(Region, Customer.region_id == Region.id)
            .where(BillingAccount.id.in_(list(reasons)))
            .order_by(BillingAccount.id)
        )
        if _instant(period[1], account.timezone) <= now
    ]


# --------------------------------------------------------------------------- facts


def _products() -> dict[str, ProductFacts]:
    names: dict[int, dict[str, str]] = defaultdict(dict)
    for product_id, language, name in db.session.execute(
        select(ProductName.product_id, ProductName.language, ProductName.name)
    ):
        names[product_id][language] = name
    return {
        p.code: ProductFacts(p.code, p.currency, p.monthly_fee, p.activation_fee,
                             {**names[p.id], "": p.name})
        for p in db.session.execute(
            select(Product.id, Product.code, Product.currency, Product.monthly_fee,
                   Product.activation_fee, Product.name)
        )
    }  # fmt: skip


def _links() -> dict[int, int]:
    """Postpaid account → the account it is billed to (`bill_to`), read once per run."""
    return dict(
        db.session.execute(
            select(BillingAccount.id, BillingAccount.bill_to_id).where(
                BillingAccount.bill_to_id.is_not(None),
                BillingAccount.payment_mode == PaymentMode.POSTPAID,
            )
        ).all()
    )


def _children(payer_ids: list[int], links: dict[int, int]) -> dict[int, list[int]]:
    """payer → the postpaid accounts billed on its invoice (through `bill_to`, at any
    depth)."""
    wanted = set(payer_ids)
    children: dict[int, list[int]] = defaultdict(list)
    for account_id in sorted(links):
        payer, seen = links[account_id], {account_id}
        while payer in links and payer not in seen:
            seen.add(payer)
            payer = links[payer]
        if payer in wanted:
            children[payer].append(account_id)
    return children


def _facts(payer_ids, children, batch: Batch) -> list[PayerFacts]:
    """The facts of the payers' bills, in a handful of queries for the whole chunk."""
    member_ids = list(payer_ids) + [c for p in payer_ids for c in children.get(p, ())]
    accounts: dict[int, AccountFacts] = {}
    payers: dict[int, PayerFacts] = {}
    language = account_language_sql(BillingAccount, Customer, Region)
    for row in db.session.execute(
        select(BillingAccount.id, BillingAccount.ref, BillingAccount.currency,
               BillingAccount.bill_day, BillingAccount.bill_every, BillingAccount.customer_id,
               language, Region.code, Region.vat_rate)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
        .where(bulk.among(BillingAccount.id, member_ids))
    ):  # fmt: skip
        account_id, ref, currency, bill_day, every, customer_id, lang, series, vat_rate = row
        accounts[account_id] = AccountFacts(account_id, ref, currency, bill_day, every)
        payers[account_id] = PayerFacts(accounts[account_id], customer_id, lang, series, vat_rate)
    services: dict[int, ServiceFacts] = {}
    for service_id, number, account_id, product_code, activated_on, terminated_on in (
        db.session.execute(
            select(Service.id, Service.service_id, Service.account_id, Service.product_code,
                   Service.activated_on, Service.terminated_on)
            .where(bulk.among(Service.account_id, member_ids))
            .order_by(Service.id)
        )
    ):  # fmt: skip
        service = ServiceFacts(service_id, number, product_code, activated_on, terminated_on)
        services[service_id] = service
        accounts[account_id].services.append(service)
    service_of = {s.id: a for a in accounts.values() for s in a.services}
    if services:
        for service_id, effective_on, old, new in db.session.execute(
            select(ServiceProductChange.service_id, ServiceProductChange.effective_on,
                   ServiceProductChange.from_product, ServiceProductChange.to_product)
            .where(bulk.among(ServiceProductChange.service_id, services))
            .order_by(ServiceProductChange.effective_on, ServiceProductChange.id)
        ):  # fmt: skip
            services[service_id].changes.append((effective_on, old, new))
        low, high = batch.usage_window()
        # one pass over the window's records: what is rated and not billed yet, summed per
        # line and type, and what is not rated yet
        billable = (UsageCharge.status == "rated") & UsageCharge.invoice_id.is_(None)
        unrated = UsageCharge.usage_id.is_(None) | (UsageCharge.status == "unrated")
        for service_id, usage_type, charges, units, records, not_rated in db.session.execute(
            select(UsageRecord.service_id, UsageRecord.usage_type,
                   func.sum(UsageCharge.charge).filter(billable),
                   func.sum(UsageCharge.billed_quantity).filter(billable),
                   func.count().filter(billable), func.count().filter(unrated))
            .outerjoin(UsageCharge, UsageCharge.usage_id == UsageRecord.id)
            .where(bulk.among(UsageRecord.service_id, services), UsageRecord.started_at >= low,
                   UsageRecord.started_at < high)
            .group_by(UsageRecord.service_id, UsageRecord.usage_type)
        ):  # fmt: skip
            account = service_of[service_id]
            if records:
                account.usage[(service_id, usage_type)] = (Decimal(charges), int(units))
            if not_rated:
                account.unrated[service_id] = account.unrated.get(service_id, 0) + not_rated
    _low, period_end = batch.usage_window()
    for adjustment_id, account_id, amount, currency, reason in db.session.execute(
        select(Adjustment.id, Adjustment.account_id, Adjustment.amount, Adjustment.currency,
               Adjustment.reason)
        .where(bulk.among(Adjustment.account_id, member_ids), Adjustment.invoice_id.is_(None),
               Adjustment.status == AdjustmentStatus.APPROVED,
               Adjustment.created_at < period_end)
        .order_by(Adjustment.id)
    ):  # fmt: skip
        accounts[account_id].adjustments.append((adjustment_id, amount, currency, reason))
    for account_id, discount, starts_on in db.session.execute(
        select(AccountDiscount.account_id, Discount, AccountDiscount.starts_on)
        .join(Discount, AccountDiscount.discount_id == Discount.id)
        .where(bulk.among(AccountDiscount.account_id, member_ids))
        .order_by(AccountDiscount.id)
    ):
        accounts[account_id].discounts.append(
            DiscountFacts(discount.name, discount.kind, discount.value, discount.currency,
                          discount.applies_to, discount.cycles, starts_on)
        )  # fmt: skip
    result = []
    for payer_id in payer_ids:
        payer = payers[payer_id]
        payer.children = [accounts[c] for c in children.get(payer_id, ())]
        result.append(payer)
    return result


# --------------------------------------------------------------------------- writing


# what a run writes, in bulk (COPY on PostgreSQL): the invoice ids are read back by number
INVOICE_COLUMNS = ("number", "account_id", "customer_id", "bill_run_id", "period_start",
                   "period_end", "issue_date", "due_date", "currency", "language",
                   "vat_rate", "subtotal", "tax", "total", "status", "created_at", "credited",
                   "paid")  # fmt: skip
LINE_COLUMNS = ("invoice_id", "position", "account_id", "kind", "service_id", "number",
                "usage_type", "description", "period_start", "period_end", "quantity",
                "amount")  # fmt: skip


def _write(bills: list[Bill], bill_run: BillRun, batch: Batch) -> None:
    if not bills:
        return
    numbers = _numbers(bills)
    created = bulk.sql_timestamp(utcnow())
    dates = [bulk.sql_date(day) for day in batch.period]
    bulk.insert_rows(
        "invoice",
        INVOICE_COLUMNS,
        [
            (
                number,
                bill.payer.account.id,
                bill.payer.customer_id,
                bill_run.id,
                *dates,
                bulk.sql_date(bill.issue_date),
                bulk.sql_date(bill.due_date),
                bill.payer.account.currency,
                bill.payer.language,
                scaled(bill.payer.vat_rate),
                scaled(bill.subtotal),
                scaled(bill.tax),
                scaled(bill.total),
                str(InvoiceStatus.ISSUED),
                created,
                0,
                0,
            )
            for bill, number in zip(bills, numbers, strict=True)
        ],  # fmt: skip
    )
    taken = select(Invoice.number, Invoice.id).where(bulk.among(Invoice.number, numbers))
    ids = dict(db.session.execute(taken).all())
    lines, usage, adjustments, rests = [], [], [], {}
    low, high = batch.usage_window()
    for bill, number in zip(bills, numbers, strict=True):
        invoice_id = ids[number]
        lines += [
            (invoice_id, position, line.account_id, str(line.kind), line.service_id,
             line.number, line.usage_type, line.description[:200],
             *(map(bulk.sql_date, line.month) if line.month else (None, None)),
             scaled(line.quantity), scaled(line.amount))
            for position, line in enumerate(bill.lines, 1)
        ]  # fmt: skip
        usage += [{"inv": invoice_id, "sid": sid, "low": low, "high": high}
                  for sid in bill.service_ids]  # fmt: skip
        adjustments += [{"inv": invoice_id, "aid": aid} for aid in bill.adjustment_ids]
        rests.update((aid, bill.carried[aid]) for aid in bill.adjustment_ids if aid in bill.carried)
    bulk.insert_rows("invoice_line", LINE_COLUMNS, lines)
    connection = db.session.connection()
    if usage:
        record = UsageRecord.__table__.c
        charge = UsageCharge.__table__.c
        connection.execute(
            update(UsageCharge.__table__)
            .where(
                charge.invoice_id.is_(None),
                charge.status == "rated",
                charge.usage_id.in_(
                    select(record.id).where(
                        record.service_id == bindparam("sid"),
                        record.started_at >= bindparam("low", type_=record.started_at.type),
                        record.started_at < bindparam("high", type_=record.started_at.type),
                    )
                ),
            )
            .values(invoice_id=bindparam("inv")),
            usage,
        )
    if adjustments:
        table = Adjustment.__table__
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("aid"), table.c.invoice_id.is_(None))
            .values(invoice_id=bindparam("inv")),
            adjustments,
        )
    if rests:
        _carry_rests(rests)
    posting.post_invoices(list(ids.values()), utcnow())
    # the credit payments left on the accounts pays their new bills
    settlement.apply_credit([bill.payer.account.id for bill in bills], utcnow().date())


def _carry_rests(rests: dict[int, Decimal]) -> None:
    """The rest of each credit a bill took in part, as an adjustment for the next bill:
    approved already, made by the same person at the same time as the one it comes from."""
    for source in db.session.scalars(select(Adjustment).where(Adjustment.id.in_(list(rests)))):
        db.session.add(
            Adjustment(account_id=source.account_id, amount=rests[source.id],
                       currency=source.currency, reason=source.reason,
                       username=source.username, created_at=source.created_at,
                       status=AdjustmentStatus.APPROVED, carried_from_id=source.id)
        )  # fmt: skip


def _numbers(bills: list[Bill]) -> list[str]:
    """Gapless numbers per series and year, taken in the bills' transaction: a rollback
    gives them back."""
    wanted: dict[tuple[str, int], int] = defaultdict(int)
    for bill in bills:
        wanted[(bill.payer.series, bill.issue_date.year)] += 1
    taken = {key: iter(document_numbers.take(*key, count)) for key, count in wanted.items()}
    return [next(taken[(bill.payer.series, bill.issue_date.year)]) for bill in bills]
