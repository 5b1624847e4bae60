"""Customer acquisition: applications with the checks made on them and who decided what,
the blacklist, the credit rule table that gives an applicant a credit class, and what each
credit class allows and grants."""

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
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.crm import CREDIT_CLASS_CODES, Region, Timestamped
from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow


class ApplicationStatus(StrEnum):
    PASSED = "passed"  # the checks passed: its offer may be accepted
    REVIEW = "review"  # waits for a supervisor's decision
    REJECTED = "rejected"
    ACCEPTED = "accepted"  # the offer was taken: customer, account and order exist


class CheckResult(StrEnum):
    """One check's outcome, and the application's (the worst of its checks)."""

    PASSED = "passed"
    REVIEW = "review"
    REJECTED = "rejected"


class CreditHistory(StrEnum):
    """The credit bureau's band for the applicant."""

    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    BAD = "bad"
    NONE = "none"


class ApplicationSource(StrEnum):
    STAFF = "staff"
    API = "api"
    PORTAL = "portal"


class BlacklistKind(StrEnum):
    DOCUMENT = "document"
    PHONE = "phone"
    EMAIL = "email"
    IBAN = "iban"


class Application(Model):
    """A prospect's application as typed, what the checks found (in the application's
    language) and the credit decision; it changes only by the acquisition service, and
    every step is kept in its events."""

    __tablename__ = "application"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("status", ApplicationStatus), name="ck_application_status"),
        CheckConstraint(one_of("check_status", CheckResult), name="ck_application_check_status"),
        CheckConstraint("kind in ('individual', 'company')", name="ck_application_kind"),
        CheckConstraint(one_of("credit_history", CreditHistory), name="ck_application_history"),
        CheckConstraint(one_of("source", ApplicationSource), name="ck_application_source"),
        # the velocity check counts a phone's or an email's applications of the last day
        Index("ix_application_phone_created", "phone", "created_at"),
        Index("ix_application_email_created", "email", "created_at"),
        Index("ix_application_document", "document_number"),
        Index("ix_application_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # APP-000123, given once the row has its id
    ref: Mapped[str | None] = mapped_column(String(16), unique=True)
    source: Mapped[str] = mapped_column(String(16), default=ApplicationSource.STAFF)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    country: Mapped[str] = mapped_column(String(2))
    document_type: Mapped[str] = mapped_column(String(32))
    # compact form when the type's check passed, as typed otherwise
    document_number: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    # E.164 when the number parsed, as typed otherwise
    phone: Mapped[str] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(16))
    iban: Mapped[str | None] = mapped_column(String(34))
    currency: Mapped[str] = mapped_column(String(3))
    monthly_income: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    existing_debt: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    credit_history: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    product_codes: Mapped[list] = mapped_column(JSON, default=list)
    consent: Mapped[bool] = mapped_column(default=False)

    # the checks: [{"check": "identity|fraud|credit", "result": ..., "reason": ...}]
    check_status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    credit_class: Mapped[str] = mapped_column(String(1))
    # the rule that fired, as it read then (rules are edited later)
    credit_rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_rule.id", ondelete="SET NULL")
    )
    credit_rule: Mapped[str] = mapped_column(String(300))
    credit_limit: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    deposit: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    payment_modes: Mapped[list] = mapped_column(JSON, default=list)
    max_lines: Mapped[int] = mapped_column()

    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str | None] = mapped_column(String(1000))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("billing_account.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"))

    region: Mapped[Region] = relationship()
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id"
    )

    def __str__(self) -> str:
        return f"{self.ref} · {self.name}"


class ApplicationEvent(Model):
    """One step of an application (submitted, approved, rejected, accepted): who, when,
    why. Append-only."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(String(1000))

    application: Mapped[Application] = relationship(back_populates="events")


class BlacklistEntry(Timestamped, Model):
    """A document, phone, email or IBAN whose applications are rejected."""

    __tablename__ = "blacklist_entry"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("kind", "value", name="uq_blacklist_kind_value"),
        CheckConstraint(one_of("kind", BlacklistKind), name="ck_blacklist_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # normalised as applications are: compact documents and IBANs, E.164 phones,
    # lower-case emails
    value: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(500))

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class CreditRule(Timestamped, Model):
    """One row of the credit rule table: the first row, by position, whose conditions all
    hold gives the applicant its credit class. An empty condition holds for anyone."""

    __tablename__ = "credit_rule"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("credit_class", CREDIT_CLASS_CODES), name="ck_credit_rule_class"),
        CheckConstraint(
            "customer_kind is null or customer_kind in ('individual', 'company')",
            name="ck_credit_rule_kind",
        ),
        CheckConstraint(
            f"credit_history is null or {one_of('credit_history', CreditHistory)}",
            name="ck_credit_rule_history",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)
    customer_kind: Mapped[str | None] = mapped_column(String(16))
    credit_history: Mapped[str | None] = mapped_column(String(16))
    # income bounds are in `currency` (a bound of 0 needs none); the debt ratio is the
    # existing debt in months of income
    currency: Mapped[str | None] = mapped_column(String(3))
    min_income: Mapped[Decimal | None] = mapped_column(ExactDecimal(4))
    max_income: Mapped[Decimal | None] = mapped_column(ExactDecimal(4))
    min_debt_ratio: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    max_debt_ratio: Mapped[Decimal | None] = mapped_column(ExactDecimal(2))
    credit_class: Mapped[str] = mapped_column(String(1))
    description: Mapped[str] = mapped_column(String(200), default="")

    def __str__(self) -> str:
        return f"{self.position} → {self.credit_class}"


class CreditClass(Model):
    """What a credit class allows: how many open lines one billing account may hold.
    Products name the worst class that may buy them (`min_credit_class`)."""

    __tablename__ = "credit_class"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("code", CREDIT_CLASS_CODES), name="ck_credit_class_code"),
        CheckConstraint("max_lines >= 0", name="ck_credit_class_max_lines"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(1), unique=True)
    max_lines: Mapped[int] = mapped_column()
    description: Mapped[str] = mapped_column(String(200), default="")
    # what an applicant of the class may choose: ["prepaid", "postpaid"], ["prepaid"], …
    payment_modes: Mapped[list] = mapped_column(
        JSON, default=lambda: ["prepaid", "postpaid"], server_default='["prepaid", "postpaid"]'
    )
    # False: an application given this class is rejected
    accepts: Mapped[bool] = mapped_column(default=True, server_default=true())

    terms: Mapped[list[CreditTerms]] = relationship(
        back_populates="credit_class", order_by="CreditTerms.currency"
    )

    def __str__(self) -> str:
        return self.code


class CreditTerms(Model):
    """What a credit class grants in one currency: the credit limit and the deposit."""

    __tablename__ = "credit_terms"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("credit_class_id", "currency", name="uq_credit_terms_class_currency"),
        CheckConstraint("credit_limit >= 0 and deposit >= 0", name="ck_credit_terms_amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_class_id: Mapped[int] = mapped_column(ForeignKey("credit_class.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    credit_limit: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    deposit: Mapped[Decimal] = mapped_column(ExactDecimal(4))

    credit_class: Mapped[CreditClass] = relationship(back_populates="terms")

    def __str__(self) -> str:
        return f"{self.credit_class.code} {self.currency}"
