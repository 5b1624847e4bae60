"""The catalog: the products import (docs/formats.md), rate plans, names, discounts."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.catalog import Discount, Product, ProductName, RatePlan
from app.models.imports import ImportReject
from app.services.catalog import products
from app.services.platform.errors import DomainError
from tests.conftest import SAMPLES

HEADER = (
    "code,name,line_type,payment_mode,currency,monthly_fee,activation_fee,rate_plan,"
    "voice_min,sms,data_mb,min_credit_class\n"
)


def _import(tmp_path, rows: str):
    path = tmp_path / "products.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return products.import_products(path)


def _reasons(summary):
    rejects = db.session.scalars(
        db.select(ImportReject).where(ImportReject.batch_id == summary.batch_id)
    )
    return {r.line: r.reason for r in rejects}


def test_sample_product_with_a_plan_not_yet_rated(ctx):
    summary = products.import_products(SAMPLES / "products.csv")
    assert summary.line() == "read 1, accepted 1, rejected 0, duplicates 0"
    product = db.session.scalar(db.select(Product).where(Product.code == "SMART"))
    assert (product.monthly_fee, product.activation_fee) == (Decimal("6.00"), Decimal("2.00"))
    assert (product.voice_min, product.sms, product.data_mb) == (5, 2, 10)
    assert product.min_credit_class is None
    assert product.rate_plan.code == "BASIC" and product.rate_plan.needs_rates
    again = products.import_products(SAMPLES / "products.csv")
    assert again.line() == "read 1, accepted 0, rejected 0, duplicates 1"


def test_a_changed_product_is_updated(ctx, tmp_path):
    _import(tmp_path, "P1,Plan,mobile,postpaid,EUR,6.00,2.00,BASIC,5,2,10,C\n")
    summary = _import(tmp_path, "P1,Plan,mobile,postpaid,EUR,7.50,2.00,OTHER,5,2,10,c\n")
    assert summary.accepted == 1
    product = db.session.scalar(db.select(Product))
    assert product.monthly_fee == Decimal("7.50") and product.rate_plan.code == "OTHER"
    assert product.min_credit_class == "C"
    assert db.session.scalar(db.select(db.func.count(RatePlan.id))) == 2


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "P,Plan,satellite,postpaid,EUR,6,2,B,5,2,10,",
            "line_type: 'satellite' is not one of mobile, fixed",
        ),
        (
            "P,Plan,mobile,monthly,EUR,6,2,B,5,2,10,",
            "payment_mode: 'monthly' is not prepaid or postpaid",
        ),
        ("P,Plan,mobile,postpaid,EUR,six,2,B,5,2,10,", "monthly_fee: 'six' is not a number"),
        (
            "P,Plan,mobile,postpaid,EUR,-1,2,B,5,2,10,",
            "monthly_fee: '-1' is not an amount of 0 or more",
        ),
        (
            "P,Plan,mobile,postpaid,KRW,6.5,0,B,5,2,10,",
            "monthly_fee: 6.5 has more decimals than KRW allows",
        ),
        (
            "P,Plan,mobile,postpaid,EUR,6,2,B,-5,2,10,",
            "voice_min: '-5' is not a whole number of 0 or more",
        ),
        (
            "P,Plan,mobile,postpaid,EUR,6,2,B,5,2,1.5,",
            "data_mb: '1.5' is not a whole number of 0 or more",
        ),
        (
            "P,Plan,mobile,postpaid,EUR,6,2,B,5,2,10,F",
            "min_credit_class: 'F' is not one of A, B, C, D, E",
        ),
        ("P,Plan,mobile,postpaid,EUR,6,2,,5,2,10,", "rate_plan: required"),
        (",Plan,mobile,postpaid,EUR,6,2,B,5,2,10,", "code: required"),
    ],
)
def test_bad_product_rows_are_rejected(ctx, tmp_path, row, reason):
    summary = _import(tmp_path, row + "\n")
    assert _reasons(summary) == {2: reason}
    assert db.session.scalar(db.select(db.func.count(Product.id))) == 0


def test_product_names_per_language(ctx, tmp_path):
    _import(tmp_path, "P1,Smart,mobile,postpaid,EUR,6,2,B,5,2,10,\n")
    product = db.session.scalar(db.select(Product))
    entry = ProductName(language="ko", name="스마트")
    products.prepare_product_name(entry, "P1")
    db.session.add(entry)  # as the screen does after the rule
    db.session.commit()
    assert products.product_name(product, "ko") == "스마트"
    assert products.product_name(product, "it") == "Smart"
    with pytest.raises(DomainError, match="P1 already has a name in this language"):
        products.prepare_product_name(ProductName(language="ko", name="다른"), "P1")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "percentage", "value": Decimal("120")}, "a percentage is at most 100"),
        ({"kind": "fixed", "value": Decimal("5"), "currency": ""}, "currency"),
        ({"kind": "fixed", "value": Decimal("5.555"), "currency": "EUR"}, "more decimals"),
        ({"kind": "percentage", "value": Decimal("0")}, "is not an amount above 0"),
        ({"kind": "percentage", "value": Decimal("10"), "cycles": 0}, "at least 1"),
    ],
)
def test_discount_rules(ctx, fields, message):
    discount = Discount(code="D1", name="Promo", applies_to="recurring", **fields)
    with pytest.raises(DomainError, match=message):
        products.prepare_discount(discount)


def test_open_ended_percentage_and_fixed_discounts(ctx):
    for code, kind, value, currency in (
        ("D1", "percentage", "10", "EUR"),
        ("D2", "fixed", "2.50", "eur"),
    ):
        discount = Discount(
            code=code,
            name=code,
            kind=kind,
            value=Decimal(value),
            currency=currency,
            applies_to="usage",
        )
        products.prepare_discount(discount)
        db.session.add(discount)
    db.session.commit()
    found = {d.code: (d.currency, d.cycles) for d in db.session.scalars(db.select(Discount))}
    assert found == {"D1": (None, None), "D2": ("EUR", None)}


def test_a_product_in_use_keeps_its_code_and_stays(ctx, tmp_path):
    from app.services.orders import orders
    from tests.helpers import ordering_customer

    ordering_customer(tmp_path)
    smart = db.session.scalar(db.select(Product).where(Product.code == "SMART"))
    smart.code = "SMART2"
    with pytest.raises(DomainError, match="code: SMART is used by 1 line"):
        products.prepare_product(smart, None)
    home = db.session.scalar(db.select(Product).where(Product.code == "HOME"))
    orders.create("A1", None, [{"action": "add", "product_code": "HOME"}])
    with pytest.raises(DomainError, match="product: HOME is named by 1 open order"):
        products.check_product_delete(home)


@pytest.mark.parametrize(
    ("allowance", "reason"),
    [
        ("²", "voice_min: '²' is not a whole number of 0 or more"),
        ("٣", "voice_min: '٣' is not a whole number of 0 or more"),
        (str(2**31), f"voice_min: '{2**31}' is too large"),
    ],
)
def test_an_allowance_that_is_no_whole_number_of_the_column_is_a_reject(
    ctx, tmp_path, allowance, reason
):
    summary = _import(
        tmp_path,
        f"P,Plan,mobile,postpaid,EUR,6,2,B,{allowance},2,10,\n"
        "Q,Plan,mobile,postpaid,EUR,6,2,B,5,2,10,\n",
    )
    assert summary.line() == "read 2, accepted 1, rejected 1, duplicates 0"
    assert _reasons(summary) == {2: reason}


def test_a_fee_beyond_what_the_database_stores_is_a_reject_on_every_engine(ctx, tmp_path):
    summary = _import(
        tmp_path,
        "P,Plan,mobile,postpaid,EUR,1e20,2,B,5,2,10,\nQ,Plan,mobile,postpaid,EUR,6,2,B,5,2,10,\n",
    )
    assert summary.line() == "read 2, accepted 1, rejected 1, duplicates 0"
    assert list(_reasons(summary)) == [2]  # SQLite: Python's OverflowError
