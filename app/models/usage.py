"""Rates, network usage and what rating made of it.

The usage tables hold millions of rows: timestamps are microseconds since 1970 and money
is scaled integers, so the import and rating fast paths write plain integers on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.catalog import RatePlan
from app.models.crm import Service, Timestamped
from app.models.imports import ImportBatch
from app.models.types import EpochMicros, ExactDecimal, UTCDateTime

# SQLite makes only an INTEGER primary key its fast row id
BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class UsageType(StrEnum):
    VOICE = "voice"  # seconds
    SMS = "sms"  # messages
    DATA = "data"  # bytes


class Band(StrEnum):
    ANY = "any"
    PEAK = "peak"
    OFFPEAK = "offpeak"


class ChargeStatus(StrEnum):
    RATED = "rated"
    UNRATED = "unrated"


class Rate(Timestamped, Model):
    """One interval group of a plan's price for a destination prefix, usage type and band
    (docs/formats.md `rates`)."""

    __tablename__ = "rate"
    __table_args__ = (
        UniqueConstraint(
            "plan_id", "usage_type", "prefix", "band", "from_units", name="uq_rate_group"
        ),
        CheckConstraint("usage_type in ('voice', 'sms', 'data')", name="ck_rate_usage_type"),
        CheckConstraint("band in ('any', 'peak', 'offpeak')", name="ck_rate_band"),
        CheckConstraint("per > 0 and increment > 0 and from_units >= 0", name="ck_rate_units"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("rate_plan.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    usage_type: Mapped[str] = mapped_column(String(8))
    prefix: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(100))
    band: Mapped[str] = mapped_column(String(8))
    from_units: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[Decimal] = mapped_column(ExactDecimal(6))
    per: Mapped[int] = mapped_column(BigInteger)
    increment: Mapped[int] = mapped_column(BigInteger)
    connect_fee: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    bundle: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[RatePlan] = relationship()

    def __str__(self) -> str:
        return f"{self.prefix} {self.band} from {self.from_units}"


class UsageRecord(Model):
    """A record of network usage as imported; never changed afterwards."""

    __tablename__ = "usage_record"
    __table_args__ = (
        Index("ix_usage_record_service_started", "service_id", "started_at"),
        # batch ids follow the physical order of the records (migration 0010)
        Index("ix_usage_record_batch_id", "batch_id", postgresql_using="brin"),
        CheckConstraint("usage_type in ('voice', 'sms', 'data')", name="ck_usage_type"),
        CheckConstraint("quantity >= 0", name="ck_usage_quantity"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), unique=True)
    # no foreign keys on the usage tables: PostgreSQL checks one per row with a trigger,
    # which costs more than the insert itself; the import checks the service, and neither
    # services nor records are ever deleted
    service_id: Mapped[int] = mapped_column()
    usage_type: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(EpochMicros)
    destination: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(BigInteger)
    batch_id: Mapped[int | None] = mapped_column()

    # this table's column on the right of each join: FAB's list queries join a related
    # table by putting its alias on the other side of the column without a foreign key
    service: Mapped[Service] = relationship(
        primaryjoin="Service.id == foreign(UsageRecord.service_id)"
    )
    batch: Mapped[ImportBatch | None] = relationship(
        primaryjoin="ImportBatch.id == foreign(UsageRecord.batch_id)"
    )
    charge: Mapped[UsageCharge | None] = relationship(
        primaryjoin="foreign(UsageCharge.usage_id) == UsageRecord.id",
        back_populates="usage",
        uselist=False,
    )

    def __str__(self) -> str:
        return self.record_id


class UsageCharge(Model):
    """What rating made of one usage record: its billed and allowance-covered units and its
    charge, or why it could not be rated. Re-rating replaces it."""

    __tablename__ = "usage_charge"
    __table_args__ = (
        # the few unrated records, found without indexing the many rated ones
        Index(
            "ix_usage_charge_unrated",
            "service_id",
            sqlite_where=text("status = 'unrated'"),
            postgresql_where=text("status = 'unrated'"),
        ),
        # the cycles re-rating must leave alone
        Index(
            "ix_usage_charge_invoiced",
            "service_id",
            "cycle_start",
            sqlite_where=text("invoice_id IS NOT NULL"),
            postgresql_where=text("invoice_id IS NOT NULL"),
        ),
        CheckConstraint("status in ('rated', 'unrated')", name="ck_usage_charge_status"),
    )

    usage_id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=False)
    service_id: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(200))
    # the allowance cycle (the billing account's cycle) the record falls in
    cycle_start: Mapped[date] = mapped_column(Date)
    billed_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    covered_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    charge: Mapped[Decimal] = mapped_column(ExactDecimal(4), default=Decimal(0))
    currency: Mapped[str | None] = mapped_column(String(3))
    # prepaid: the part of the charge the balance could not pay
    unrecovered: Mapped[Decimal] = mapped_column(ExactDecimal(4), default=Decimal(0))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the issued invoice that carries the charge (set by billing): its cycle is final
    invoice_id: Mapped[int | None] = mapped_column()

    usage: Mapped[UsageRecord] = relationship(
        primaryjoin="UsageRecord.id == foreign(UsageCharge.usage_id)", back_populates="charge"
    )

    def __str__(self) -> str:
        return f"{self.status} {self.charge}"


class AllowanceUsage(Model):
    """The allowance units a line's records have drawn in one cycle, per usage type, and
    the start of the latest record that drew on it: what rating and online charging start
    from, kept by rating beside the charges it writes."""

    __tablename__ = "allowance_usage"

    service_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cycle_start: Mapped[date] = mapped_column(Date, primary_key=True)
    usage_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    covered: Mapped[int] = mapped_column(BigInteger)
    last_covered_at: Mapped[datetime] = mapped_column(EpochMicros)


# prefixes compare byte by byte on both engines, as the deck's ranges are cut
PREFIX_KEY = String(17).with_variant(String(17, collation="C"), "postgresql")


class DeckPlan(Model):
    """A rate plan compiled for rating (services/usage/deck.py), and the signature of the rates
    it was compiled from: a plan whose rates changed since is compiled again."""

    __tablename__ = "deck_plan"

    plan_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    signature: Mapped[str] = mapped_column(String(100))
    # the lengths of the plan's range keys, longest first ("7,6,…,0")
    lengths: Mapped[str] = mapped_column(String(100))
    max_groups: Mapped[int] = mapped_column()


class DeckTariff(Model):
    """One (plan, usage type, prefix, band) of a compiled plan: its groups' common
    denominator, and the largest quantity priced without leaving 64-bit integers."""

    __tablename__ = "deck_tariff"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    plan_id: Mapped[int] = mapped_column(index=True)
    usage_type: Mapped[str] = mapped_column(String(8))
    prefix: Mapped[str] = mapped_column(String(16))
    band: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    connect_fee: Mapped[int] = mapped_column(BigInteger)  # ten-thousandths
    bundle: Mapped[bool] = mapped_column()
    groups: Mapped[int] = mapped_column()
    denominator: Mapped[int] = mapped_column(BigInteger)
    safe_quantity: Mapped[int] = mapped_column(BigInteger)


class DeckGroup(Model):
    """An interval group of a compiled tariff: price in millionths per `per` units, as a
    weight over the tariff's denominator (price × weight / denominator per unit)."""

    __tablename__ = "deck_group"

    tariff_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    start: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int] = mapped_column(BigInteger)
    weight: Mapped[int] = mapped_column(BigInteger)
    increment: Mapped[int] = mapped_column(BigInteger)


class DeckRange(Model):
    """Longest-prefix matching as ranges: for a (plan, usage type, band), numbered as
    `deck_key` (services/usage/deck.py), a destination's tariff is the `code` of the greatest
    `lo` not above it (also found by equality on the destination's leading characters).
    `code` is a tariff id, NO_PREFIX when no prefix and no `*` covers the destination,
    NO_BAND when its prefix has no rate for the band nor `any`."""

    __tablename__ = "deck_range"
    __table_args__ = {"sqlite_with_rowid": False}  # one B-tree: the probe finds the code

    NO_PREFIX = -1
    NO_BAND = -2

    deck_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lo: Mapped[str] = mapped_column(PREFIX_KEY, primary_key=True)
    code: Mapped[int] = mapped_column()
