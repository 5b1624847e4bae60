"""Trouble tickets (issue 21): a customer's problem tracked from the first call until it is
solved, its moves and comments, and the SLA it is measured by: a target per category and
priority counted in the business hours of the customer's region."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.crm import Customer, Region, Service, Timestamped
from app.models.security import AbonentUser
from app.models.types import UTCDateTime, one_of, utcnow


class TicketCategory(StrEnum):
    NETWORK_FAULT = "network_fault"
    BILLING = "billing"
    SERVICE_REQUEST = "service_request"
    COMPLAINT = "complaint"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class TicketStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"  # the SLA clock stands still
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketTeam(StrEnum):
    FRONT_OFFICE = "front_office"
    BILLING = "billing"
    NETWORK = "network"
    FIELD_SERVICE = "field_service"
    SUPERVISORS = "supervisors"  # where a breached ticket is escalated


# the SLA clock runs while the operator has the next move
CLOCK_RUNNING = (TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS)


class SlaTarget(Timestamped, Model):
    """How many business hours a ticket of a category and priority may take to be
    resolved; set by Supervisors, the shipped defaults written by `flask setup`."""

    __tablename__ = "sla_target"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("category", TicketCategory), name="ck_sla_target_category"),
        CheckConstraint(one_of("priority", TicketPriority), name="ck_sla_target_priority"),
        CheckConstraint("hours >= 1 and hours <= 2000", name="ck_sla_target_hours"),
        UniqueConstraint("category", "priority", name="uq_sla_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))
    hours: Mapped[int] = mapped_column()

    def __str__(self) -> str:
        return f"{self.category}/{self.priority}: {self.hours} h"


class BusinessHours(Timestamped, Model):
    """When a region's operator works, in the region's timezone; a region without a row
    works Monday to Friday, 09:00 to 18:00, and never on its country's public holidays."""

    __tablename__ = "business_hours"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("opens < closes", name="ck_business_hours_span"),
        CheckConstraint("weekdays != ''", name="ck_business_hours_weekdays"),
    )

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), primary_key=True)
    # ISO weekdays it works, as digits: "12345" is Monday to Friday
    weekdays: Mapped[str] = mapped_column(String(7))
    # HH:MM on the region's clock, which compare as text as they do as times
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))

    region: Mapped[Region] = relationship()

    def __str__(self) -> str:
        return f"{self.weekdays} {self.opens}-{self.closes}"


UNMAILED_ESCALATION = text("escalated_at is not null and escalation_mailed_at is null")


class Ticket(Timestamped, Model):
    """A customer's problem, from the first call until it is closed. The SLA clock counts
    business seconds: `sla_spent` of them before `sla_started_at`, when it last started
    (none while it stands still); `sla_due_at` is when the target is reached if it runs on."""

    __tablename__ = "ticket"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("category", TicketCategory), name="ck_ticket_category"),
        CheckConstraint(one_of("priority", TicketPriority), name="ck_ticket_priority"),
        CheckConstraint(one_of("status", TicketStatus), name="ck_ticket_status"),
        CheckConstraint(f"team is null or {one_of('team', TicketTeam)}", name="ck_ticket_team"),
        # the queue's filters, each newest first
        Index("ix_ticket_customer_id", "customer_id", "id"),
        Index("ix_ticket_status_id", "status", "id"),
        Index("ix_ticket_priority_id", "priority", "id"),
        Index("ix_ticket_assignee_id", "assignee_id", "id"),
        Index("ix_ticket_breached_id", "breached", "id"),
        # the breach job's look-up
        Index("ix_ticket_breached_due", "breached", "sla_due_at"),
        # the escalations whose Supervisors have not been emailed yet: a handful among millions
        Index(
            "ix_ticket_escalation_unmailed",
            "id",
            postgresql_where=UNMAILED_ESCALATION,
            sqlite_where=UNMAILED_ESCALATION,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), default=TicketStatus.NEW)
    team: Mapped[str | None] = mapped_column(String(32))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_by: Mapped[str] = mapped_column(String(128))
    # the target it is measured by, in minutes, as it was when set
    sla_minutes: Mapped[int] = mapped_column()
    sla_spent: Mapped[int] = mapped_column(default=0)
    sla_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached: Mapped[bool] = mapped_column(default=False)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the Supervisors were emailed about the escalation (app/services/care/escalations.py)
    escalation_mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()
    service: Mapped[Service | None] = relationship()
    assignee: Mapped[AbonentUser | None] = relationship()
    changes: Mapped[list[TicketChange]] = relationship(
        back_populates="ticket", order_by="TicketChange.id"
    )
    comments: Mapped[list[TicketComment]] = relationship(
        back_populates="ticket", order_by="TicketComment.id"
    )

    @property
    def number(self) -> str:
        return f"TT-{self.id:06d}"

    def __str__(self) -> str:
        return self.number


class TicketComment(Model):
    """A note on a ticket: internal (staff only) or for the customer to read."""

    __tablename__ = "ticket_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(default=False)
    username: Mapped[str] = mapped_column(String(128))

    ticket: Mapped[Ticket] = relationship(back_populates="comments")

    def __str__(self) -> str:
        return self.body[:50]


class TicketChange(Model):
    """One move of a ticket's status, who, when and with which comment; append-only."""

    __tablename__ = "ticket_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(128))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_comment.id"))

    ticket: Mapped[Ticket] = relationship(back_populates="changes")
    comment: Mapped[TicketComment | None] = relationship()

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
