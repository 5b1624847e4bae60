"""The field checks every domain uses: references and codes stay nameable from files, forms
and the API alike; limits are amounts of 0 or more; email addresses are ones mail can reach."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.acquisition import BlacklistEntry
from app.models.catalog import Discount, Product, RatePlan
from app.models.crm import BillingAccount, Contact, Customer, Region
from app.models.imports import ImportReject
from app.services.acquisition import policy
from app.services.catalog import products
from app.services.crm import customers, regions
from app.services.dataio import registry
from app.services.platform import validation
from app.services.platform.errors import DomainError
from app.services.platform.validation import check_email
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
        validation.check_ref("ref", value, column="customer_ref")
    assert refused.value.message.startswith("customer_ref: ")
    assert refused.value.message.endswith(reason)


@pytest.mark.parametrize("value", ["C1", "ДЕМО-1", "고객-1", "A B"])
def test_a_reference_may_hold_any_visible_text(value):
    assert validation.check_ref("ref", value) == value


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
    summary = registry.run(kind, path)
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
    assert _refused(products.prepare_rate_plan, RatePlan(code="P\n2", name="P")).endswith(INVISIBLE)
    discount = Discount(code=" D1", kind="percentage", applies_to="recurring", value=10)
    assert _refused(products.prepare_discount, discount) == f"code: ' D1' {SPACE}"
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
    assert _refused(products.prepare_product, product, "BASIC") == f"code: 'SMART\\t' {SPACE}"
    product.code = "SMART"
    assert _refused(products.prepare_product, product, "BA\tSIC").endswith(INVISIBLE)
    db.session.rollback()


def test_a_number_with_a_line_break_after_it_is_refused():
    with pytest.raises(DomainError, match="^service_id: "):
        validation.check_service_id("393331234567\n")


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


# --- email addresses: checked wherever one enters (customers, contacts, applications)

# each was taken before: the applications' pattern let the first three through, and
# customers and contacts took anything
BAD = ["anna@.example.it", "anna@example", "an na@example.it", "anna@exam\nple.it", "anna@"]


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("Anna.Neri@Example.IT", "Anna.Neri@Example.IT"),
        (" anna@example.it ", "anna@example.it"),
        ("иван@почта.рф", "иван@почта.рф"),
        ("", None),
        (None, None),
    ],
)
def test_a_valid_address_is_kept_as_typed(value, kept):
    assert check_email(value) == kept


@pytest.mark.parametrize("value", [*BAD, "a@" + "b" * 250 + ".it"])
def test_an_invalid_address_is_refused_naming_the_field(value):
    with pytest.raises(DomainError) as refused:
        check_email(value, "value")
    assert refused.value.message == f"value: {value.strip()!r} is not an email address"


def _customer() -> Customer:
    region = db.session.scalar(db.select(Region).where(Region.code == "IT-C"))
    customer = Customer(ref="E1", kind="individual", name="Pia", region=region, language="it")
    db.session.add(customer)
    db.session.flush()
    return customer


@pytest.mark.parametrize("value", BAD)
def test_a_customers_and_a_contacts_address_is_checked(ctx, value):
    # a line break is refused earlier, as in every free-text field
    refused = "^email: (.* is not an email address|contains a control character .*)$"
    customer = _customer()
    customer.email = value
    with pytest.raises(DomainError, match=refused):
        customers.prepare_customer(customer, None, None)
    contact = Contact(customer=customer, name="Ugo", email=value)
    with pytest.raises(DomainError, match=refused):
        customers.prepare_contact(contact, None, None)
    db.session.rollback()


def test_a_customers_valid_address_is_stored_as_typed(ctx):
    customer = _customer()
    customer.email = " Pia.Rossi@Example.it"
    customers.prepare_customer(customer, None, None)
    assert customer.email == "Pia.Rossi@Example.it"
    db.session.rollback()


def test_a_blacklisted_address_is_a_valid_one_in_lower_case(ctx):
    entry = BlacklistEntry(kind="email", value="x@", reason="fraud")
    with pytest.raises(DomainError, match="^value: 'x@' is not an email address$"):
        policy.prepare_blacklist_entry(entry)
    entry.value = "Fraud@Example.IT"
    policy.prepare_blacklist_entry(entry)
    assert entry.value == "fraud@example.it"
