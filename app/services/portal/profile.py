"""A portal user's own settings: the language the portal speaks to them, and their
customer's contact data (docs/portal.md, "Profile")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.crm import Customer
from app.models.security import AbonentUser
from app.services.crm import customers
from app.services.platform import validation
from app.services.platform.errors import DomainError
from app.services.platform.language import is_language
from app.services.portal import accounts

# what a customer may change of their own record: how to reach them; the rest (name,
# documents, region) changes through staff, who check the documents
CONTACT_FIELDS = ("email", "phone", "street", "city", "postcode")


def choose_language(user: AbonentUser, code: str) -> None:
    """Remember the customer's language on their user (every browser they use)."""
    if is_language(code) and user.language != code:
        user.language = code
        db.session.commit()


def keep_language(user: AbonentUser, chosen: str | None) -> None:
    """At sign-in: a language picked before signing in becomes the user's, unless the user
    already has one."""
    if chosen and not user.language:
        choose_language(user, chosen)


def contact(user: AbonentUser) -> Customer:
    """The customer whose contact data the user edits: their own, never a subsidiary."""
    return user.customer


def update(user: AbonentUser, values: dict) -> Customer:
    """Change the customer's contact data with the checks of the staff's customer form
    (customers.prepare_customer), recorded in the audit trail as the user's change, and the
    portal's language. An email address is required here: the user's sign-in follows it
    when the user signed in with the old one, so another user's address is refused."""
    customer = contact(user)
    old_email = (customer.email or "").lower()
    try:
        for field in CONTACT_FIELDS:
            value = values.get(field)
            value = value.strip() if isinstance(value, str) else ""
            setattr(customer, field, validation.check_length(Customer, field, value) or None)
        validation.required("email", customer.email)
        customers.prepare_customer(customer, None, None)
        new_email = customer.email
        follows = (user.email or "").lower() == old_email and new_email.lower() != old_email
        if follows:
            if accounts.email_taken(new_email, user):
                raise DomainError(
                    "email", _l("%(email)s is the sign-in of another user", email=new_email)
                )
            if (user.username or "").lower() == old_email:
                user.username = new_email
            user.email = new_email
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    choose_language(user, values.get("language") or "")
    return customer
