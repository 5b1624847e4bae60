"""CRM core: regions, customers, contact persons, billing accounts, services."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.types import ExactDecimal, UTCDateTime, one_of, utcnow


class CustomerKind(StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class PaymentMode(StrEnum):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class DeliveryChannel(StrEnum):
    EMAIL = "email"
    POST = "post"
    PORTAL = "portal"


class ServiceStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    BARRED = "barred"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


LANGUAGE_CODES = ("en", "it", "ko", "ru")
# best to worst: the credit check gives an applicant one (app/models/acquisition.py says
# what each allows), the account opened for it keeps it, products name the worst they accept
CREDIT_CLASS_CODES = ("A", "B", "C", "D", "E")
# an account is billed every 1, 2 or 3 months (docs/billing.md, "Bill frequency")
BILL_EVERY = (1, 2, 3)
# an account nobody checked (entered by staff or imported) and an applicant no rule placed
DEFAULT_CREDIT_CLASS = "C"
SEARCHED_TEXT = ("ref", "name", "email", "phone")


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Region(Timestamped, Model):
    __tablename__ = "region"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    country: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    language: Mapped[str] = mapped_column(String(5))
    # the operator's legal entity in the region, as its bills and credit notes name it;
    # the address one line a row, the tax number after its local label (Partita IVA,
    # 사업자등록번호, ИНН/КПП)
    legal_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    legal_address: Mapped[str] = mapped_column(String(500), default="", server_default="")
    legal_tax_label: Mapped[str] = mapped_column(String(64), default="", server_default="")
    legal_tax_number: Mapped[str] = mapped_column(String(64), default="", server_default="")
    legal_bank_account: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # where customers pay, as bills and payment QR codes give it: an IBAN and BIC (SEPA);
    # a national account number, the bank's code and correspondent account (Russia's
    # ST00012); a bank's virtual account prefix (Korea: each account gets its own number)
    bank_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    bank_iban: Mapped[str] = mapped_column(String(34), default="", server_default="")
    bank_bic: Mapped[str] = mapped_column(String(11), default="", server_default="")
    bank_account: Mapped[str] = mapped_column(String(34), default="", server_default="")
    bank_code: Mapped[str] = mapped_column(String(11), default="", server_default="")
    bank_correspondent: Mapped[str] = mapped_column(String(34), default="", server_default="")
    # the operator's SEPA creditor identifier, for direct debit collections
    sepa_creditor_id: Mapped[str] = mapped_column(String(35), default="", server_default="")

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Customer(Timestamped, Model):
    __tablename__ = "customer"
    __audited__ = True
    __table_args__ = (
        Index("ix_customer_region_name", "region_id", "name"),
        Index("ix_customer_name_id", "name", "id"),  # the list's order, page by page
        # list searches are case-insensitive LIKEs: trigram indexes on PostgreSQL,
        # NOCASE indexes on SQLite (its LIKE optimisation needs them)
        *(
            Index(
                f"ix_customer_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in SEARCHED_TEXT
        ),
        *(
            Index(f"ix_customer_{column}_nocase", text(f"{column} COLLATE NOCASE")).ddl_if(
                dialect="sqlite"
            )
            for column in SEARCHED_TEXT
        ),
        CheckConstraint("kind in ('individual', 'company')", name="ck_customer_kind"),
        CheckConstraint(
            "status in ('prospect', 'active', 'suspended', 'terminated')",
            name="ck_customer_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default=CustomerKind.INDIVIDUAL)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    # blank means "the region's language", filled in by services.customers
    language: Mapped[str] = mapped_column(String(5), default="")
    status: Mapped[str] = mapped_column(String(16), default=CustomerStatus.PROSPECT, index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(16))
    birth_date: Mapped[date | None] = mapped_column(Date)
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_number: Mapped[str | None] = mapped_column(String(64), index=True)
    tax_number: Mapped[str | None] = mapped_column(String(64), index=True)

    region: Mapped[Region] = relationship()
    parent: Mapped[Customer | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Customer]] = relationship(back_populates="parent")
    accounts: Mapped[list[BillingAccount]] = relationship(back_populates="customer")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.ref} · {self.name}"


class Contact(Timestamped, Model):
    __tablename__ = "contact"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_primary: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts")

    def __str__(self) -> str:
        return self.name


class BillingAccount(Timestamped, Model):
    __tablename__ = "billing_account"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("bill_day between 1 and 28", name="ck_account_bill_day"),
        CheckConstraint("payment_mode in ('prepaid', 'postpaid')", name="ck_account_mode"),
        CheckConstraint(
            "delivery_channel in ('email', 'post', 'portal')", name="ck_account_delivery_channel"
        ),
        CheckConstraint(one_of("credit_class", CREDIT_CLASS_CODES), name="ck_account_credit_class"),
        CheckConstraint("bill_every in (1, 2, 3)", name="ck_account_bill_every"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    payment_mode: Mapped[str] = mapped_column(String(16), default=PaymentMode.POSTPAID)
    currency: Mapped[str] = mapped_column(String(3))
    bill_day: Mapped[int] = mapped_column(index=True)
    # months per bill; a change takes effect from the next cycle (BillFrequencyChange)
    bill_every: Mapped[int] = mapped_column(default=1, server_default="1")
    bill_to_id: Mapped[int | None] = mapped_column(ForeignKey("billing_account.id"), index=True)
    delivery_channel: Mapped[str] = mapped_column(String(16), default=DeliveryChannel.EMAIL)
    language: Mapped[str | None] = mapped_column(String(5))
    credit_limit: Mapped[Decimal | None] = mapped_column(ExactDecimal(4))
    # the sum of the account's ledger entries (app/models/ledger.py), positive in the
    # customer's favour: prepaid credit, or a postpaid account's payments less its bills
    balance: Mapped[Decimal] = mapped_column(
        ExactDecimal(4), default=Decimal(0), server_default="0"
    )
    # A (best) to E; set by the credit check of an application, C until one is made
    credit_class: Mapped[str] = mapped_column(
        String(1), default=DEFAULT_CREDIT_CLASS, server_default=DEFAULT_CREDIT_CLASS
    )
    # asked of the customer when the account was opened (the credit check's terms)
    deposit: Mapped[Decimal] = mapped_column(
        ExactDecimal(4), default=Decimal(0), server_default="0"
    )

    customer: Mapped[Customer] = relationship(back_populates="accounts")
    bill_to: Mapped[BillingAccount | None] = relationship(remote_side=[id])
    services: Mapped[list[Service]] = relationship(back_populates="account")

    def __str__(self) -> str:
        return self.ref


OPEN_LINE = text("status != 'terminated'")


class Service(Timestamped, Model):
    __tablename__ = "service"
    __audited__ = True
    __table_args__ = (
        # a number belongs to one open line; after its quarantine a terminated line's
        # number may be given to a new line
        Index(
            "uq_service_open_number",
            "service_id",
            unique=True,
            sqlite_where=OPEN_LINE,
            postgresql_where=OPEN_LINE,
        ),
        CheckConstraint(
            "status in ('pending', 'active', 'barred', 'suspended', 'terminated')",
            name="ck_service_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ServiceStatus.PENDING, index=True)
    activated_on: Mapped[date | None] = mapped_column(Date)
    terminated_on: Mapped[date | None] = mapped_column(Date)

    account: Mapped[BillingAccount] = relationship(back_populates="services")

    def __str__(self) -> str:
        return self.service_id


class ServiceStatusChange(Model):
    """One step in a line's life (pending → active → barred → suspended → terminated), with
    who, when and why; append-only."""

    __tablename__ = "service_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(128))

    service: Mapped[Service] = relationship()

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class BillFrequencyChange(Model):
    """An account's bill frequency changed, from the end of the cycle it was changed in on
    (the cycle under way keeps its length, so no day is billed twice or left out);
    append-only. Several changes in one cycle: the last one counts."""

    __tablename__ = "bill_frequency_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    effective_on: Mapped[date] = mapped_column(Date)
    from_every: Mapped[int] = mapped_column()
    to_every: Mapped[int] = mapped_column()
    username: Mapped[str] = mapped_column(String(128))

    account: Mapped[BillingAccount] = relationship()

    def __str__(self) -> str:
        return f"{self.from_every} → {self.to_every}"


class ServiceProductChange(Model):
    """A line moved to another product, from a day on (billing charges each product for its
    own days); append-only."""

    __tablename__ = "service_product_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    effective_on: Mapped[date] = mapped_column(Date)
    from_product: Mapped[str] = mapped_column(String(64))
    to_product: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(128))

    service: Mapped[Service] = relationship()

    def __str__(self) -> str:
        return f"{self.from_product} → {self.to_product}"
