"""The identifiers banks check, as they check them: IBAN, BIC, the SEPA creditor
identifier, and references in the SEPA character set (direct debit, the region's bank
details)."""

import re

from flask_babel import lazy_gettext as _l
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_97_10

from app.services.platform.errors import DomainError

# the countries of the SEPA scheme (EPC list): an IBAN elsewhere cannot be debited
# fmt: off
SEPA_COUNTRIES = frozenset({
    "AD", "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB",
    "GI", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL",
    "NO", "PL", "PT", "RO", "SE", "SI", "SK", "SM", "VA",
})
# fmt: on
# the Latin subset every SEPA bank accepts in identifiers (EPC217-08); an identifier
# neither starts with "/" nor holds "//"
REFERENCE = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")
CREDITOR_ID = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}")


def check_iban(field: str, value: str) -> str:
    try:
        number = stdnum_iban.validate(value or "")
    except ValidationError:
        raise DomainError(field, _l("%(value)s is not a valid IBAN", value=repr(value))) from None
    if number[:2] not in SEPA_COUNTRIES:
        raise DomainError(field, _l("%(country)s is not in the SEPA area", country=number[:2]))
    return number


def check_bic(field: str, value: str) -> str:
    """A BIC, when given (SEPA debits need none): 8 or 11 characters, its country real."""
    if not (value or "").strip():
        return ""
    try:
        return stdnum_bic.validate(value)
    except ValidationError:
        raise DomainError(field, _l("%(value)s is not a valid BIC", value=repr(value))) from None


def check_reference(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(field, _l("required"))
    if not REFERENCE.fullmatch(value) or value.startswith("/") or "//" in value:
        raise DomainError(
            field,
            _l("at most 35 letters A-Z, digits and / - ? : ( ) . , ' + (no accents)"),
        )
    return value


def is_creditor_id(value: str) -> bool:
    """A SEPA creditor identifier: country, check digits (ISO 7064 mod 97-10 over the
    national part and the country, the business code left out), business code, national id."""
    value = (value or "").replace(" ", "").upper()
    if not CREDITOR_ID.fullmatch(value):
        return False
    digits = "".join(str(int(char, 36)) for char in value[7:] + value[:4])
    return mod_97_10.is_valid(digits)
