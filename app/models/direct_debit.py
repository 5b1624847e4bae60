"""SEPA direct debit (docs/direct-debit.md): the mandates customers sign, the collection
runs that turn open invoices into a pain.008 file, and each debit in it, with its return
when the debtor's bank sends the money back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.billing import Invoice
from app.models.crm import BillingAccount, Region
from app.models.payments import Payment
from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow


class MandateStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class Sequence(StrEnum):
    """SEPA's sequence type: the first debit under a mandate, then the recurring ones."""

    FIRST = "FRST"
    RECURRING = "RCUR"


class ItemStatus(StrEnum):
    COLLECTED = "collected"
    RETURNED = "returned"  # the debtor's bank sent it back: the payment is reversed


ACTIVE_MANDATE = text("status = 'active'")


class Mandate(Model):
    """The debtor's signed permission to debit an account. Never edited once signed: a new
    bank account is a new mandate, and a revoked one stays as history."""

    __tablename__ = "mandate"
    __table_args__ = (
        CheckConstraint(one_of("status", MandateStatus), name="ck_mandate_status"),
        # one mandate collects an account at a time
        Index(
            "uq_mandate_active_account",
            "account_id",
            unique=True,
            sqlite_where=ACTIVE_MANDATE,
            postgresql_where=ACTIVE_MANDATE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    # the unique mandate reference (UMR) the creditor gives it
    reference: Mapped[str] = mapped_column(String(35), unique=True)
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11), default="", server_default="")
    debtor_name: Mapped[str] = mapped_column(String(70))
    signed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=MandateStatus.ACTIVE)
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revoked_by: Mapped[str | None] = mapped_column(String(128))
    revocation_reason: Mapped[str | None] = mapped_column(String(500))

    account: Mapped[BillingAccount] = relationship()

    def __str__(self) -> str:
        return self.reference


class CollectionRun(Model):
    """One region's collection on a date: the pain.008 file sent to the creditor's bank."""

    __tablename__ = "collection_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    collection_date: Mapped[date] = mapped_column(Date, index=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    debits: Mapped[int] = mapped_column()
    total: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    file: Mapped[bytes] = mapped_column(LargeBinary)
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="run", order_by="CollectionItem.id"
    )

    def __str__(self) -> str:
        return f"#{self.id}"


class CollectionItem(Model):
    """One debit of a run: an account's open invoices under its mandate, paid by a payment
    whose external reference is the debit's end-to-end id."""

    __tablename__ = "collection_item"
    __table_args__ = (
        CheckConstraint(one_of("status", ItemStatus), name="ck_collection_item_status"),
        CheckConstraint(one_of("sequence", Sequence), name="ck_collection_item_sequence"),
        CheckConstraint("amount > 0", name="ck_collection_item_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("collection_run.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandate.id"), index=True)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    sequence: Mapped[str] = mapped_column(String(4))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.COLLECTED, index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    return_code: Mapped[str | None] = mapped_column(String(4))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by: Mapped[str | None] = mapped_column(String(128))

    run: Mapped[CollectionRun] = relationship(back_populates="items")
    account: Mapped[BillingAccount] = relationship()
    mandate: Mapped[Mandate] = relationship()
    payment: Mapped[Payment | None] = relationship()
    invoices: Mapped[list[CollectedInvoice]] = relationship(back_populates="item")

    def __str__(self) -> str:
        return self.end_to_end_id


class CollectedInvoice(Model):
    """An invoice a debit collects. Unique per invoice: a run on the same date again, or two
    runs at once, never collect an invoice twice; one returned is left to dunning."""

    __tablename__ = "collected_invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("collection_item.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))

    item: Mapped[CollectionItem] = relationship(back_populates="invoices")
    invoice: Mapped[Invoice] = relationship()
