"""A statement of account (docs/portal.md, "Bills"): what an account's ledger holds for
a range of days on its region's calendar — the balance before it, every entry (bills,
payments, credit notes, refunds, …) with the balance it left, the balance after it — as a
PDF in the account's language, headed like its bills (billing/pdf.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.ledger import EntryKind, LedgerEntry
from app.services.billing import balance_forward, pdf
from app.services.platform import validation
from app.services.platform.errors import DomainError
from app.services.platform.language import account_language

TEMPLATE = "pdf/statement.html"
# the longest range one statement covers
MAX_YEARS = 3


@dataclass
class Entry:
    posted_at: datetime
    kind: str
    reference: str
    amount: Decimal  # positive: in the customer's favour
    balance: Decimal  # after it


@dataclass
class Statement:
    account: BillingAccount
    start: date
    end: date  # the last day, included
    opening: Decimal
    entries: list[Entry]
    closing: Decimal


def check_range(start_text: str, end_text: str, today: date) -> tuple[date, date]:
    """The days asked for, [from, to]: both given, in order, not in the future, at most
    MAX_YEARS long. DomainError naming the field otherwise."""
    start = validation.required("from", validation.check_date("from", (start_text or "").strip()))
    end = validation.required("to", validation.check_date("to", (end_text or "").strip()))
    if start > today:
        raise DomainError("from", _l("the date is in the future"))
    if end < start:
        raise DomainError("to", _l("the end comes before the start"))
    if end > _years_after(start, MAX_YEARS):
        raise DomainError("to", _l("at most %(years)s years at a time", years=MAX_YEARS))
    return start, min(end, today)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def statement(account: BillingAccount, start: date, end: date) -> Statement:
    """The account's ledger over the days [start, end] of its region's calendar. The
    balances are sums of entries, so they hold whatever order the entries were posted in."""
    zone = ZoneInfo(account.customer.region.timezone)
    since, until = _moment(start, zone), _moment(end + timedelta(days=1), zone)
    of_account = LedgerEntry.account_id == account.id
    opening = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            of_account, LedgerEntry.posted_at < since
        )
    )
    balance = Decimal(opening)
    entries = []
    for row in db.session.scalars(
        select(LedgerEntry)
        .where(of_account, LedgerEntry.posted_at >= since, LedgerEntry.posted_at < until)
        .order_by(LedgerEntry.posted_at, LedgerEntry.id)
    ):
        balance += row.amount
        entries.append(Entry(row.posted_at, row.kind, row.reference, row.amount, balance))
    return Statement(account, start, end, Decimal(opening), entries, balance)


def _moment(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def render(found: Statement) -> bytes:
    """The statement as PDF, in the account's language."""
    account = found.account
    language = account_language(account)
    return pdf.render_template(
        TEMPLATE,
        language,
        lambda: _context(found, language),
        f"statement of account {account.ref}",
    )


def _context(found: Statement, language: str) -> dict:
    """As the bills state a balance: what is owed positive, what is in the customer's
    favour negative."""
    account = found.account
    customer = account.customer
    zone = ZoneInfo(customer.region.timezone)
    formats = pdf.Formats(language, account.currency, zone)
    return {
        **pdf.parties(customer, account, language),
        "start": formats.date(found.start, "long"),
        "end": formats.date(found.end, "long"),
        "opening": formats.money(-found.opening),
        "closing": formats.money(-found.closing),
        "entries": [
            {
                "date": formats.date(entry.posted_at.astimezone(zone).date()),
                "what": _label(entry.kind),
                "reference": entry.reference,
                "amount": formats.money(-entry.amount),
                "balance": formats.money(-entry.balance),
            }
            for entry in found.entries
        ],
    }


def _label(kind: str) -> str:
    if kind == EntryKind.INVOICE:
        return gettext("Bill")
    return balance_forward.label(kind)
