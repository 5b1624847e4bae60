"""Business references and codes: a record must stay nameable, from files, forms and the
API alike; limits are amounts of 0 or more."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.catalog import Discount, Product, RatePlan
from app.models.crm import BillingAccount, Customer, Region
from app.models.imports import ImportReject
from app.services.catalog import catalog
from app.services.crm import customer_rules, customers, regions
from app.services.dataio import imports
from app.services.platform.errors import DomainError
from tests.helpers import IMPORT_ROWS, add_catalog

SPACE = "begins or ends with a space"
INVISIBLE = "holds a tab, a line break or another invisible character"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (" C1", SPACE),
        ("C1 ", SPACE),
        ("C1\n", SPACE),
        ("C\t1", INVISIBLE),
        ("C\r1", INVISIBLE),
        ("C\n1", INVISIBLE),
        ("C\x001", INVISIBLE),
        ("C\u200b1", INVISIBLE),  # a zero-width space
        ("", "required"),
        (None, "required"),
    ],
)
def test_a_reference_refuses_blanks_around_it_and_invisible_characters(value, reason):
    with pytest.raises(DomainError) as refused:
        customer_rules.check_ref("ref", value, column="customer_ref")
    assert refused.value.message.startswith("customer_ref: ")
    assert refused.value.message.endswith(reason)


@pytest.mark.parametrize("value", ["C1", "ДЕМО-1", "고객-1", "A B"])
def test_a_reference_may_hold_any_visible_text(value):
    assert customer_rules.check_ref("ref", value) == value


# the first column of each file is its record's reference
@pytest.mark.parametrize("kind", sorted(IMPORT_ROWS))
def test_every_import_refuses_a_reference_with_a_line_break_or_a_tab(ctx, tmp_path, kind):
    if kind != "products":
        add_catalog(tmp_path)
    header, row = IMPORT_ROWS[kind]
    good = row(1)
    first, rest = good.split(",", 1)
    lines = [f'"{first[:1]}\n{first[1:]}",{rest}', f'"{first[:1]}\t{first[1:]}",{rest}', row(3)]
    path = tmp_path / f"{kind}-refs.csv"
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    summary = imports.run(kind, path)
    assert summary.line() == "read 3, accepted 1, rejected 2, duplicates 0"
    reasons = db.session.scalars(
        db.select(ImportReject.reason).where(ImportReject.batch_id == summary.batch_id)
    ).all()
    assert len(reasons) == 2 and all(reason.endswith(INVISIBLE) for reason in reasons)


def _region() -> Region:
    return db.session.scalar(db.select(Region).where(Region.code == "IT-C"))


def _refused(prepare, *args) -> str:
    with pytest.raises(DomainError) as refused:
        prepare(*args)
    return refused.value.message


def test_forms_and_the_api_refuse_such_references(ctx):
    customer = Customer(ref=" C1", kind="individual", name="Pia", region=_region())
    assert _refused(customers.prepare_customer, customer, None, None) == f"ref: ' C1' {SPACE}"
    customer = Customer(ref="C1", kind="individual", name="Pia", region=_region())
    db.session.add(customer)
    db.session.flush()
    account = BillingAccount(ref="A\t1", customer=customer, bill_day=5)
    assert _refused(customers.prepare_account, account, None, None, None) == (
        f"ref: 'A\\t1' {INVISIBLE}"
    )
    region = Region(
        code="IT-N\r",
        name="Nord",
        country="IT",
        timezone="Europe/Rome",
        currency="EUR",
        vat_rate=Decimal(22),
        language="it",
    )
    assert _refused(regions.prepare_region, region) == f"code: 'IT-N\\r' {SPACE}"
    assert _refused(catalog.prepare_rate_plan, RatePlan(code="P\n2", name="P")).endswith(INVISIBLE)
    discount = Discount(code=" D1", kind="percentage", applies_to="recurring", value=10)
    assert _refused(catalog.prepare_discount, discount) == f"code: ' D1' {SPACE}"
    db.session.rollback()


def test_a_product_form_refuses_such_a_code_or_plan(ctx):
    product = Product(
        code="SMART\t",
        name="Smart",
        line_type="mobile",
        payment_mode="postpaid",
        currency="EUR",
        monthly_fee=Decimal(1),
        activation_fee=Decimal(0),
    )
    assert _refused(catalog.prepare_product, product, "BASIC") == f"code: 'SMART\\t' {SPACE}"
    product.code = "SMART"
    assert _refused(catalog.prepare_product, product, "BA\tSIC").endswith(INVISIBLE)
    db.session.rollback()


def test_a_number_with_a_line_break_after_it_is_refused():
    with pytest.raises(DomainError, match="^service_id: "):
        customer_rules.check_service_id("393331234567\n")


@pytest.mark.parametrize("limit", [Decimal("-0.01"), Decimal(-500)])
def test_a_negative_credit_limit_is_refused(ctx, limit):
    customer = Customer(ref="C1", kind="individual", name="Pia", region=_region())
    db.session.add(customer)
    db.session.flush()
    account = BillingAccount(ref="A1", customer=customer, bill_day=5, credit_limit=limit)
    assert _refused(customers.prepare_account, account, None, None, None) == (
        "credit_limit: 0 or more"
    )
    db.session.rollback()
