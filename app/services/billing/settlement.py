"""Which invoices a payment settles (docs/payments.md, "Allocation").

A payment for bills goes to the account's oldest open invoices first (by due date), or to
the invoices the payer chose; what is left stays on the payment as the account's credit,
and the account's next bill takes it. Allocations are append-only: taking one back (a
reversal, a credit note on a paid invoice) writes a row of the opposite sign.

Both sides move by conditional UPDATEs in the caller's transaction — the invoice's `paid`
never above what it asks, the payment's `allocated` never above what it holds — so two
payments settling one invoice at once cannot overpay it, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.billing import Invoice
from app.models.payments import Payment, PaymentAllocation, PaymentPurpose, PaymentStatus
from app.models.types import utcnow
from app.services.billing import invoice_status
from app.services.platform import bulk
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError

# the order a payment settles an account's invoices in: the oldest debt first
OLDEST_FIRST = (Invoice.due_date, Invoice.issue_date, Invoice.id)


def open_invoices(account_id: int) -> list[Invoice]:
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.account_id == account_id, Invoice.status.in_(invoice_status.OPEN))
            .order_by(*OLDEST_FIRST)
        )
    )


def invoice_allocations(invoice_id: int) -> list[PaymentAllocation]:
    """What payments settled (and took back from) the invoice, in order."""
    return list(
        db.session.scalars(
            select(PaymentAllocation)
            .where(PaymentAllocation.invoice_id == invoice_id)
            .options(selectinload(PaymentAllocation.payment))
            .order_by(PaymentAllocation.id)
        )
    )


def chosen_invoices(
    account_id: int, invoice_ids: list[int], found: dict[int, Invoice] | None = None
) -> list[Invoice]:
    """The invoices a payer chose, in the order given; each must be an open invoice of the
    account. `found`: the invoices by id, read already (many payments at once)."""
    if found is None:
        found = {
            invoice.id: invoice
            for invoice in db.session.scalars(select(Invoice).where(Invoice.id.in_(invoice_ids)))
        }
    chosen = []
    for invoice_id in dict.fromkeys(invoice_ids):
        invoice = found.get(invoice_id)
        if invoice is None or invoice.account_id != account_id:
            raise DomainError(
                "invoices", _l("invoice %(id)s is not one of the account's", id=invoice_id)
            )
        if invoice.status not in invoice_status.OPEN:
            raise DomainError(
                "invoices", _l("invoice %(number)s asks for nothing", number=invoice.number)
            )
        chosen.append(invoice)
    return chosen


def allocate(payment: Payment, invoices: list[Invoice], today: date) -> Decimal:
    """Settle the invoices in order with what the payment has left; returns what was
    allocated. Each invoice gets what it still asks, or what is left."""
    allocated = Decimal(0)
    for invoice in invoices:
        left = _unallocated(payment.id)
        if left <= 0:
            break
        db.session.refresh(invoice, ["paid", "credited", "status"])
        amount = share(left, invoice)
        if amount <= 0:
            continue
        _settle(payment.id, invoice, amount, today)
        allocated += amount
    return allocated


def in_order(chosen: list[Invoice] | None, open_: list[Invoice]) -> list[Invoice]:
    """The invoices a payment settles, in order: those the payer chose first, then the
    account's other open ones, oldest first."""
    if chosen is None:
        return open_
    return chosen + [invoice for invoice in open_ if invoice not in chosen]


def share(left: Decimal, invoice: Invoice) -> Decimal:
    """What of `left` goes to the invoice: what it still asks, or what is left; nothing
    to an invoice that asks for nothing."""
    if invoice.status not in invoice_status.OPEN:
        return Decimal(0)
    return min(left, invoice.balance_due)


