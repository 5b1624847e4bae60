"""Regions: where customers live, with their timezone, currency, VAT rate and language,
and the operator's legal entity there, which the region's bills and credit notes name."""

from decimal import Decimal, InvalidOperation
from zoneinfo import available_timezones

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l
from stdnum import bic, iban

from app.extensions import db
from app.models.crm import Region
from app.services.platform import bank_ids, import_frame
from app.services.platform.editing import edit_rule
from app.services.platform.errors import DomainError
from app.services.platform.scoping import scoped
from app.services.platform.validation import check_currency, check_language, check_length, check_ref

REGION_COLUMNS = ("code", "name", "country", "timezone", "currency", "vat_rate", "language")
LEGAL_COLUMNS = (
    "legal_name",
    "legal_address",
    "legal_tax_label",
    "legal_tax_number",
    "legal_bank_account",
)
# where customers pay, as bills and their payment QR codes give it (docs/billing.md,
# "How to pay"): which of them a region needs depends on its currency's standard
BANK_COLUMNS = (
    "bank_name",
    "bank_iban",
    "bank_bic",
    "bank_account",
    "bank_code",
    "bank_correspondent",
    "sepa_creditor_id",
)
# digits a national bank field must have: Russia's account (р/с), БИК and correspondent
# account (к/с); Korea's bank code and the prefix of its virtual account numbers (which
# leaves room in 13 digits for the account's id)
BANK_DIGITS = {
    "RUB": {"bank_account": (20, 20), "bank_code": (9, 9), "bank_correspondent": (20, 20)},
    "KRW": {"bank_account": (2, 8), "bank_code": (3, 3)},
}
# what a bill cannot go without (a bank account is printed when there is one)
LEGAL_REQUIRED = frozenset(LEGAL_COLUMNS[:4])
# ISO 3166 alpha-2 codes of the countries with a telephone numbering plan
_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)


def parse_region(row: dict) -> dict:
    """Validated region fields from a row or form; DomainError names the first bad field."""
    code = check_ref("code", row["code"])
    if len(code) > 16:
        raise DomainError("code", _l("required, at most 16 characters"))
    if not row["name"]:
        raise DomainError("name", _l("required"))
    check_length(Region, "name", row["name"])
    country = row["country"].upper()
    if country not in _COUNTRIES:
        raise DomainError(
            "country", _l("%(value)s is not an ISO 3166 alpha-2 code", value=repr(row["country"]))
        )
    timezone = row["timezone"]
    if timezone not in available_timezones():
        raise DomainError("timezone", _l("%(value)s is not an IANA timezone", value=repr(timezone)))
    currency = check_currency(row["currency"])
    try:
        vat_rate = Decimal(row["vat_rate"])
    except InvalidOperation:
        raise DomainError(
            "vat_rate", _l("%(value)s is not a number", value=repr(row["vat_rate"]))
        ) from None
    if (
        not vat_rate.is_finite()
        or not (0 <= vat_rate <= 100)
        or vat_rate != vat_rate.quantize(Decimal("0.0001"))
    ):
        raise DomainError("vat_rate", _l("a percentage from 0 to 100, at most 4 decimals"))
    language = check_language(row["language"])
    return {
        "code": code,
        "name": row["name"],
        "country": country,
        "timezone": timezone,
        "currency": currency,
        "vat_rate": vat_rate,
        "language": language,
    }


def _address_lines(lines) -> str:
    """An address as stored: its non-blank lines, one a row."""
    return "\n".join(line.strip() for line in lines if line.strip())


def legal_entity_defaults() -> dict[str, str]:
    """The legal entity a new region starts from: the operator the settings name
    (OPERATOR_NAME, OPERATOR_ADDRESS with its lines separated by ";", ...)."""
    config = current_app.config
    return {
        "legal_name": config["OPERATOR_NAME"].strip(),
        "legal_address": _address_lines(config["OPERATOR_ADDRESS"].split(";")),
        "legal_tax_label": config["OPERATOR_TAX_LABEL"].strip(),
        "legal_tax_number": config["OPERATOR_TAX_NUMBER"].strip(),
        "legal_bank_account": config["OPERATOR_BANK_ACCOUNT"].strip(),
    }


