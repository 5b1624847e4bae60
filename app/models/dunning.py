"""Dunning (docs/dunning.md): the policies that say what happens how many days after a bill
falls due, the case each account with overdue bills has, every step taken in it, the
customer's promises to pay, and the holds that keep an amount out of what is overdue (a
disputed amount)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.billing import Adjustment, Invoice
from app.models.communications import Communication
from app.models.crm import CREDIT_CLASS_CODES, BillingAccount, Timestamped
from app.models.orders import Order
from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow

# the policy of the accounts whose credit class has none of its own
DEFAULT_CLASS = "*"


class DunningAction(StrEnum):
    EMAIL = "email"  # a reminder by email
    SMS = "sms"
    LETTER = "letter"  # a PDF letter, by email or on paper as the account gets its bills
    LATE_FEE = "late_fee"  # an adjustment on the next bill
    BAR = "bar"  # outgoing calls barred on every line
    SUSPEND = "suspend"
    TERMINATE = "terminate"  # every line terminated, the debt handed over to collection


# the actions that reach the network through provisioning, mildest first
RESTRICTIONS = (DunningAction.BAR, DunningAction.SUSPEND, DunningAction.TERMINATE)
# the actions that write to the customer, and so need a template
MESSAGES = (DunningAction.EMAIL, DunningAction.SMS, DunningAction.LETTER)


class CaseStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"  # by staff, with a reason: no step is taken until it is resumed
    COLLECTION = "collection"  # lines terminated: waiting to be handed over
    HANDED_OVER = "handed_over"  # in a collection agency's hands
    CLOSED = "closed"


ACTIVE_CASE = text("status != 'closed'")


class StepStatus(StrEnum):
    PENDING = "pending"  # its lines are still with the network
    DONE = "done"


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class DunningPolicy(Timestamped, Model):
    """What happens to the overdue accounts of a credit class ("*": of every class that has
    no policy of its own). Amounts below the currency's minimum are not pursued."""

    __tablename__ = "dunning_policy"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(
            one_of("credit_class", (DEFAULT_CLASS, *CREDIT_CLASS_CODES)),
            name="ck_dunning_policy_credit_class",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    credit_class: Mapped[str] = mapped_column(String(1), unique=True)
    # {"EUR": "5.00", ...}: amounts as exact decimal strings
    minimums: Mapped[dict] = mapped_column(JSON, default=dict)

    steps: Mapped[list[DunningStep]] = relationship(
        back_populates="policy",
        cascade="all, delete-orphan",
        order_by="(DunningStep.days, DunningStep.id)",
    )

    def __str__(self) -> str:
        return self.name


class DunningStep(Model):
    __tablename__ = "dunning_step"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("action", DunningAction), name="ck_dunning_step_action"),
        CheckConstraint("days >= 0 and days <= 3650", name="ck_dunning_step_days"),
        UniqueConstraint("policy_id", "days", "action", name="uq_dunning_step_day_action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("dunning_policy.id"), index=True)
    # days after the due date of the oldest overdue bill
    days: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(16))
    # a late fee's amount per currency, exact decimal strings: {"EUR": "5.00"}
    # none_as_null: no fee is SQL NULL, however the row was written (JSON would store 'null')
    fees: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    policy: Mapped[DunningPolicy] = relationship(back_populates="steps")
    templates: Mapped[list[DunningTemplate]] = relationship(
        back_populates="step", cascade="all, delete-orphan", order_by="DunningTemplate.language"
    )

    def __str__(self) -> str:
        return f"+{self.days} {self.action}"


