"""Repair bureau work orders (issue 21): a field visit to repair a customer's line, raised
from a network-fault ticket, or a planned work on an area or a set of lines; each move of
its status kept. SLA credits: the adjustment proposed for a fault ticket resolved after its
restoration SLA, once per ticket."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.billing import Adjustment
from app.models.crm import Customer, Region, Service, Timestamped
from app.models.security import AbonentUser
from app.models.tickets import Ticket
from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow


class WorkOrderKind(StrEnum):
    REPAIR = "repair"  # a visit for one line's fault, from its ticket
    PLANNED = "planned"  # maintenance or a network change on an area or a set of lines


class WorkOrderStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class WorkOrderResult(StrEnum):
    FIXED = "fixed"
    NOT_FIXED = "not_fixed"
    NO_ACCESS = "no_access"


class WorkOrder(Timestamped, Model):
    """A job for the field: a repair of a line (`ticket`, `customer`, `service`) or a
    planned work on the region's area (optionally one city or postcode) or on its `lines`.
    The window is the visit's (repair) or the work's (planned), stored in UTC."""

    __tablename__ = "work_order"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("kind", WorkOrderKind), name="ck_work_order_kind"),
        CheckConstraint(one_of("status", WorkOrderStatus), name="ck_work_order_status"),
        CheckConstraint(
            f"result is null or {one_of('result', WorkOrderResult)}", name="ck_work_order_result"
        ),
        CheckConstraint("minutes is null or minutes >= 0", name="ck_work_order_minutes"),
        CheckConstraint(
            "window_end is null or window_end > window_start", name="ck_work_order_window"
        ),
        # a technician's queue, and the assignment's count of open work orders
        Index("ix_work_order_assignee_status", "assignee_id", "status"),
        Index("ix_work_order_region_id", "region_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=WorkOrderStatus.NEW)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the line's last mile, prefilled from the customer's address
    equipment: Mapped[str] = mapped_column(String(200), default="")
    port: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    # a planned work's area within its region; blank for the whole region
    city: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(16), default="")
    result: Mapped[str | None] = mapped_column(String(16))
    minutes: Mapped[int | None] = mapped_column()
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(128))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship()
    ticket: Mapped[Ticket | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    service: Mapped[Service | None] = relationship()
    assignee: Mapped[AbonentUser | None] = relationship()
    lines: Mapped[list[Service]] = relationship(secondary="planned_work_line", order_by=Service.id)
    changes: Mapped[list[WorkOrderChange]] = relationship(
        back_populates="work_order", order_by="WorkOrderChange.id"
    )

    @property
    def number(self) -> str:
        return f"WO-{self.id:06d}"

    def __str__(self) -> str:
        return self.number


class PlannedWorkLine(Model):
    """A line a planned work affects, when it is given by lines rather than by area."""

    __tablename__ = "planned_work_line"

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), primary_key=True, index=True)


class WorkOrderChange(Model):
    """One move of a work order's status, who, when and why; append-only."""

    __tablename__ = "work_order_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")

    work_order: Mapped[WorkOrder] = relationship(back_populates="changes")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class SlaCredit(Model):
    """The credit proposed for a fault ticket resolved after its restoration SLA: the
    outage it paid for and the (pending) adjustment on the line's account."""

    __tablename__ = "sla_credit"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    adjustment_id: Mapped[int] = mapped_column(ForeignKey("adjustment.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    outage_minutes: Mapped[int] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    adjustment: Mapped[Adjustment] = relationship()

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