def parse_legal_entity(row: dict) -> dict[str, str]:
    """Validated legal entity fields from a form or the demo; a field left blank takes the
    settings' default. DomainError names the first bad field."""
    defaults = legal_entity_defaults()
    fields = {}
    for column in LEGAL_COLUMNS:
        value = row.get(column) or ""
        value = _address_lines(value.splitlines()) if column == "legal_address" else value.strip()
        value = value or defaults[column]
        if column in LEGAL_REQUIRED and not value:
            raise DomainError(column, _l("required"))
        if column != "legal_address" and any(char in value for char in "\r\n\t"):
            raise DomainError(column, _l("one line of text"))
        fields[column] = check_length(Region, column, value)
    return fields


def parse_bank_details(row: dict, currency: str) -> dict[str, str]:
    """Validated bank fields of a region in `currency`, each optional: an IBAN and a BIC
    that pass their checks, and the national fields with the digits their country's
    standard gives them. DomainError names the first bad field."""
    fields = {}
    for column in BANK_COLUMNS:
        value = (row.get(column) or "").strip()
        if column in ("bank_iban", "bank_bic"):
            value = value.replace(" ", "").upper()
        if any(char in value for char in "\r\n\t"):
            raise DomainError(column, _l("one line of text"))
        fields[column] = check_length(Region, column, value)
    if fields["bank_iban"] and not iban.is_valid(fields["bank_iban"]):
        raise DomainError(
            "bank_iban", _l("%(value)s is not a valid IBAN", value=repr(fields["bank_iban"]))
        )
    creditor = fields["sepa_creditor_id"].replace(" ", "").upper()
    if creditor and not bank_ids.is_creditor_id(creditor):
        raise DomainError(
            "sepa_creditor_id",
            _l("%(value)s is not a valid SEPA creditor identifier", value=repr(creditor)),
        )
    fields["sepa_creditor_id"] = creditor
    if fields["bank_bic"] and not bic.is_valid(fields["bank_bic"]):
        raise DomainError(
            "bank_bic", _l("%(value)s is not a valid BIC", value=repr(fields["bank_bic"]))
        )
    for column, (least, most) in BANK_DIGITS.get(currency, {}).items():
        value = fields[column].replace(" ", "")
        if value and not (value.isascii() and value.isdigit() and least <= len(value) <= most):
            if least == most:
                raise DomainError(column, _l("%(count)d digits", count=least))
            raise DomainError(column, _l("%(least)d to %(most)d digits", least=least, most=most))
        fields[column] = value
    return fields


@edit_rule
def prepare_region(region: Region) -> None:
    """Check and normalise a region entered on the form, by the import's own rules, its
    legal entity and its bank details."""
    fields = parse_region(import_frame.row_of(region, REGION_COLUMNS))
    fields |= parse_legal_entity(import_frame.row_of(region, LEGAL_COLUMNS))
    fields |= parse_bank_details(import_frame.row_of(region, BANK_COLUMNS), fields["currency"])
    for key, value in fields.items():
        setattr(region, key, value)


def upsert_region(fields: dict) -> str:
    """A region added or changed by an import or the demo; a new one's legal entity, when
    `fields` has none, starts from the settings' defaults."""
    region = db.session.scalar(db.select(Region).where(Region.code == fields["code"]))
    if region is None:
        db.session.add(Region(**{**legal_entity_defaults(), **fields}))
        db.session.flush()
        return import_frame.ACCEPTED
    if all(getattr(region, key) == value for key, value in fields.items()):
        return import_frame.DUPLICATE
    for key, value in fields.items():
        setattr(region, key, value)
    db.session.flush()
    return import_frame.ACCEPTED


def import_regions(path) -> import_frame.ImportSummary:
    return import_frame.run_import(
        "regions", path, REGION_COLUMNS, lambda row, _line: upsert_region(parse_region(row))
    )


def of(region_ids) -> list[Region]:
    """The regions among `region_ids` (every region when None, a user who sees them all),
    by code: what a form offers as the choice of region."""
    return list(
        db.session.scalars(scoped(db.select(Region), Region, region_ids).order_by(Region.code))
    )


def ids_of(codes) -> list[int]:
    """The ids of the regions with these codes; DomainError naming the unknown ones."""
    found = dict(
        db.session.execute(db.select(Region.code, Region.id).where(Region.code.in_(codes))).all()
    )
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise DomainError("region", _l("unknown region %(codes)s", codes=", ".join(unknown)))
    return list(found.values())
