"""Bill disputes (issue 21): a customer's complaint about an invoice, or about some of its
lines, for an amount; decided once — accepted in full or in part with a credit note, or
rejected with the reason told to the customer — and kept with every step of its history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.billing import CreditNote, Invoice, InvoiceLine
from app.models.communications import Communication
from app.models.crm import BillingAccount
from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow


class DisputeStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"


class Dispute(Model):
    __tablename__ = "dispute"
    __table_args__ = (
        CheckConstraint(one_of("status", DisputeStatus), name="ck_dispute_status"),
        CheckConstraint("amount > 0", name="ck_dispute_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    # the invoice's, kept here so that region scope and lists need no join
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    # what the customer disputes, VAT included, as the invoice's total is
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(24), default=DisputeStatus.OPEN, index=True)
    opened_by: Mapped[str] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # set by the decision: what was credited (0 when rejected), the note that credited it
    # and the message that told the customer
    credited: Mapped[Decimal | None] = mapped_column(ExactDecimal(4))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_note.id"))
    communication_id: Mapped[int | None] = mapped_column(ForeignKey("communication.id"))

    invoice: Mapped[Invoice] = relationship()
    account: Mapped[BillingAccount] = relationship()
    credit_note: Mapped[CreditNote | None] = relationship()
    communication: Mapped[Communication | None] = relationship()
    lines: Mapped[list[DisputeLine]] = relationship(
        back_populates="dispute", order_by="DisputeLine.id"
    )
    changes: Mapped[list[DisputeChange]] = relationship(
        back_populates="dispute", order_by="DisputeChange.id"
    )

    @property
    def ref(self) -> str:
        return f"D-{self.id:06d}"

    def __str__(self) -> str:
        return self.ref


class DisputeLine(Model):
    """The part of one invoice line a dispute is about, net of VAT as the line is."""

    __tablename__ = "dispute_line"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_dispute_line_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    invoice_line_id: Mapped[int] = mapped_column(ForeignKey("invoice_line.id"))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))

    dispute: Mapped[Dispute] = relationship(back_populates="lines")
    invoice_line: Mapped[InvoiceLine] = relationship()


class DisputeChange(Model):
    """One step of a dispute (opened, decided) with who, when, why and the amount it
    concerned; append-only."""

    __tablename__ = "dispute_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    reason: Mapped[str | None] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(128))

    dispute: Mapped[Dispute] = relationship(back_populates="changes")
