"""Email addresses are checked wherever one enters: customers, contacts, applications and
the blacklist; a valid address is kept as typed."""

import pytest

from app.extensions import db
from app.models.acquisition import BlacklistEntry
from app.models.crm import Contact, Customer, Region
from app.services.acquisition import credit_policy
from app.services.crm import customers
from app.services.platform.email_address import check_email
from app.services.platform.errors import DomainError

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
        credit_policy.prepare_blacklist_entry(entry)
    entry.value = "Fraud@Example.IT"
    credit_policy.prepare_blacklist_entry(entry)
    assert entry.value == "fraud@example.it"
