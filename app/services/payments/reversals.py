"""Reversals: a payment taken back after it was recorded — a card chargeback, a direct
debit returned by the payer's bank, a transfer recalled (docs/payments.md, "Reversals").
The invoices it paid ask for their money again; the ledger takes back what is left of it."""

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.billing import Invoice
from app.models.ledger import EntryKind
from app.models.payments import Payment, PaymentStatus
from app.models.types import utcnow
from app.services.billing import settlement
from app.services.ledger import posting
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.claims import claim
from app.services.platform.errors import DomainError

REASON_LENGTH = Payment.__table__.c.reversal_reason.type.length


def reverse(payment: Payment, reason: str) -> list[Invoice]:
    """Reverse the payment; returns the invoices it had paid, open again. Commits."""
    reason = validation.check_text("reason", validation.required("reason", (reason or "").strip()))
    if len(reason) > REASON_LENGTH:
        raise DomainError("reason", _l("at most %(count)s characters", count=REASON_LENGTH))
    now = utcnow()
    try:
        moved = claim(
            Payment,
            payment.id,
            PaymentStatus.POSTED,
            status=PaymentStatus.REVERSED,
            reversed_at=now,
            reversed_by=current_username(),
            reversal_reason=reason,
        )
        if not moved:
            raise DomainError("payment", _l("the payment was reversed already"))
        reopened = settlement.unsettle(payment, now.date(), reason)
        db.session.refresh(payment)
        taken_back = payment.amount - payment.refunded
        if taken_back > 0:
            posting.entry(
                payment.account_id,
                EntryKind.REVERSAL,
                -taken_back,
                payment.external_ref or f"#{payment.id}",
                payment_id=payment.id,
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(payment)
    return reopened
