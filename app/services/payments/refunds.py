"""Refunds: money given back from what a payment left unallocated (docs/payments.md,
"Refunds"). Money a payment put on invoices is not refunded: a credit note on the invoice
frees it first."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app.extensions import db
from app.models.ledger import EntryKind
from app.models.payments import Payment, PaymentMethod, PaymentPurpose, PaymentStatus, Refund
from app.services.ledger import posting
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError

REASON_LENGTH = Refund.__table__.c.reason.type.length


def refund(payment: Payment, amount, reason: str, method: str | None = None) -> Refund:
    """Give back `amount` of the payment's unallocated part; commits."""
    if payment.status != PaymentStatus.POSTED:
        raise DomainError("payment", _l("a reversed payment has nothing to refund"))
    if not isinstance(amount, Decimal):
        amount = validation.parse_amount("amount", amount, payment.currency)
    amount = validation.check_amount("amount", amount, payment.currency)
    if amount <= 0:
        raise DomainError("amount", _l("more than 0"))
    reason = validation.check_text("reason", validation.required("reason", (reason or "").strip()))
    if len(reason) > REASON_LENGTH:
        raise DomainError("reason", _l("at most %(count)s characters", count=REASON_LENGTH))
    method = validation.check_choice("method", method or payment.method, list(PaymentMethod))
    try:
        moved = db.session.execute(
            update(Payment)
            .where(
                Payment.id == payment.id,
                Payment.status == PaymentStatus.POSTED,
                Payment.refunded + amount + Payment.allocated <= Payment.amount,
            )
            .values(refunded=Payment.refunded + amount)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise DomainError(
                "amount",
                _l("more than the payment has left (%(left)s)", left=payment.unallocated),
            )
        given = Refund(
            payment_id=payment.id,
            amount=amount,
            currency=payment.currency,
            method=method,
            reason=reason,
            username=current_username(),
        )
        db.session.add(given)
        db.session.flush()
        # prepaid credit given back must still be there: usage may have spent it
        posting.entry(
            payment.account_id,
            EntryKind.REFUND,
            -amount,
            f"refund #{given.id}",
            covered=payment.purpose == PaymentPurpose.TOPUP,
            payment_id=payment.id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(payment)
    return given
