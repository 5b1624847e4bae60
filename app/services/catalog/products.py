"""The catalog: the `products` import (docs/formats.md) and the rules for products entered
on a form, rate plans named before their rates exist, and product names per language."""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.catalog import (
    Discount,
    DiscountKind,
    DiscountTarget,
    LineType,
    Product,
    ProductName,
    RatePlan,
)
from app.models.crm import CREDIT_CLASS_CODES, Service
from app.models.orders import Order, OrderLine, OrderStatus
from app.services.crm import customer_rules as rules
from app.services.orders.moves import OPEN
from app.services.platform import import_frame, validation
from app.services.platform.editing import edit_rule
from app.services.platform.errors import DomainError

PRODUCT_COLUMNS = (
    "code",
    "name",
    "line_type",
    "payment_mode",
    "currency",
    "monthly_fee",
    "activation_fee",
    "rate_plan",
    "voice_min",
    "sms",
    "data_mb",
    "min_credit_class",
)
ALLOWANCES = ("voice_min", "sms", "data_mb")
ALLOWANCE_MAX = 2**31 - 1  # INTEGER


def check_line_type(value: str) -> str:
    return validation.check_choice("line_type", value, list(LineType))


def check_fee(field: str, value, currency: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(field, _l("%(value)s is not a number", value=repr(value))) from None
    if not amount.is_finite() or amount < 0:
        raise DomainError(field, _l("%(value)s is not an amount of 0 or more", value=repr(value)))
    return validation.check_amount(field, amount, currency)


def check_allowance(field: str, value) -> int:
    text = "" if value is None else str(value).strip()
    if text == "":
        return 0
    if not (text.isascii() and text.isdigit()):  # int() refuses "²", reads "٣" as 3
        raise DomainError(
            field, _l("%(value)s is not a whole number of 0 or more", value=repr(text))
        )
    if int(text) > ALLOWANCE_MAX:
        raise DomainError(field, _l("%(value)s is too large", value=repr(text)))
    return int(text)


def check_credit_class(value: str | None) -> str | None:
    if not value:
        return None
    return validation.check_choice("min_credit_class", value.upper(), CREDIT_CLASS_CODES)


def rate_plan_named(code: str) -> RatePlan:
    """The rate plan with this code; one not seen before is created empty and flagged, for
    the rates import to fill."""
    validation.check_ref("rate_plan", code)
    plan = db.session.scalar(db.select(RatePlan).where(RatePlan.code == code))
    if plan is None:
        validation.check_length(RatePlan, "code", code, column="rate_plan")
        plan = RatePlan(code=code, name=code, needs_rates=True)
        db.session.add(plan)
    return plan


def parse_product(row: dict) -> dict:
    code = validation.check_length(Product, "code", validation.check_ref("code", row["code"]))
    name = validation.check_length(Product, "name", validation.required("name", row["name"]))
    currency = validation.check_currency(row["currency"])
    fields = {
        "code": code,
        "name": name,
        "line_type": check_line_type(row["line_type"]),
        "payment_mode": rules.check_payment_mode(row["payment_mode"]),
        "currency": currency,
        "monthly_fee": check_fee("monthly_fee", row["monthly_fee"], currency),
        "activation_fee": check_fee("activation_fee", row["activation_fee"], currency),
        "min_credit_class": check_credit_class(row["min_credit_class"]),
    }
    fields |= {field: check_allowance(field, row[field]) for field in ALLOWANCES}
    return fields


def upsert_product(row: dict) -> str:
    fields = parse_product(row)
    plan = rate_plan_named(row["rate_plan"])
    product = db.session.scalar(db.select(Product).where(Product.code == fields["code"]))
    if product is None:
        db.session.add(Product(rate_plan=plan, **fields))
        db.session.flush()
        return import_frame.ACCEPTED
    unchanged = product.rate_plan is plan and all(
        getattr(product, key) == value for key, value in fields.items()
    )
    if unchanged:
        return import_frame.DUPLICATE
    for key, value in fields.items():
        setattr(product, key, value)
    product.rate_plan = plan
    db.session.flush()
    return import_frame.ACCEPTED


def import_products(path) -> import_frame.ImportSummary:
    return import_frame.run_import(
        "products", path, PRODUCT_COLUMNS, lambda row, _line: upsert_product(row)
    )


@edit_rule
def prepare_product(product: Product, rate_plan_code: str | None) -> None:
    """Check a product entered on the form by the import's own rules."""
    row = import_frame.row_of(product, (c for c in PRODUCT_COLUMNS if c != "rate_plan"))
    for key, value in parse_product(row).items():
        setattr(product, key, value)
    if rate_plan_code is not None:
        product.rate_plan = rate_plan_named(rate_plan_code.strip())
    validation.required("rate_plan", product.rate_plan)
    validation.check_unique_ref(Product, product, "code")
    if product.id is not None:
        stored = db.session.scalar(db.select(Product.code).where(Product.id == product.id))
        if stored != product.code:
            _check_unused("code", stored)


def _check_unused(field: str, code: str) -> None:
    """Lines and orders refer to a product by its code: while any line is billed by it or
    an order not yet carried out names it, the product stays and keeps its code."""
    lines = db.session.scalar(
        db.select(db.func.count(Service.id)).where(Service.product_code == code)
    )
    if lines:
        raise DomainError(field, _l("%(code)s is used by %(n)s line(s)", code=code, n=lines))
    orders = db.session.scalar(
        db.select(db.func.count(db.distinct(Order.id)))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.product_code == code, Order.status.in_((OrderStatus.DRAFT, *OPEN)))
    )
    if orders:
        raise DomainError(
            field, _l("%(code)s is named by %(n)s open order(s)", code=code, n=orders)
        )


