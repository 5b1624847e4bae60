"""An invoice's status after its issue, derived from the money against it
(docs/payments.md, "Invoices and their status"): issued → partially paid → paid, overdue
once its due date has passed with money still asked, credited when credit notes took all
of it, void when cancelled. Each move is recorded, with who, when and why."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app.extensions import db
from app.models.billing import Invoice, InvoiceStatus, InvoiceStatusChange
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError

IS = InvoiceStatus
# invoices that still ask for money
OPEN = (IS.ISSUED, IS.PARTIALLY_PAID, IS.OVERDUE)
# where money may still move: what asks for it, and what payments or credit notes settled
SETTLED = (*OPEN, IS.PAID)


def derived(invoice: Invoice, today: date) -> str:
    """The status the invoice's amounts give it (a void invoice stays void)."""
    if invoice.status in (IS.VOID, IS.DRAFT):
        return invoice.status
    if invoice.credited >= invoice.total:
        return IS.CREDITED
    if invoice.balance_due <= 0:
        return IS.PAID
    # becoming overdue is the daily job's (mark_overdue); an invoice re-opened (a payment
    # reversed) is overdue at once when its due date has passed
    if invoice.status == IS.OVERDUE or (invoice.status not in OPEN and invoice.due_date < today):
        return IS.OVERDUE
    return IS.PARTIALLY_PAID if invoice.paid > 0 else IS.ISSUED


def move(invoice: Invoice, to_status: str, reason: str | None, *conditions) -> None:
    """Move the invoice on with a conditional UPDATE (first thing in the transaction, so a
    second user acting on it at once waits, then finds it moved)."""
    current = invoice.status
    result = db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.status == current, *conditions)
        .values(status=to_status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError("status", _l("the invoice was changed meanwhile: reload it"))
    db.session.add(
        InvoiceStatusChange(
            invoice_id=invoice.id,
            from_status=current,
            to_status=to_status,
            reason=reason,
            username=current_username(),
        )
    )
    db.session.expire(invoice, ["status", "changes"])


def restate(invoice: Invoice, today: date, reason: str | None) -> None:
    """After money moved against the invoice: its amounts read again, its status follows."""
    db.session.refresh(invoice, ["status", "paid", "credited"])
    status = derived(invoice, today)
    if status != invoice.status:
        move(invoice, status, reason)
