"""Customer care's log of contacts (issue 21): every call, visit, email, chat or portal
message with a customer, who handled it and what was said, and the files kept with it
(voice recordings, scanned documents). The log is append-only: a correction is a new entry
naming the one it corrects. The files' content lives outside the database, in the
attachment store (app/services/care/storage.py), under its SHA-256."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.crm import BillingAccount, Customer, Service
from app.models.types import UTCDateTime, one_of, utcnow


class InteractionChannel(StrEnum):
    CALL = "call"
    VISIT = "visit"  # at a shop or a customer's premises
    EMAIL = "email"
    CHAT = "chat"
    PORTAL = "portal"  # a message through the self-service portal


class InteractionDirection(StrEnum):
    INBOUND = "inbound"  # the customer contacted the operator
    OUTBOUND = "outbound"


class AttachmentKind(StrEnum):
    """What a file's content is (its first bytes say so, never its name)."""

    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"
    MP3 = "mp3"
    WAV = "wav"
    OGG = "ogg"
    M4A = "m4a"


class Interaction(Model):
    __tablename__ = "interaction"
    __table_args__ = (
        CheckConstraint(one_of("channel", InteractionChannel), name="ck_interaction_channel"),
        CheckConstraint(one_of("direction", InteractionDirection), name="ck_interaction_direction"),
        # the customer's timeline and list, newest first, a page at a time
        Index("ix_interaction_customer_at", "customer_id", "at", "id"),
        # the list of every customer of the user's regions, newest first
        Index("ix_interaction_at", "at", "id"),
        Index("ix_interaction_username_at", "username", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    # the account and the line the contact was about, when it was about one
    account_id: Mapped[int | None] = mapped_column(ForeignKey("billing_account.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    # when the contact took place (a call is often logged after it ended)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text)
    # the agent: the staff member who handled the contact and logged it
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the entry this one corrects (entries are never edited)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("interaction.id"), index=True)

    customer: Mapped[Customer] = relationship()
    account: Mapped[BillingAccount | None] = relationship()
    service: Mapped[Service | None] = relationship()
    corrects: Mapped[Interaction | None] = relationship(remote_side=[id])
    attachments: Mapped[list[InteractionAttachment]] = relationship(
        back_populates="interaction", order_by="InteractionAttachment.id"
    )

    def __str__(self) -> str:
        return f"INT-{self.id:06d}"


class InteractionAttachment(Model):
    """A file kept with an interaction; its bytes are in the attachment store under
    `sha256`, so the same file attached twice is stored once."""

    __tablename__ = "interaction_attachment"
    __table_args__ = (
        CheckConstraint(one_of("kind", AttachmentKind), name="ck_interaction_attachment_kind"),
        CheckConstraint("size > 0", name="ck_interaction_attachment_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interaction.id"), index=True)
    # the name it was uploaded with, shown to staff; its type comes from `kind`
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    interaction: Mapped[Interaction] = relationship(back_populates="attachments")

    def __str__(self) -> str:
        return self.filename
