"""What the operator sent an account, and how: bills by email, letters queued for printing
and the print batches that carry them (docs/formats.md `communications`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.models.types import UTCDateTime, utcnow


class CommunicationKind(StrEnum):
    INVOICE = "invoice"
    LOW_BALANCE = "low_balance"  # a prepaid balance fell below its threshold
    # dunning (docs/dunning.md)
    REMINDER = "reminder"  # by email
    REMINDER_SMS = "reminder_sms"
    DUNNING_LETTER = "dunning_letter"  # a PDF, by email or on paper
    DISPUTE_DECISION = "dispute_decision"  # a bill dispute decided, and why
    TICKET_UPDATE = "ticket_update"  # a trouble ticket opened, waiting for the customer, resolved
    PLANNED_WORK = "planned_work"  # planned works will interrupt the customer's lines
    # the portal (docs/portal.md): a link to set one's password, or to reset it
    PORTAL_INVITATION = "portal_invite"
    PASSWORD_RESET = "password_reset"


class CommunicationStatus(StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt, or for a print batch
    SENT = "sent"  # handed to the mail server, or printed in a batch
    FAILED = "failed"  # every attempt failed, or nowhere to send it
    AVAILABLE = "available"  # on the portal; nothing is sent


class PrintBatch(Model):
    """Letters printed together: one merged PDF, kept with its checksum."""

    __tablename__ = "print_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(128))
    documents: Mapped[int] = mapped_column()
    pages: Mapped[int] = mapped_column()
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))

    def __str__(self) -> str:
        return f"#{self.id}"


class Communication(Model):
    __tablename__ = "communication"
    __table_args__ = (
        # a bill is delivered once, however often delivery is run
        UniqueConstraint("invoice_id", "kind", name="uq_communication_invoice_kind"),
        Index("ix_communication_status_next", "status", "next_attempt_at"),
        CheckConstraint(
            "status in ('queued', 'sent', 'failed', 'available')", name="ck_communication_status"
        ),
        CheckConstraint(
            "channel in ('email', 'post', 'portal', 'sms')", name="ck_communication_channel"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str | None] = mapped_column(String(320))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    status: Mapped[str] = mapped_column(String(16), default=CommunicationStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    print_batch_id: Mapped[int | None] = mapped_column(ForeignKey("print_batch.id"), index=True)
    # a dunning message's text and figures as they were when it was written, so that
    # sending or printing it later says the same (app/services/dunning/messages.py)
    body: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    account: Mapped[BillingAccount] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    print_batch: Mapped[PrintBatch | None] = relationship()

    def __str__(self) -> str:
        return self.subject
