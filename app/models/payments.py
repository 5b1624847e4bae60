"""Money coming in: payments, what each one pays (allocations) and the money given back
(refunds). Every movement also posts to the account's ledger (app/models/ledger.py); these
tables say which invoice a payment settled, which the ledger alone cannot."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow


class PaymentMethod(StrEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    DIRECT_DEBIT = "direct_debit"
    VOUCHER = "voucher"


class PaymentPurpose(StrEnum):
    """What the money is for: bills (allocated to invoices, the rest kept as credit for the
    next bill), a deposit held against the account, or prepaid credit to spend."""

    PAYMENT = "payment"
    DEPOSIT = "deposit"
    TOPUP = "topup"


class PaymentStatus(StrEnum):
    POSTED = "posted"
    REVERSED = "reversed"  # a chargeback or a direct debit returned: the money went back


class Payment(Model):
    """Money received for an account, once: a unique external reference (the bank's, the
    gateway's, the mandate's) makes a payment sent twice a duplicate, not a second one."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(one_of("method", PaymentMethod), name="ck_payment_method"),
        CheckConstraint(one_of("purpose", PaymentPurpose), name="ck_payment_purpose"),
        CheckConstraint(one_of("status", PaymentStatus), name="ck_payment_status"),
        CheckConstraint(
            "amount > 0 and allocated >= 0 and refunded >= 0 and allocated + refunded <= amount",
            name="ck_payment_amounts",
        ),
        Index("ix_payment_account_received", "account_id", "received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"))
    method: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16), default=PaymentPurpose.PAYMENT)
    status: Mapped[str] = mapped_column(String(16), default=PaymentStatus.POSTED, index=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[date] = mapped_column(Date)
    # the bank's, the gateway's or the mandate's own reference: unique, so a payment is
    # recorded once however often it is sent
    external_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    # what the payer wrote (the bank transfer's remittance text) and who paid
    reference: Mapped[str] = mapped_column(String(200), default="", server_default="")
    payer: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # where it came from: counter, api, statement, gateway:sandbox, collection, voucher
    source: Mapped[str] = mapped_column(String(32), default="counter", server_default="counter")
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # caches of the allocations and refunds, kept by conditional UPDATEs so two people
    # cannot together spend more than the payment holds
    allocated: Mapped[Decimal] = mapped_column(
        ExactDecimal(4), default=Decimal(0), server_default="0"
    )
    refunded: Mapped[Decimal] = mapped_column(
        ExactDecimal(4), default=Decimal(0), server_default="0"
    )
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_by: Mapped[str | None] = mapped_column(String(128))
    reversal_reason: Mapped[str | None] = mapped_column(String(500))

    account: Mapped[BillingAccount] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment", order_by="PaymentAllocation.id"
    )
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def unallocated(self) -> Decimal:
        """What is left to pay bills with (the account's credit from this payment)."""
        if self.status == PaymentStatus.REVERSED:
            return Decimal(0)
        return self.amount - self.allocated - self.refunded

    def __str__(self) -> str:
        return f"#{self.id}"


class PaymentAllocation(Model):
    """Part of a payment settling an invoice; append-only: taking it back (a reversal, a
    credit note on a paid invoice) is a row of the opposite sign."""

    __tablename__ = "payment_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(128))

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship()


class Refund(Model):
    """Money given back from what a payment left unallocated (its credit)."""

    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_refund_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")

    def __str__(self) -> str:
        return f"#{self.id}"
