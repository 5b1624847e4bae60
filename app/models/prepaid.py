"""Prepaid money: voucher batches and their vouchers, the redemption attempts of each line
(wrong PINs block a line for an hour), and the low-balance notices sent to customers
(docs/prepaid.md)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.communications import Communication
from app.models.crm import BillingAccount, Service
from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow
from app.models.usage import BIG_ID


class VoucherStatus(StrEnum):
    UNUSED = "unused"
    REDEEMED = "redeemed"
    VOID = "void"  # its batch was cancelled before it was used


class AttemptOutcome(StrEnum):
    REDEEMED = "redeemed"
    WRONG = "wrong"  # no voucher has this PIN: counts towards the line's block
    USED = "used"
    EXPIRED = "expired"
    VOID = "void"
    BLOCKED = "blocked"  # refused unread: the line gave too many wrong PINs


class VoucherBatch(Model):
    """Vouchers printed together: one face value, currency and expiry date."""

    __tablename__ = "voucher_batch"
    __table_args__ = (
        CheckConstraint("quantity > 0 and face_value > 0", name="ck_voucher_batch_amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column()
    face_value: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    expires_on: Mapped[date] = mapped_column(Date)  # the last day a voucher may be used
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(128))

    def __str__(self) -> str:
        return f"#{self.id}"


class Voucher(Model):
    """One card: its printed serial number, and its secret PIN as a keyed hash only (the
    PIN itself is shown once, when the batch is made, and never stored)."""

    __tablename__ = "voucher"
    __table_args__ = (
        CheckConstraint(one_of("status", VoucherStatus), name="ck_voucher_status"),
        Index("ix_voucher_batch_status", "batch_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("voucher_batch.id"))
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=VoucherStatus.UNUSED)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("billing_account.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    username: Mapped[str | None] = mapped_column(String(128))

    batch: Mapped[VoucherBatch] = relationship()
    account: Mapped[BillingAccount | None] = relationship()

    def __str__(self) -> str:
        return self.serial


class VoucherAttempt(Model):
    """A line's try at redeeming a PIN, kept whatever came of it: the wrong ones of the last
    hour decide whether the line may try again."""

    __tablename__ = "voucher_attempt"
    __table_args__ = (
        CheckConstraint(one_of("outcome", AttemptOutcome), name="ck_voucher_attempt_outcome"),
        Index("ix_voucher_attempt_service_at", "service_id", "at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    username: Mapped[str] = mapped_column(String(128))

    service: Mapped[Service] = relationship()


class LowBalanceNotice(Model):
    """The email telling a customer the prepaid balance fell below the threshold: one per
    crossing. `entry_id` is the account's last ledger entry when it was sent; a credit after
    it that lifts the balance to the threshold again re-arms the notice."""

    __tablename__ = "low_balance_notice"
    __table_args__ = (
        UniqueConstraint("account_id", "entry_id", name="uq_low_balance_notice_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"))
    entry_id: Mapped[int] = mapped_column(BIG_ID)
    balance: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    threshold: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    communication_id: Mapped[int] = mapped_column(ForeignKey("communication.id"), unique=True)

    account: Mapped[BillingAccount] = relationship()
    communication: Mapped[Communication] = relationship()
