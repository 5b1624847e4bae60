"""Bank statements read for reconciliation (docs/reconciliation.md): each import, and
every credit entry it brought, matched to a payment or waiting in the unmatched queue."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.billing import Invoice
from app.models.crm import BillingAccount, Region
from app.models.imports import ImportBatch
from app.models.payments import Payment
from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow


class EntryStatus(StrEnum):
    MATCHED = "matched"  # recorded as a payment, by a rule or by staff
    UNMATCHED = "unmatched"  # waiting for staff
    RETURNED = "returned"  # staff sent the money back to the payer


class MatchRule(StrEnum):
    """What found the entry's account."""

    INVOICE = "invoice"  # an invoice number in the reference
    PAYMENT_REFERENCE = "payment_reference"  # the bill's RF creditor reference
    ACCOUNT = "account"  # an account_ref in the reference
    STAFF = "staff"  # assigned by hand from the queue


class StatementImport(Model):
    """One statement file read: its import batch (read, rejects, duplicates) and what the
    entries became."""

    __tablename__ = "statement_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), unique=True)
    format: Mapped[str] = mapped_column(String(16))
    # the statement's own account (camt.053 Stmt/Acct/Id/IBAN), when it says
    iban: Mapped[str] = mapped_column(String(34), default="", server_default="")
    matched: Mapped[int] = mapped_column(default=0)
    unmatched: Mapped[int] = mapped_column(default=0)

    batch: Mapped[ImportBatch] = relationship()

    def __str__(self) -> str:
        return f"#{self.id}"


class StatementEntry(Model):
    """A credit entry of a statement, kept whatever became of it; its bank_ref is unique,
    so a statement read twice records nothing twice."""

    __tablename__ = "statement_entry"
    __table_args__ = (
        CheckConstraint(one_of("status", EntryStatus), name="ck_statement_entry_status"),
        Index("ix_statement_entry_status_booked", "status", "booking_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("statement_import.id"), index=True)
    line: Mapped[int] = mapped_column()  # CSV: the line; camt.053: the entry's position
    bank_ref: Mapped[str] = mapped_column(String(95), unique=True)
    booking_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(200), default="", server_default="")
    payer: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # the region whose bank account received it (by the statement's IBAN), when known
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(20))
    # why it waits (unmatched), or the note of whoever resolved it
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("billing_account.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    statement: Mapped[StatementImport] = relationship()
    region: Mapped[Region | None] = relationship()
    account: Mapped[BillingAccount | None] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    payment: Mapped[Payment | None] = relationship()

    def __str__(self) -> str:
        return self.bank_ref
