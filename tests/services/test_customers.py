"""Customers entered on forms and through the API: references, scope, normalisation."""

import pytest

from app.extensions import db
from app.models.crm import Contact, Customer, Region
from app.services import customers
from app.services.errors import DomainError


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
