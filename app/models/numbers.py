"""Number pools: ranges of MSISDNs and fixed-line numbers per region, and each number's
place in its life: free → reserved → assigned → quarantined → free again."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.crm import Region, Timestamped
from app.models.types import UTCDateTime


class NumberStatus(StrEnum):
    FREE = "free"
    RESERVED = "reserved"
    ASSIGNED = "assigned"
    QUARANTINED = "quarantined"


class NumberRange(Timestamped, Model):
    __tablename__ = "number_range"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("line_type in ('mobile', 'fixed')", name="ck_number_range_line_type"),
        CheckConstraint("quarantine_days >= 0", name="ck_number_range_quarantine"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    line_type: Mapped[str] = mapped_column(String(16))
    first: Mapped[str] = mapped_column(String(15))
    last: Mapped[str] = mapped_column(String(15))
    quarantine_days: Mapped[int] = mapped_column(default=90)

    region: Mapped[Region] = relationship()

    def __str__(self) -> str:
        return f"{self.first}–{self.last}"


class PhoneNumber(Model):
    __tablename__ = "phone_number"
    __audited__ = True
    __table_args__ = (
        Index("ix_phone_number_pick", "range_id", "status", "number"),
        CheckConstraint(
            "status in ('free', 'reserved', 'assigned', 'quarantined')",
            name="ck_phone_number_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    range_id: Mapped[int] = mapped_column(ForeignKey("number_range.id"), index=True)
    number: Mapped[str] = mapped_column(String(15), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=NumberStatus.FREE)
    reserved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quarantined_until: Mapped[date | None] = mapped_column(Date)

    range: Mapped[NumberRange] = relationship()

    def __str__(self) -> str:
        return self.number
