"""Applying from the portal (docs/portal.md, "Sign-up"): a visitor applies as an individual
through the acquisition service, with its identity, fraud and credit checks
(app/services/acquisition/applications.py, docs/acquisition.md), and learns the outcome.

The visitor asks for products of the region's catalog and agrees to each check by a box of
its own. An application that passes takes its offer at once (the customer, the account and
a draft order, as staff accept one) and the new customer is invited to the portal. A
rejected applicant is told the identity findings, which are about what they typed (a
document number failing its check digits, an age under 18); never what the fraud and
credit checks found, which would teach a fraudster what to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.acquisition import Application, ApplicationSource, ApplicationStatus
from app.models.catalog import Product
from app.models.crm import Customer, CustomerKind, Region
from app.models.orders import Order
from app.services.acquisition import applications
from app.services.catalog.products import product_name
from app.services.platform import audit
from app.services.platform.errors import DomainError
from app.services.portal import accounts

# what the visitor types, as the acquisition service names it
TYPED = (
    "name", "birth_date", "sex", "country", "document_type", "document_number", "email",
    "phone", "street", "city", "postcode", "iban", "region", "monthly_income",
    "existing_debt", "credit_history",
)  # fmt: skip
# an individual's documents
DOCUMENT_TYPES = ("codice_fiscale", "rrn", "inn", "passport")
# the applicant's consent to the checks (docs/acquisition.md), a box for each check
CONSENTS = ("consent_identity", "consent_fraud", "consent_credit")


@dataclass
class Outcome:
    application: Application
    # what the applicant may be told of a rejection
    reasons: list[str] = field(default_factory=list)
    # why an application that passed could not take its offer at once
    pending: str | None = None
    # the draft order of an application that took its offer
    order: Order | None = None
    invited: bool = False


@dataclass
class Offer:
    """The products sold in a currency, and the regions that pay in it."""

    currency: str
    regions: list[Region]
    products: list[tuple[Product, str]]  # each with its name in the visitor's language


def choices(language: str) -> tuple[list[Region], list[Offer]]:
    """The regions one may apply in, and the products of their currencies."""
    regions, products = applications.form_choices(None)
    offers = []
    for currency in sorted({region.currency for region in regions}):
        offers.append(
            Offer(
                currency,
                [region for region in regions if region.currency == currency],
                [(p, product_name(p, language)) for p in products if p.currency == currency],
            )
        )
    return regions, offers


def apply(values: dict, product_codes: list[str], language: str) -> Outcome:
    """Submit the visitor's application; applications.InvalidApplication with a reason per
    field (the consent boxes and products among them) when the input is malformed."""
    data = {name: values[name].strip() for name in TYPED if (values.get(name) or "").strip()}
    data.update(
        kind=CustomerKind.INDIVIDUAL,
        language=language,
        consent=all(values.get(name) for name in CONSENTS),
        product_codes=list(product_codes),
    )
    errors = _portal_errors(data, values)
    if errors:
        try:
            applications.parse({**data, "consent": True}, None)
        except applications.InvalidApplication as exc:
            errors = {**exc.errors, **errors}
        audit.record_change("application", 0, "refused", {"errors": errors})
        db.session.commit()
        raise applications.InvalidApplication(errors)
    application = applications.submit(data, ApplicationSource.PORTAL)
    if application.status == ApplicationStatus.REJECTED:
        told = [f["reason"] for f in application.reasons or () if f["check"] == "identity"]
        return Outcome(application, reasons=[r for r in told if r])
    if application.status != ApplicationStatus.PASSED:
        return Outcome(application)
    return _take_offer(application)


def _portal_errors(data: dict, values: dict) -> dict[str, str]:
    """What the portal's form asks beyond the acquisition service: each consent box, a
    personal document, and at least one product of the chosen region."""
    errors = {name: str(_l("required to apply")) for name in CONSENTS if not values.get(name)}
    if data.get("document_type") and data["document_type"] not in DOCUMENT_TYPES:
        errors["document_type"] = str(_l("not a document of a person"))
    codes = data["product_codes"]
    if not codes:
        errors["product_codes"] = str(_l("choose at least one product"))
        return errors
    region = db.session.scalar(select(Region).where(Region.code == data.get("region", "")))
    if region is not None:
        currencies = dict(
            db.session.execute(
                select(Product.code, Product.currency).where(Product.code.in_(codes))
            ).all()
        )
        # an unknown code is the acquisition service's to name
        foreign = [c for c in codes if currencies.get(c, region.currency) != region.currency]
        if foreign:
            errors["product_codes"] = str(
                _l("%(codes)s not sold in %(region)s", codes=", ".join(foreign), region=region.name)
            )
    return errors


def _take_offer(application: Application) -> Outcome:
    """The products asked for, as staff accept an offer; when the credit class does not
    allow them, the application waits for staff to agree an offer with the applicant."""
    try:
        applications.accept(application)
    except DomainError as exc:
        return Outcome(application, pending=exc.reason)
    order = db.session.get(Order, application.order_id)
    try:
        accounts.invite(db.session.get(Customer, application.customer_id))
    except DomainError:
        # an address another user signs in with already: that user signs in as before
        return Outcome(application, order=order)
    return Outcome(application, order=order, invited=True)