def apply_credit(account_ids: list[int], today: date) -> None:
    """The credit payments left on the accounts (overpayments, released allocations) goes
    to their open invoices, oldest payment to oldest invoice: what a bill run does after
    writing its bills, in its transaction."""
    if not account_ids:
        return
    payments = db.session.scalars(
        select(Payment)
        .where(
            bulk.among(Payment.account_id, account_ids),
            Payment.purpose == PaymentPurpose.PAYMENT,
            Payment.status == PaymentStatus.POSTED,
            Payment.amount > Payment.allocated + Payment.refunded,
        )
        .order_by(Payment.account_id, Payment.received_on, Payment.id)
    ).all()
    for payment in payments:
        allocate(payment, open_invoices(payment.account_id), today)


def release_excess(invoice: Invoice, today: date, reason: str | None) -> None:
    """A credit note took the invoice below what payments covered: the excess goes back to
    the payments, newest first, and from there to the account's other open invoices."""
    db.session.refresh(invoice, ["paid", "credited", "total", "status"])
    excess = invoice.paid - (invoice.total - invoice.credited)
    released: list[Payment] = []
    for payment_id, net in reversed(_net_allocations(invoice.id)):
        if excess <= 0:
            break
        amount = min(excess, net)
        _settle(payment_id, invoice, -amount, today, reason)
        released.append(db.session.get(Payment, payment_id))
        excess -= amount
    for payment in released:
        allocate(payment, open_invoices(invoice.account_id), today)


def unsettle(payment: Payment, today: date, reason: str | None) -> list[Invoice]:
    """Take back every allocation of the payment (it was reversed); returns the invoices
    re-opened."""
    reopened = []
    net = db.session.execute(
        select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount))
        .where(PaymentAllocation.payment_id == payment.id)
        .group_by(PaymentAllocation.invoice_id)
        .order_by(PaymentAllocation.invoice_id)
    ).all()
    for invoice_id, amount in net:
        if amount > 0:
            invoice = db.session.get(Invoice, invoice_id)
            _settle(payment.id, invoice, -amount, today, reason)
            reopened.append(invoice)
    return reopened


def _net_allocations(invoice_id: int) -> list[tuple[int, Decimal]]:
    """(payment, what it still pays of the invoice), oldest payment first."""
    rows = db.session.execute(
        select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.amount))
        .where(PaymentAllocation.invoice_id == invoice_id)
        .group_by(PaymentAllocation.payment_id)
        .order_by(PaymentAllocation.payment_id)
    ).all()
    return [(payment_id, amount) for payment_id, amount in rows if amount > 0]


def _unallocated(payment_id: int) -> Decimal:
    payment = db.session.execute(
        select(Payment.amount, Payment.allocated, Payment.refunded, Payment.status).where(
            Payment.id == payment_id
        )
    ).one()
    if payment.status != PaymentStatus.POSTED:
        return Decimal(0)
    return payment.amount - payment.allocated - payment.refunded


def _settle(
    payment_id: int, invoice: Invoice, amount: Decimal, today: date, reason: str | None = None
) -> None:
    """Move `amount` of the payment onto the invoice (negative: back off it)."""
    moved = db.session.execute(
        update(Invoice)
        .where(
            Invoice.id == invoice.id,
            Invoice.paid + amount >= 0,
            Invoice.paid + amount + Invoice.credited <= Invoice.total,
        )
        .values(paid=Invoice.paid + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise DomainError("amount", _l("more than the invoice asks for: reload it"))
    moved = db.session.execute(
        update(Payment)
        .where(
            Payment.id == payment_id,
            Payment.allocated + amount >= 0,
            Payment.allocated + amount + Payment.refunded <= Payment.amount,
        )
        .values(allocated=Payment.allocated + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise DomainError("amount", _l("more than the payment has left: reload it"))
    db.session.add(
        PaymentAllocation(
            payment_id=payment_id,
            invoice_id=invoice.id,
            amount=amount,
            created_at=utcnow(),
            username=current_username(),
        )
    )
    invoice_status.restate(invoice, today, reason)
