"""The rules every customer, account and line obeys, whatever the entry point.

Each check returns the clean value or raises DomainError naming the field and the reason.
"""

import re
from datetime import date

import phonenumbers
from flask_babel import lazy_gettext as _l

from app.models.crm import (
    BillingAccount,
    Customer,
    CustomerKind,
    DeliveryChannel,
    PaymentMode,
    Region,
    ServiceStatus,
)
from app.services.errors import DomainError
from app.services.language import is_language
from app.services.money import is_currency

SERVICE_ID = re.compile(r"^[1-9][0-9]{4,14}$")


def required(field: str, value):
    if value in (None, ""):
        raise DomainError(field, _l("required"))
    return value


def check_kind(kind: str) -> str:
    if kind not in (CustomerKind.INDIVIDUAL, CustomerKind.COMPANY):
        raise DomainError("kind", _l("%(value)s is not individual or company", value=repr(kind)))
    return kind


def check_language(language: str) -> str:
    if not is_language(language):
        raise DomainError(
            "language", _l("%(value)s is not one of en, it, ko, ru", value=repr(language))
        )
    return language


def check_payment_mode(mode: str) -> str:
    if mode not in (PaymentMode.PREPAID, PaymentMode.POSTPAID):
        raise DomainError(
            "payment_mode", _l("%(value)s is not prepaid or postpaid", value=repr(mode))
        )
    return mode


def check_delivery_channel(channel: str) -> str:
    if channel not in list(DeliveryChannel):
        raise DomainError(
            "delivery_channel", _l("%(value)s is not email, post or portal", value=repr(channel))
        )
    return channel


def check_currency(currency: str) -> str:
    code = (currency or "").upper()
    if not is_currency(code):
        raise DomainError("currency", _l("%(value)s is not an ISO 4217 code", value=repr(currency)))
    return code


def check_bill_day(bill_day) -> int:
    try:
        value = int(bill_day)
    except (TypeError, ValueError):
        raise DomainError(
            "bill_day", _l("%(value)s is not a whole number", value=repr(bill_day))
        ) from None
    if not 1 <= value <= 28:
        raise DomainError("bill_day", _l("%(value)s is not between 1 and 28", value=value))
    return value


def check_service_id(service_id: str) -> str:
    if not SERVICE_ID.match(service_id or ""):
        raise DomainError(
            "service_id",
            _l("%(value)s is not a number in E.164 form without '+'", value=repr(service_id)),
        )
    return service_id


def check_date(field: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(
            field, _l("%(value)s is not a date (YYYY-MM-DD)", value=repr(value))
        ) from None


def check_phone(phone: str | None, country: str) -> str | None:
    """The number in E.164, read as a number of the country when it has no prefix."""
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise DomainError("phone", _l("%(value)s is not a phone number", value=repr(phone)))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_region_allowed(region: Region | None, region_ids: list[int] | None) -> Region:
    if region is None:
        raise DomainError("region", _l("required"))
    if region_ids is not None and region.id not in region_ids:
        raise DomainError("region", _l("%(code)s is not one of your regions", code=region.code))
    return region


def _reaches(start, target, link: str) -> bool:
    """Whether following `link` from `start` (itself included) arrives at `target`."""
    node = start
    while node is not None:
        if node is target or (target.id is not None and node.id == target.id):
            return True
        node = getattr(node, link)
    return False


def check_parent(customer: Customer, parent: Customer | None) -> None:
    """A parent is a company, and the hierarchy stays a tree."""
    if parent is None:
        return
    if parent.kind != CustomerKind.COMPANY:
        raise DomainError(
            "parent", _l("%(ref)s is not a company", ref=parent.ref), column="parent_ref"
        )
    if _reaches(parent, customer, "parent"):
        raise DomainError(
            "parent", _l("%(ref)s would make a cycle", ref=parent.ref), column="parent_ref"
        )


def check_bill_to(account: BillingAccount, payer: BillingAccount | None) -> None:
    """The paying account is another postpaid account in the same currency, with no cycle."""
    if payer is None:
        return
    if payer.payment_mode != PaymentMode.POSTPAID:
        raise DomainError("bill_to", _l("%(ref)s is not a postpaid account", ref=payer.ref))
    if payer.currency != account.currency:
        raise DomainError(
            "bill_to", _l("%(ref)s bills in %(currency)s", ref=payer.ref, currency=payer.currency)
        )
    if _reaches(payer, account, "bill_to"):
        raise DomainError("bill_to", _l("%(ref)s would make a cycle", ref=payer.ref))


def service_status_on(activated_on: date | None, today: date) -> str:
    """A line is active from its activation day; one activating later is still pending."""
    if activated_on is None or activated_on > today:
        return ServiceStatus.PENDING
    return ServiceStatus.ACTIVE
