"""The catalog: rate plans, products with their names per language, and discounts."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.crm import CREDIT_CLASS_CODES, Timestamped
from app.models.types import ExactDecimal, one_of


class LineType(StrEnum):
    MOBILE = "mobile"
    FIXED = "fixed"


class DiscountKind(StrEnum):
    PERCENTAGE = "percentage"
    FIXED = "fixed"


class DiscountTarget(StrEnum):
    RECURRING = "recurring"
    USAGE = "usage"


class RatePlan(Timestamped, Model):
    __tablename__ = "rate_plan"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # created by a products import that named it before its rates were imported
    needs_rates: Mapped[bool] = mapped_column(default=False)

    products: Mapped[list[Product]] = relationship(back_populates="rate_plan")

    def __str__(self) -> str:
        return self.code


class Product(Timestamped, Model):
    __tablename__ = "product"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("line_type in ('mobile', 'fixed')", name="ck_product_line_type"),
        CheckConstraint("payment_mode in ('prepaid', 'postpaid')", name="ck_product_mode"),
        CheckConstraint(
            f"min_credit_class is null or {one_of('min_credit_class', CREDIT_CLASS_CODES)}",
            name="ck_product_credit_class",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    line_type: Mapped[str] = mapped_column(String(16))
    payment_mode: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    monthly_fee: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    activation_fee: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    rate_plan_id: Mapped[int] = mapped_column(ForeignKey("rate_plan.id"), index=True)
    voice_min: Mapped[int] = mapped_column(default=0)
    sms: Mapped[int] = mapped_column(default=0)
    data_mb: Mapped[int] = mapped_column(default=0)
    min_credit_class: Mapped[str | None] = mapped_column(String(1))

    rate_plan: Mapped[RatePlan] = relationship(back_populates="products")
    names: Mapped[list[ProductName]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class ProductName(Model):
    """A product's name in one language; the product's own name is the fallback."""

    __tablename__ = "product_name"
    __audited__ = True
    __table_args__ = (UniqueConstraint("product_id", "language", name="uq_product_name_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))

    product: Mapped[Product] = relationship(back_populates="names")

    def __str__(self) -> str:
        return f"{self.language}: {self.name}"


class Discount(Timestamped, Model):
    """A price reduction: a percentage, or a fixed amount in a currency, on recurring fees or
    on usage, for a number of billing cycles or open-ended (cycles empty)."""

    __tablename__ = "discount"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("kind in ('percentage', 'fixed')", name="ck_discount_kind"),
        CheckConstraint("applies_to in ('recurring', 'usage')", name="ck_discount_target"),
        CheckConstraint("cycles is null or cycles > 0", name="ck_discount_cycles"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str | None] = mapped_column(String(3))
    applies_to: Mapped[str] = mapped_column(String(16))
    cycles: Mapped[int | None] = mapped_column()

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"
