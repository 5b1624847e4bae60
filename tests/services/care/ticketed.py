"""Customers with a line, for the ticket tests."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Region, Service

NUMBERS = {"IT-C": "3933", "KR-SEL": "8210", "RU-MOW": "7495"}


def customer(ref="TC1", region="IT-C", *, email="anna@example.test", language="",
             account=True) -> Customer:  # fmt: skip
    """An active customer of the region with a postpaid account and one active line."""
    found = db.session.scalar(db.select(Region).filter_by(code=region))
    person = Customer(ref=ref, name=f"Anna {ref}", region_id=found.id, language=language,
                      status="active", email=email)  # fmt: skip
    db.session.add(person)
    if account:
        billing = BillingAccount(ref=f"A-{ref}", customer=person, currency=found.currency,
                                 bill_day=1, delivery_channel="email")  # fmt: skip
        number = f"{NUMBERS[region]}{abs(hash(ref)) % 10**7:07d}"
        billing.services.append(Service(service_id=number, product_code="FLAT", status="active"))
        db.session.add(billing)
    db.session.commit()
    return person


def line_of(person: Customer) -> Service:
    return person.accounts[0].services[0]


def local(region_timezone: str, *args) -> datetime:
    """A moment given on the region's clock, as UTC."""
    return datetime(*args, tzinfo=ZoneInfo(region_timezone)).astimezone(UTC)


def rome(*args) -> datetime:
    return local("Europe/Rome", *args)