def check_product_delete(product: Product) -> None:
    _check_unused("product", product.code)


@edit_rule
def prepare_rate_plan(plan: RatePlan) -> None:
    validation.check_ref("code", plan.code)
    validation.check_unique_ref(RatePlan, plan, "code")


@edit_rule
def prepare_product_name(entry: ProductName, product_code: str | None) -> None:
    if product_code is not None:
        entry.product = db.session.scalar(db.select(Product).where(Product.code == product_code))
        if entry.product is None:
            raise DomainError("product", _l("unknown reference %(ref)s", ref=repr(product_code)))
    validation.check_language(entry.language)
    clash = db.select(ProductName.id).where(
        ProductName.product_id == entry.product.id, ProductName.language == entry.language
    )
    if entry.id is not None:
        clash = clash.where(ProductName.id != entry.id)
    if db.session.scalar(clash) is not None:
        raise DomainError(
            "language", _l("%(ref)s already has a name in this language", ref=entry.product.code)
        )


def product_name(product: Product, language: str) -> str:
    """The product's name in a language, or its own name where none is given."""
    for entry in product.names:
        if entry.language == language:
            return entry.name
    return product.name


@edit_rule
def prepare_discount(discount: Discount) -> None:
    validation.check_ref("code", discount.code)
    validation.check_choice("kind", discount.kind, list(DiscountKind))
    validation.check_choice("applies_to", discount.applies_to, list(DiscountTarget))
    value = discount.value
    if value is None or not value.is_finite() or value <= 0:
        raise DomainError("value", _l("%(value)s is not an amount above 0", value=value))
    if discount.kind == DiscountKind.PERCENTAGE:
        if value > 100:
            raise DomainError("value", _l("a percentage is at most 100"))
        discount.currency = None
    else:
        discount.currency = validation.check_currency(discount.currency or "")
        validation.check_amount("value", value, discount.currency)
    if discount.cycles is not None and discount.cycles < 1:
        raise DomainError("cycles", _l("at least 1 (empty: open-ended)"))
    validation.check_unique_ref(Discount, discount, "code")