class DunningTemplate(Model):
    """What a message step says in one language; `{placeholders}` are filled per case
    (app/services/dunning/templates.py)."""

    __tablename__ = "dunning_template"
    __audited__ = True
    __table_args__ = (UniqueConstraint("step_id", "language", name="uq_dunning_template_lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("dunning_step.id"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    step: Mapped[DunningStep] = relationship(back_populates="templates")

    def __str__(self) -> str:
        return f"{self.language}: {self.subject}"


class DunningCase(Model):
    """One account's overdue debt being pursued, from the run that found it to the payment
    that closes it (or its hand-over to collection)."""

    __tablename__ = "dunning_case"
    __table_args__ = (
        CheckConstraint(one_of("status", CaseStatus), name="ck_dunning_case_status"),
        # an account has one case at a time
        Index(
            "uq_dunning_case_active_account",
            "account_id",
            unique=True,
            sqlite_where=ACTIVE_CASE,
            postgresql_where=ACTIVE_CASE,
        ),
        Index("ix_dunning_case_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("dunning_policy.id"))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN)
    currency: Mapped[str] = mapped_column(String(3))
    opened_on: Mapped[date] = mapped_column(Date, index=True)
    # as the last run or payment found them
    overdue_amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    oldest_due_date: Mapped[date] = mapped_column(Date)
    # the highest amount the case pursued: what its closing recovered, or the agency got
    pursued_amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(String(200))
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[BillingAccount] = relationship()
    policy: Mapped[DunningPolicy] = relationship()
    steps: Mapped[list[DunningCaseStep]] = relationship(
        back_populates="case", order_by="DunningCaseStep.id"
    )
    changes: Mapped[list[DunningCaseChange]] = relationship(
        back_populates="case", order_by="DunningCaseChange.id"
    )
    promises: Mapped[list[PromiseToPay]] = relationship(
        back_populates="case", order_by="PromiseToPay.id"
    )

    def __str__(self) -> str:
        return f"DUN-{self.id:06d}"


class DunningCaseStep(Model):
    """A policy step taken in a case: once per case (unique), with what it made — the
    message, the provisioning order, the late fee."""

    __tablename__ = "dunning_case_step"
    __table_args__ = (
        CheckConstraint(one_of("status", StepStatus), name="ck_dunning_case_step_status"),
        UniqueConstraint("case_id", "step_id", name="uq_dunning_case_step"),
        Index("ix_dunning_case_step_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    # the policy's step; kept as days and action here should the policy change
    step_id: Mapped[int | None] = mapped_column(ForeignKey("dunning_step.id", ondelete="SET NULL"))
    days: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=StepStatus.DONE)
    taken_on: Mapped[date] = mapped_column(Date)  # the run's date
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    communication_id: Mapped[int | None] = mapped_column(ForeignKey("communication.id"))
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("adjustment.id"))
    # what the step could not do (a line another order holds, a missing template language)
    note: Mapped[str | None] = mapped_column(String(500))

    case: Mapped[DunningCase] = relationship(back_populates="steps")
    communication: Mapped[Communication | None] = relationship()
    # what the network is asked to do: an order per account (a consolidated account's
    # lines are on the accounts billed to it)
    orders: Mapped[list[Order]] = relationship(secondary="dunning_step_order", order_by="Order.id")
    adjustment: Mapped[Adjustment | None] = relationship()

    def __str__(self) -> str:
        return f"+{self.days} {self.action}"


class DunningStepOrder(Model):
    __tablename__ = "dunning_step_order"

    case_step_id: Mapped[int] = mapped_column(ForeignKey("dunning_case_step.id"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), primary_key=True)


class DunningCaseChange(Model):
    """One move of a case (opened, paused, resumed, closed, ...), who, when and why;
    append-only."""

    __tablename__ = "dunning_case_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(128))

    case: Mapped[DunningCase] = relationship(back_populates="changes")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class PromiseToPay(Model):
    """The customer's word to pay an amount by a date, recorded by staff: the case takes no
    step until then."""

    __tablename__ = "promise_to_pay"
    __table_args__ = (
        CheckConstraint(one_of("status", PromiseStatus), name="ck_promise_to_pay_status"),
        CheckConstraint("amount > 0", name="ck_promise_to_pay_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    pay_by: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default=PromiseStatus.OPEN)
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_on: Mapped[date | None] = mapped_column(Date)

    case: Mapped[DunningCase] = relationship(back_populates="promises")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} by {self.pay_by}"


ACTIVE_HOLD = text("released_at is null")


class InvoiceHold(Model):
    """An amount of an invoice kept out of what is overdue while something decides on it
    (a dispute): the other domain holds and releases it by its own reference."""

    __tablename__ = "invoice_hold"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_invoice_hold_amount"),
        UniqueConstraint("source", "source_ref", name="uq_invoice_hold_source"),
        Index(
            "ix_invoice_hold_active",
            "invoice_id",
            sqlite_where=ACTIVE_HOLD,
            postgresql_where=ACTIVE_HOLD,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    source: Mapped[str] = mapped_column(String(16))  # "dispute", ...
    source_ref: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invoice: Mapped[Invoice] = relationship()

    def __str__(self) -> str:
        return f"{self.source} {self.source_ref}"


class LetterDocument(Model):
    """A dunning letter's PDF as the customer got it, kept with its checksum like a bill's."""

    __tablename__ = "letter_document"

    communication_id: Mapped[int] = mapped_column(ForeignKey("communication.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    pages: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
