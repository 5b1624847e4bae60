"""Orders and their provisioning: what a customer asked for, who moved it along, and the
tasks that carry each line to the network."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.crm import BillingAccount, Service, Timestamped
from app.models.types import UTCDateTime, one_of, utcnow


class OrderStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PROVISIONING = "provisioning"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"


class LineAction(StrEnum):
    ADD = "add"
    CHANGE_PRODUCT = "change_product"
    BAR = "bar"  # outgoing calls barred (dunning)
    SUSPEND = "suspend"
    RESUME = "resume"
    TERMINATE = "terminate"
    # the line's `account` has its charges billed to the order's account (docs/billing.md,
    # consolidated billing): set on approval, nothing goes to the network
    BILL_TO = "bill_to"


class TerminationReason(StrEnum):
    MOVED = "moved"
    UNHAPPY = "unhappy"
    NON_PAYMENT = "non_payment"
    OTHER = "other"


class OrderSource(StrEnum):
    STAFF = "staff"
    API = "api"
    ACQUISITION = "acquisition"
    DUNNING = "dunning"  # barring, suspension, termination and restoring for non-payment
    PORTAL = "portal"  # asked for by the customer on the portal (docs/portal.md)


class TaskStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Order(Timestamped, Model):
    __tablename__ = "customer_order"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("status", OrderStatus), name="ck_order_status"),
        CheckConstraint(one_of("source", OrderSource), name="ck_order_source"),
        Index("ix_customer_order_account_status", "account_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # ORD-000123, given once the row has its id
    ref: Mapped[str | None] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"))
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.DRAFT, index=True)
    source: Mapped[str] = mapped_column(String(16), default=OrderSource.STAFF)
    note: Mapped[str | None] = mapped_column(String(500))
    # why it was rejected, cancelled or failed
    reason: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[str] = mapped_column(String(128))

    account: Mapped[BillingAccount] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    changes: Mapped[list[OrderStatusChange]] = relationship(
        back_populates="order", order_by="OrderStatusChange.id"
    )

    def __str__(self) -> str:
        return self.ref or ""


class OrderLine(Model):
    """One thing the customer asked for: a new line (with its product and, once approved,
    its reserved number) or a change to an existing one."""

    __tablename__ = "order_line"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("action", LineAction), name="ck_order_line_action"),
        CheckConstraint(
            f"reason is null or {one_of('reason', TerminationReason)}", name="ck_order_line_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"), index=True)
    product_code: Mapped[str | None] = mapped_column(String(64))
    # a new line: the number asked for, or the one reserved on approval
    number: Mapped[str | None] = mapped_column(String(15))
    reason: Mapped[str | None] = mapped_column(String(16))
    # a `bill_to` line: the account to be billed to the order's account
    account_id: Mapped[int | None] = mapped_column(ForeignKey("billing_account.id"), index=True)

    order: Mapped[Order] = relationship(back_populates="lines")
    service: Mapped[Service | None] = relationship()
    account: Mapped[BillingAccount | None] = relationship()
    task: Mapped[ProvisioningTask | None] = relationship(back_populates="line", uselist=False)

    def __str__(self) -> str:
        shown = self.account.ref if self.account is not None else self.number or self.product_code
        return f"{self.action} {shown or ''}".strip()


class OrderStatusChange(Model):
    """One step of an order, with who, when and why; append-only."""

    __tablename__ = "order_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(1000))
    username: Mapped[str] = mapped_column(String(128))

    order: Mapped[Order] = relationship(back_populates="changes")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class ProvisioningTask(Timestamped, Model):
    """The network side of one order line, sent by an adapter until the network confirms
    it; failures wait with their error for the next attempt or for a technician."""

    __tablename__ = "provisioning_task"
    __audited__ = True
    __audit_ignore__ = {"locked_until", "request"}
    __table_args__ = (
        CheckConstraint(one_of("status", TaskStatus), name="ck_provisioning_task_status"),
        Index("ix_provisioning_task_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    request: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # a worker holds the task until then; a crashed worker's task is picked up afterwards
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adapter: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(1000))
    # the network refused the request: a retry sends it under a new idempotency key
    refused: Mapped[bool] = mapped_column(default=False)
    response: Mapped[str | None] = mapped_column(String(1000))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    line: Mapped[OrderLine] = relationship(back_populates="task")
    service: Mapped[Service] = relationship()

    def __str__(self) -> str:
        return f"{self.action} {self.request.get('service_id', '')}"
