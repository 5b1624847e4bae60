"""Customers entered on forms and through the API: references, scope, normalisation."""

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.crm import BillingAccount, Contact, Customer, Region
from app.services.billing import runs
from app.services.crm import customer_import, customers
from app.services.platform.errors import DomainError
from tests.conftest import SAMPLES
from tests.helpers import add_catalog, import_rows
from tests.services.billing.test_runs import _samples


def test_form_rules_check_parent_and_region_scope(ctx):
    region = db.session.scalar(db.select(Region).where(Region.code == "IT-C"))
    person = Customer(ref="P", kind="individual", name="Pia", region=region, language="it")
    company = Customer(ref="Q", kind="company", name="Quadra", region=region, language="it")
    db.session.add_all([person, company])
    db.session.flush()
    with pytest.raises(DomainError, match="parent_ref: P is not a company"):
        customers.prepare_customer(company, "P", None)
    with pytest.raises(DomainError, match="^region: not found$"):
        customers.prepare_customer(person, None, [])
    with pytest.raises(DomainError, match="phone"):
        person.phone = "12"
        customers.prepare_customer(person, None, None)
    person.phone = "06 1234 5678"
    customers.prepare_customer(person, None, None)
    assert person.phone == "+390612345678"
    db.session.rollback()


def test_a_customer_with_a_portal_user_is_not_deleted(ctx):
    from app.extensions import appbuilder

    region = db.session.scalar(db.select(Region).where(Region.code == "IT-C"))
    customer = Customer(ref="P1", kind="individual", name="Pia", region=region, language="it")
    db.session.add(customer)
    db.session.flush()
    appbuilder.sm.find_user(username="csr").customer = customer
    db.session.flush()
    with pytest.raises(DomainError, match="P1 has a portal user"):
        customers.check_delete(customer)


@pytest.fixture
def it1(ctx, tmp_path):
    """IT1's account IT1-A: postpaid in EUR with a SMART line (a postpaid product)."""
    add_catalog(tmp_path)
    import_rows(tmp_path)
    return db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "IT1-A"))


def _region(code):
    return db.session.scalar(db.select(Region).where(Region.code == code))


def test_a_customer_holding_lines_keeps_its_region(it1):
    customer = it1.customer
    customer.region = _region("KR-SEL")
    with pytest.raises(DomainError, match="region: IT1 has lines, invoices or a balance"):
        customers.prepare_customer(customer, None, None)
    # one with nothing yet may still move
    bare = Customer(ref="B1", kind="individual", name="Bea", region=_region("IT-C"))
    db.session.add(bare)
    db.session.commit()
    bare.region = _region("KR-SEL")
    customers.prepare_customer(bare, None, None)


def test_an_account_holding_lines_stays_in_its_region_and_currency(it1):
    with pytest.raises(DomainError, match="customer_ref: IT1-A has lines, invoices or a balance"):
        customers.prepare_account(it1, "KR1", None, None)
    # another customer of the same region is fine
    customers.prepare_account(it1, "ITG", None, None)
    db.session.rollback()
    it1 = db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "IT1-A"))
    it1.currency = "RUB"
    with pytest.raises(DomainError, match="currency: IT1-A has lines, invoices, adjustments or"):
        customers.prepare_account(it1, None, None, None)


def test_the_payment_mode_changes_only_without_lines_of_the_other_mode(it1):
    it1.payment_mode = "prepaid"
    with pytest.raises(DomainError, match="payment_mode: IT1-A has postpaid lines: 393330000001"):
        customers.prepare_account(it1, None, None, None)
    # a prepaid account with money on it settles it before it becomes postpaid
    ru = db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "RU1-A"))
    ru.balance = Decimal("150.00")
    db.session.commit()
    ru.payment_mode = "postpaid"
    with pytest.raises(DomainError, match="payment_mode: RU1-A has a prepaid balance of 150.00"):
        customers.prepare_account(ru, None, None, None)


def test_an_account_once_billed_keeps_its_bill_day(ctx, tmp_path):
    """Moving the day would bill again the days its last invoice took."""
    _samples()
    runs.run(date(2026, 2, 5))
    account = db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "AC1"))
    account.bill_day = 20
    with pytest.raises(DomainError, match="bill_day: AC1 is billed on day 5 already"):
        customers.prepare_account(account, None, None, None)
    db.session.rollback()
    rows = (SAMPLES / "customers.csv").read_text().replace(",EUR,5,", ",EUR,20,")
    path = tmp_path / "customers.csv"
    path.write_text(rows)
    summary = customer_import.import_customers(path)
    assert summary.rejected == 1
    assert db.session.get(BillingAccount, account.id).bill_day == 5


def test_free_text_has_no_control_characters_on_forms_too(ctx):
    region = db.session.scalar(db.select(Region).where(Region.code == "IT-C"))
    person = Customer(ref="P", kind="individual", name="Pia\x00", region=region)
    with pytest.raises(DomainError, match=r"^name: contains a control character \('\\x00'\)$"):
        customers.prepare_customer(person, None, None)
    person.name, person.street = "Pia", "Via Roma\t1"
    with pytest.raises(DomainError, match="^street: contains a control character"):
        customers.prepare_customer(person, None, None)
    person.street = "Via Roma 1"
    customers.prepare_customer(person, None, None)
    db.session.add(person)
    db.session.flush()
    contact = Contact(customer=person, name="Ugo", role="boss\x1b")
    with pytest.raises(DomainError, match="^role: contains a control character"):
        customers.prepare_contact(contact, None, None)
