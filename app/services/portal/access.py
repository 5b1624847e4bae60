"""What a portal user may see: their customer and, for a company, its subsidiaries — and
nothing else. Every portal page, download and action finds its records through here, so a
record of another customer is simply not found (NotFound: the page answers 404, never 403,
which would tell that the record exists)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.billing import Invoice, InvoiceStatus
from app.models.crm import BillingAccount, Customer, Service
from app.models.security import AbonentUser
from app.services.platform.errors import NotFound

# a company group is a parent and its subsidiaries, which may have their own
MAX_DEPTH = 5
# a portal user never sees bills still in preparation
HIDDEN_INVOICES = (InvoiceStatus.DRAFT,)


def is_customer(user) -> bool:
    """Whether the user signs in to the portal (a customer's user) rather than the admin UI."""
    return user is not None and getattr(user, "customer_id", None) is not None


def customer_ids(user: AbonentUser) -> list[int]:
    """The user's customer and every subsidiary beneath it."""
    if not is_customer(user):
        return []
    found = [user.customer_id]
    level = [user.customer_id]
    for _ in range(MAX_DEPTH):
        level = list(db.session.scalars(select(Customer.id).where(Customer.parent_id.in_(level))))
        level = [customer_id for customer_id in level if customer_id not in found]
        if not level:
            break
        found += level
    return found


def customers(user: AbonentUser) -> list[Customer]:
    query = select(Customer).where(Customer.id.in_(customer_ids(user))).order_by(Customer.id)
    return list(db.session.scalars(query))


def accounts(user: AbonentUser) -> list[BillingAccount]:
    """The accounts of the user's customers, by reference."""
    return list(
        db.session.scalars(
            select(BillingAccount)
            .where(BillingAccount.customer_id.in_(customer_ids(user)))
            .order_by(BillingAccount.ref)
        )
    )


def account(user: AbonentUser, account_id) -> BillingAccount:
    found = _owned(BillingAccount, BillingAccount.customer_id, user, account_id)
    if found is None:
        raise NotFound("account", _l("not found"))
    return found


def line(user: AbonentUser, service_id) -> Service:
    """One of the user's lines, by its row id."""
    try:
        key = int(service_id)
    except (TypeError, ValueError):
        raise NotFound("line", _l("not found")) from None
    found = db.session.scalar(
        select(Service)
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .where(Service.id == key, BillingAccount.customer_id.in_(customer_ids(user)))
    )
    if found is None:
        raise NotFound("line", _l("not found"))
    return found


def lines(user: AbonentUser) -> list[Service]:
    return list(
        db.session.scalars(
            select(Service)
            .join(BillingAccount, Service.account_id == BillingAccount.id)
            .where(BillingAccount.customer_id.in_(customer_ids(user)))
            .order_by(Service.service_id, Service.id)
        )
    )


def invoice(user: AbonentUser, number: str) -> Invoice:
    """One of the user's bills, by its number (as the portal's addresses carry it)."""
    found = db.session.scalar(
        select(Invoice).where(
            Invoice.number == str(number)[:64],
            Invoice.customer_id.in_(customer_ids(user)),
            Invoice.status.not_in(HIDDEN_INVOICES),
        )
    )
    if found is None:
        raise NotFound("invoice", _l("not found"))
    return found


def invoices_query(user: AbonentUser):
    """The user's bills, newest first, as a query to page."""
    return (
        select(Invoice)
        .where(
            Invoice.customer_id.in_(customer_ids(user)),
            Invoice.status.not_in(HIDDEN_INVOICES),
        )
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    )


def _owned(model, customer_column, user, record_id):
    try:
        key = int(record_id)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(
        select(model).where(model.id == key, customer_column.in_(customer_ids(user)))
    )
