"""Receivables aging (docs/receivables.md): what open invoices still ask for, by how long
past their due date, per region and currency, as of a date.

One function gives the figures to the screen, its CSV and the reports API; another lists
the accounts behind one figure. Both read open invoices only, through a partial index
that holds every column they need (migration 0024), and are limited to the caller's
regions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select, type_coerce

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount, Customer, Region
from app.models.types import ExactDecimal
from app.services.billing.invoice_status import OPEN
from app.services.platform import csv_text
from app.services.platform.errors import DomainError
from app.services.platform.money import round_money
from app.services.platform.scoping import scope_condition

# days past due: current (not due yet, or due on the day), then these upper bounds
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
BUCKET_LABELS = {
    "current": _l("Current"),
    "1-30": _l("1–30 days"),
    "31-60": _l("31–60 days"),
    "61-90": _l("61–90 days"),
    "90+": _l("Over 90 days"),
}
UPPER_DAYS = (0, 30, 60, 90)
ACCOUNTS_SHOWN = 500


@dataclass
class AgingLine:
    """The open amounts of one region in one currency, per bucket."""

    region_id: int
    region_code: str
    region_name: str
    currency: str
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, Decimal(0)))
    invoices: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), Decimal(0))


@dataclass
class AgingReport:
    as_of: date
    lines: list[AgingLine]
    # one per currency: amounts of different currencies are never added up
    totals: list[AgingLine]


@dataclass(frozen=True)
class AgedAccount:
    account_id: int
    account_ref: str
    customer_name: str
    amount: Decimal
    invoices: int
    oldest_due: date


def _open_amount():
    return type_coerce(func.sum(Invoice.total - Invoice.credited - Invoice.paid), ExactDecimal(4))


def _bucket(as_of: date):
    """The bucket's position in BUCKETS, computed in SQL from the due date."""
    whens = [
        (Invoice.due_date >= as_of - timedelta(days=days), position)
        for position, days in enumerate(UPPER_DAYS)
    ]
    return case(*whens, else_=literal(len(UPPER_DAYS)))


def _open_invoices(query, as_of: date, region_ids: list[int] | None):
    """Open invoices issued by the date, of customers in the caller's regions. The status
    condition is written as the index's own, so both engines take the partial index."""
    query = query.join(Customer, Customer.id == Invoice.customer_id).where(
        Invoice.status.in_([str(s) for s in OPEN]), Invoice.issue_date <= as_of
    )
    condition = scope_condition(Customer, region_ids)
    return query if condition is None else query.where(condition)


def aging(as_of: date, region_ids: list[int] | None) -> AgingReport:
    """The aging of open invoices as of the date: today's open amounts (total − credited −
    paid), each in the bucket of its days past due on that date."""
    bucket = _bucket(as_of).label("bucket")
    query = _open_invoices(
        select(Customer.region_id, Invoice.currency, bucket, _open_amount(), func.count()),
        as_of,
        region_ids,
    ).group_by(Customer.region_id, Invoice.currency, bucket)
    regions = {r.id: r for r in db.session.scalars(select(Region))}
    lines: dict[tuple[int, str], AgingLine] = {}
    totals: dict[str, AgingLine] = {}
    for region_id, currency, position, amount, count in db.session.execute(query):
        region = regions[region_id]
        line = lines.get((region_id, currency))
        if line is None:
            line = lines[region_id, currency] = AgingLine(
                region_id, region.code, region.name, currency
            )
        total = totals.get(currency)
        if total is None:
            total = totals[currency] = AgingLine(0, "", "", currency)
        for each in (line, total):
            each.amounts[BUCKETS[position]] += amount
            each.invoices += count
    return AgingReport(
        as_of,
        sorted(lines.values(), key=lambda x: (x.region_code, x.currency)),
        [totals[c] for c in sorted(totals)],
    )


def bucket_accounts(
    as_of: date,
    region_ids: list[int] | None,
    region_id: int,
    currency: str,
    bucket: str,
    limit: int = ACCOUNTS_SHOWN,
) -> tuple[list[AgedAccount], int]:
    """The accounts behind one figure of the report, largest amount first (at most
    `limit`), and how many there are in all."""
    if bucket not in BUCKETS:
        raise DomainError("bucket", _l("unknown bucket %(bucket)s", bucket=repr(bucket)))
    position = BUCKETS.index(bucket)
    amount = _open_amount().label("amount")
    query = _open_invoices(
        select(
            Invoice.account_id,
            amount,
            func.count().label("invoices"),
            func.min(Invoice.due_date).label("oldest_due"),
        ),
        as_of,
        region_ids,
    ).where(
        Customer.region_id == region_id,
        Invoice.currency == currency,
        _bucket(as_of) == position,
    )
    grouped = query.group_by(Invoice.account_id).subquery()
    count = db.session.scalar(select(func.count()).select_from(grouped))
    rows = db.session.execute(
        select(
            grouped.c.account_id,
            BillingAccount.ref,
            Customer.name,
            grouped.c.amount,
            grouped.c.invoices,
            grouped.c.oldest_due,
        )
        .join(BillingAccount, BillingAccount.id == grouped.c.account_id)
        .join(Customer, Customer.id == BillingAccount.customer_id)
        .order_by(grouped.c.amount.desc(), BillingAccount.ref)
        .limit(limit)
    )
    return [AgedAccount(*row) for row in rows], count


CSV_COLUMNS = ("region", "currency", *BUCKETS, "total", "invoices")


def csv_lines(report: AgingReport) -> Iterator[str]:
    """The report as CSV, a line per region and currency, then a total line per currency
    (region `*`); amounts in the currency's minor unit."""
    rows = (
        [
            line.region_code or "*",
            line.currency,
            *(round_money(line.amounts[b], line.currency) for b in BUCKETS),
            round_money(line.total, line.currency),
            line.invoices,
        ]
        for line in report.lines + report.totals
    )
    return csv_text.csv_lines(CSV_COLUMNS, rows)
