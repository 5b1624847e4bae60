"""Checkout sessions (docs/online-payment.md): one per attempt to pay online, for an open
invoice's balance due or a prepaid top-up of the customer's choosing, on the gateway
PAYMENT_GATEWAY names. Staff start them from the invoice or the account page, the portal
from its invoice list; the customer pays on the gateway's page and the gateway's webhook
closes the session (app/services/gateway/webhooks.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount, PaymentMode
from app.models.gateway import CheckoutPurpose, CheckoutSession, CheckoutStatus
from app.models.payments import PaymentMethod
from app.models.types import utcnow
from app.services.billing import invoice_status
from app.services.gateway import registry
from app.services.gateway.interface import PAID, Event
from app.services.payments import payments
from app.services.platform import language, validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import scoped_get

# what each event outcome makes of a session still open
CLOSING = {
    "declined": CheckoutStatus.DECLINED,
    "failed": CheckoutStatus.FAILED,
    "expired": CheckoutStatus.EXPIRED,
}


def start(
    account: BillingAccount,
    *,
    invoice: Invoice | None = None,
    amount=None,
    return_to: str | None = None,
) -> CheckoutSession:
    """A checkout for the invoice's balance due, or (no invoice: a prepaid account) a
    top-up of `amount`; opened on the gateway, committed. DomainError when refused.
    `return_to`: the endpoint (taking the session's `token`) the gateway sends the customer
    back to, the portal's result page; by default the gateway's own result page."""
    if invoice is not None:
        if invoice.account_id != account.id:
            raise DomainError("invoice", _l("the invoice is not the account's"))
        if invoice.status not in invoice_status.OPEN or invoice.balance_due <= 0:
            raise DomainError("invoice", _l("invoice %(number)s asks for nothing",
                                            number=invoice.number))  # fmt: skip
        purpose, amount = CheckoutPurpose.PAYMENT, invoice.balance_due
    else:
        if account.payment_mode != PaymentMode.PREPAID:
            raise DomainError("amount", _l("only a prepaid account is topped up"))
        purpose, amount = CheckoutPurpose.TOPUP, _topup_amount(amount, account.currency)
    gateway = registry.current()
    now = utcnow()
    session = CheckoutSession(
        token=secrets.token_urlsafe(32),
        account_id=account.id,
        invoice_id=invoice.id if invoice is not None else None,
        purpose=purpose,
        amount=amount,
        currency=account.currency,
        language=invoice.language if invoice is not None else language.account_language(account),
        gateway=gateway.name,
        username=current_username(),
        created_at=now,
        expires_at=now + timedelta(seconds=current_app.config["CHECKOUT_SESSION_TTL"]),
    )
    session.account, session.invoice = account, invoice
    if return_to is not None:
        session.return_url = url_for(return_to, token=session.token, _external=True)
    try:
        back = session.return_url or url_for("gateway.result", token=session.token,
                                             _external=True)  # fmt: skip
        opened = gateway.open(session, back)
        session.provider_ref, session.checkout_url = opened.provider_ref, opened.checkout_url
        db.session.add(session)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return session


def by_token(token: str) -> CheckoutSession:
    """The session a customer's link names; one past its time is marked expired."""
    session = db.session.scalar(select(CheckoutSession).where(CheckoutSession.token == token))
    if session is None:
        raise NotFound("token", _l("no such payment link"))
    if session.status == CheckoutStatus.CREATED and session.expires_at <= utcnow():
        session.status, session.completed_at = CheckoutStatus.EXPIRED, utcnow()
        db.session.commit()
    return session


def by_provider_ref(gateway: str, ref: str) -> CheckoutSession | None:
    return db.session.scalar(
        select(CheckoutSession).where(
            CheckoutSession.gateway == gateway, CheckoutSession.provider_ref == ref
        )
    )


def get(session_id: int, region_ids) -> CheckoutSession:
    return scoped_get(
        CheckoutSession, session_id, region_ids, "session", _l("no such online payment")
    )


def apply(session: CheckoutSession, event: Event) -> str:
    """What a gateway's event makes of the session; the outcome, for the event's record.
    A payment is recorded once whatever happens around it: its external reference is the
    gateway's own id of the money taken."""
    if event.outcome == PAID:
        return _paid(session, event)
    if session.status != CheckoutStatus.CREATED:
        return f"ignored: the session is {session.status}"
    session.status = CLOSING[event.outcome]
    session.failure = (event.failure or event.outcome)[:200]
    session.card_last4 = _last4(event.card_last4)
    session.completed_at = utcnow()
    db.session.commit()
    return session.status


def _paid(session: CheckoutSession, event: Event) -> str:
    invoice = session.invoice
    # the invoice paid meanwhile another way: the money settles the oldest open bills,
    # or stays as credit for the next one
    chosen = [invoice.id] if invoice is not None and invoice.status in invoice_status.OPEN else None
    try:
        recorded = payments.record(
            session.account,
            event.amount if event.amount is not None else session.amount,
            event.currency or session.currency,
            PaymentMethod.CARD,
            purpose=session.purpose,
            external_ref=f"{event.provider}:{event.payment_ref}",
            reference=invoice.number if invoice is not None else session.token[:12],
            source=f"gateway:{event.provider}",
            invoice_ids=chosen,
        )
    except DomainError as exc:
        # the money was taken but the app refuses it (the account closed meanwhile): kept
        # on the session with its reason for billing staff to refund
        db.session.rollback()
        session.status, session.failure = CheckoutStatus.FAILED, exc.message[:200]
        session.completed_at = utcnow()
        db.session.commit()
        return f"rejected: {exc.message}"
    session.status, session.failure = CheckoutStatus.SUCCEEDED, None
    session.payment_id = recorded.payment.id
    session.card_last4 = _last4(event.card_last4) or session.card_last4
    session.completed_at = session.completed_at or utcnow()
    db.session.commit()
    return "duplicate payment" if recorded.duplicate else "paid"


def _topup_amount(amount, currency: str) -> Decimal:
    if not isinstance(amount, Decimal):
        amount = validation.parse_amount("amount", amount, currency)
    amount = validation.check_amount("amount", amount, currency)
    limits = current_app.config["TOPUP_LIMITS"].get(currency)
    if limits is None:
        raise DomainError("currency", _l("no online top-up in %(currency)s", currency=currency))
    least, most = (Decimal(v) for v in limits)
    if not least <= amount <= most:
        raise DomainError("amount", _l("between %(least)s and %(most)s", least=least, most=most))
    return amount


def _last4(value) -> str | None:
    return value[-4:] if isinstance(value, str) and value[-4:].isdigit() else None
