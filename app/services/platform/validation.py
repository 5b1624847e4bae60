"""Field checks every domain uses: required, text, length, references and codes, choices,
whole numbers, amounts, currencies, languages, dates, phone numbers, line numbers and email
addresses.

Each check returns the clean value or raises DomainError naming the field and the reason.
The rules of one domain's records (a customer's parent, an account's payer) live in that
domain; these know nothing of them.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services.platform.errors import DomainError
from app.services.platform.language import is_language
from app.services.platform.money import is_currency, minor_units

SERVICE_ID = re.compile(r"[1-9][0-9]{4,14}")  # fullmatch: "$" would let a newline end it


def required(field: str, value):
    if value in (None, ""):
        raise DomainError(field, _l("required"))
    return value


# C0 and C1 control characters: PostgreSQL refuses a NUL in text, and the others garble
# letters, bills and exports; notes may keep their line breaks and tabs
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


CONTROL_IN_NOTES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_text(field: str, value: str | None, multiline: bool = False) -> str | None:
    """Free text typed by people (a name, an address, a note) has no control characters."""
    found = value and (CONTROL_IN_NOTES if multiline else CONTROL).search(value)
    if found:
        raise DomainError(
            field, _l("contains a control character (%(char)s)", char=repr(found.group()))
        )
    return value


def check_length(model, field: str, value: str, column: str | None = None) -> str:
    """Text that fits its column (PostgreSQL refuses longer text, SQLite would keep it)."""
    limit = model.__table__.c[field].type.length
    if value and len(value) > limit:
        raise DomainError(field, _l("longer than %(limit)s characters", limit=limit), column=column)
    return value


def check_ref(field: str, value: str | None, column: str | None = None) -> str:
    """A business reference or code (customer, account, product, rate plan, region,
    discount): files, forms and the API name records by it, so it must be typed back as
    shown. Blanks around it, tabs, line breaks and other invisible characters would make a
    record nobody can name again."""
    required(column or field, value)
    if value != value.strip():
        raise DomainError(
            field, _l("%(value)s begins or ends with a space", value=repr(value)), column=column
        )
    if not value.isprintable():
        raise DomainError(
            field,
            _l(
                "%(value)s holds a tab, a line break or another invisible character",
                value=repr(value),
            ),
            column=column,
        )
    return value


def check_unique_ref(model, record, field: str = "ref") -> None:
    """Business references and codes are unique: a clear message instead of a database
    error."""
    value = getattr(record, field)
    query = db.select(model.id).where(getattr(model, field) == value)
    if record.id is not None:
        query = query.where(model.id != record.id)
    if db.session.scalar(query) is not None:
        raise DomainError(field, _l("%(ref)s is already in use", ref=value))


def check_choice(field: str, value: str, choices) -> str:
    if value not in [str(choice) for choice in choices]:
        raise DomainError(
            field,
            _l(
                "%(value)s is not one of %(choices)s",
                value=repr(value),
                choices=", ".join(map(str, choices)),
            ),
        )
    return value


# far above any fee, limit, income or adjustment, and thousands of them still sum within
# the 64 bits of an ExactDecimal(4) column (9.2 * 10**14)
AMOUNT_LIMIT = Decimal(10) ** 12


def check_whole_between(field: str, value, least: int, most: int) -> int:
    """A whole number from `least` to `most`, given as a number or as text (an address's
    argument, a filter's value); anything else is refused naming the field."""
    if isinstance(value, str):
        digits = value.strip().removeprefix("-")
        # a few digits at most: Python refuses to read thousands of them
        if digits.isdecimal() and digits.isascii() and len(digits) <= 18:
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise DomainError(
            field, _l("a whole number from %(least)s to %(most)s", least=least, most=most)
        )
    return value


def check_amount(field: str, amount, currency: str):
    """An amount in the currency's minor unit at most (credit limits, deposits)."""
    if amount is None:
        return None
    if amount.is_finite() and abs(amount) >= AMOUNT_LIMIT:
        raise DomainError(
            field,
            _l("%(value)s is too large: an amount is less than %(limit)s", value=amount,
               limit=format(AMOUNT_LIMIT, "f")),
        )  # fmt: skip
    if not amount.is_finite() or amount != round(amount, minor_units(currency)):
        raise DomainError(
            field,
            _l(
                "%(value)s has more decimals than %(currency)s allows",
                value=amount,
                currency=currency,
            ),
        )
    return amount


def check_limit(field: str, amount, currency: str):
    """A credit limit or a deposit: an amount of 0 or more (a negative limit would refuse
    every order, a negative deposit owe the customer)."""
    amount = check_amount(field, amount, currency)
    if amount is not None and amount < 0:
        raise DomainError(field, _l("0 or more"))
    return amount


def parse_amount(field: str, value, currency: str) -> Decimal:
    """An amount typed by staff ("12.50", "12,50"), in the currency's minor unit at most."""
    try:
        amount = Decimal(str(required(field, value)).strip().replace(",", "."))
    except InvalidOperation:
        raise DomainError(field, _l("%(value)s is not an amount", value=repr(value))) from None
    return check_amount(field, amount, currency)


def check_language(language: str) -> str:
    if not is_language(language):
        raise DomainError(
            "language", _l("%(value)s is not one of en, it, ko, ru", value=repr(language))
        )
    return language


def check_currency(currency: str) -> str:
    code = (currency or "").upper()
    if not is_currency(code):
        raise DomainError("currency", _l("%(value)s is not an ISO 4217 code", value=repr(currency)))
    return code


def check_service_id(service_id: str) -> str:
    if not SERVICE_ID.fullmatch(service_id or ""):
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


def check_email(value: str | None, field: str = "email") -> str | None:
    """The address as typed, without surrounding spaces, when it is one mail can be sent to
    (its syntax, at most 254 characters; the domain is not looked up); None when blank."""
    if value is None or not value.strip():
        return None
    email = value.strip()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(
            field, _l("%(value)s is not an email address", value=repr(email))
        ) from None
    return email
