"""Online payment: a checkout session per attempt to pay through a gateway, and the events
the gateways sent back (docs/online-payment.md). The payment itself is a Payment
(app/models/payments.py); these tables say how it came and stop an event counting twice."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.models.payments import Payment
from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow


class CheckoutStatus(StrEnum):
    CREATED = "created"  # waiting for the customer to pay
    SUCCEEDED = "succeeded"  # paid: the payment is recorded
    DECLINED = "declined"  # the card was refused (its reason in `failure`)
    FAILED = "failed"  # the gateway or the app could not take the money
    EXPIRED = "expired"  # not paid in time


class CheckoutPurpose(StrEnum):
    PAYMENT = "payment"  # an invoice's balance due
    TOPUP = "topup"  # prepaid credit


class CheckoutSession(Model):
    """One attempt to pay online: started by staff (or the portal) for an invoice or a
    top-up, paid on the gateway's page, closed by the gateway's webhook."""

    __tablename__ = "checkout_session"
    __table_args__ = (
        CheckConstraint(one_of("status", CheckoutStatus), name="ck_checkout_session_status"),
        CheckConstraint(one_of("purpose", CheckoutPurpose), name="ck_checkout_session_purpose"),
        CheckConstraint("amount > 0", name="ck_checkout_session_amount"),
        UniqueConstraint("gateway", "provider_ref", name="uq_checkout_session_provider_ref"),
        Index("ix_checkout_session_account", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the customer's link: unguessable, the only key to the public pages
    token: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(5))
    gateway: Mapped[str] = mapped_column(String(16))
    # the gateway's own id of the session, and the page it hosts for paying
    provider_ref: Mapped[str | None] = mapped_column(String(255))
    checkout_url: Mapped[str | None] = mapped_column(String(2000))
    # where the gateway sends the customer back when not to the gateway's own result page
    # (the portal's); the sandbox's card page reads it as a real gateway keeps its own
    return_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default=CheckoutStatus.CREATED, index=True)
    # why it was declined or failed (a code: declined, insufficient_funds, ...)
    failure: Mapped[str | None] = mapped_column(String(200))
    card_last4: Mapped[str | None] = mapped_column(String(4))  # never more of the card
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[BillingAccount] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    payment: Mapped[Payment | None] = relationship()

    def __str__(self) -> str:
        return f"#{self.id}"


class GatewayEvent(Model):
    """An event a gateway sent, once: the same event delivered again is a duplicate."""

    __tablename__ = "gateway_event"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_gateway_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # what the app did with it: paid, declined, failed, ignored, rejected: <reason>
    outcome: Mapped[str] = mapped_column(String(500))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("checkout_session.id"), index=True)
