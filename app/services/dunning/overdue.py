"""What an account owes past due on a date: its open bills whose due date has passed, less
what they are still paid or credited, less what a hold keeps out (a disputed amount).
Read for thousands of accounts at once, in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, type_coerce

from app.extensions import db
from app.models.billing import Invoice
from app.models.types import ExactDecimal
from app.services.billing import invoice_status
from app.services.dunning import holds
from app.services.platform import bulk


@dataclass
class Overdue:
    account_id: int
    currency: str
    amount: Decimal
    oldest_due_date: date
    invoices: int


def _owed():
    held = holds.held_by_invoice()
    owed = type_coerce(
        Invoice.total - Invoice.credited - Invoice.paid - func.coalesce(held.c.held, 0),
        ExactDecimal(4),
    )
    return held, owed


def by_account(on: date, account_ids=None) -> dict[int, Overdue]:
    """The overdue of every account that has some on the date (of `account_ids` only, when
    given)."""
    held, owed = _owed()
    query = (
        select(
            Invoice.account_id,
            func.min(Invoice.currency),
            type_coerce(func.sum(owed), ExactDecimal(4)),
            func.min(Invoice.due_date),
            func.count(),
        )
        .outerjoin(held, held.c.invoice_id == Invoice.id)
        .where(Invoice.status.in_(invoice_status.OPEN), Invoice.due_date < on, owed > 0)
        .group_by(Invoice.account_id)
    )
    if account_ids is not None:
        query = query.where(bulk.among(Invoice.account_id, list(account_ids)))
    return {row[0]: Overdue(*row) for row in db.session.execute(query)}


@dataclass
class OverdueInvoice:
    number: str
    due_date: date
    owed: Decimal  # what it still asks, less what a hold keeps out


def invoices_by_account(on: date, account_ids) -> dict[int, list[OverdueInvoice]]:
    """The accounts' overdue invoices on the date, oldest first, with what each owes."""
    held, owed = _owed()
    rows = db.session.execute(
        select(Invoice.account_id, Invoice.number, Invoice.due_date, owed)
        .outerjoin(held, held.c.invoice_id == Invoice.id)
        .where(
            bulk.among(Invoice.account_id, list(account_ids)),
            Invoice.status.in_(invoice_status.OPEN),
            Invoice.due_date < on,
            owed > 0,
        )
        .order_by(Invoice.account_id, Invoice.due_date, Invoice.id)
    )
    found: dict[int, list[OverdueInvoice]] = {}
    for account_id, number, due_date, amount in rows:
        found.setdefault(account_id, []).append(OverdueInvoice(number, due_date, amount))
    return found
