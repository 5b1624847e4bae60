"""Regions: where customers live, with their timezone, currency, VAT rate and language."""

from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers

from app.extensions import db
from app.models.crm import Region
from app.services import csv_import
from app.services.errors import RowRejected
from app.services.language import is_language
from app.services.money import is_currency

REGION_COLUMNS = ("code", "name", "country", "timezone", "currency", "vat_rate", "language")
# ISO 3166 alpha-2 codes of the countries with a telephone numbering plan
_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)


def parse_region(row: dict) -> dict:
    """Validated region fields from a row or form; RowRejected names the first bad field."""
    code = row["code"]
    if not code or len(code) > 16:
        raise RowRejected("code: required, at most 16 characters", "code")
    if not row["name"]:
        raise RowRejected("name: required", "name")
    country = row["country"].upper()
    if country not in _COUNTRIES:
        raise RowRejected(f"country: {row['country']!r} is not an ISO 3166 alpha-2 code", "country")
    timezone = row["timezone"]
    try:
        if timezone not in available_timezones():
            raise ZoneInfoNotFoundError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise RowRejected(f"timezone: {timezone!r} is not an IANA timezone", "timezone") from None
    currency = row["currency"].upper()
    if not is_currency(currency):
        raise RowRejected(f"currency: {row['currency']!r} is not an ISO 4217 code", "currency")
    try:
        vat_rate = Decimal(row["vat_rate"])
    except InvalidOperation:
        raise RowRejected(f"vat_rate: {row['vat_rate']!r} is not a number", "vat_rate") from None
    if not (0 <= vat_rate <= 100) or vat_rate != vat_rate.quantize(Decimal("0.0001")):
        raise RowRejected("vat_rate: a percentage from 0 to 100, at most 4 decimals", "vat_rate")
    if not is_language(row["language"]):
        raise RowRejected(f"language: {row['language']!r} is not one of en, it, ko, ru", "language")
    return {
        "code": code,
        "name": row["name"],
        "country": country,
        "timezone": timezone,
        "currency": currency,
        "vat_rate": vat_rate,
        "language": row["language"],
    }


def upsert_region(fields: dict) -> str:
    region = db.session.scalar(db.select(Region).where(Region.code == fields["code"]))
    if region is None:
        db.session.add(Region(**fields))
        db.session.flush()
        return csv_import.ACCEPTED
    if all(getattr(region, key) == value for key, value in fields.items()):
        return csv_import.DUPLICATE
    for key, value in fields.items():
        setattr(region, key, value)
    db.session.flush()
    return csv_import.ACCEPTED


def import_regions(path) -> csv_import.ImportSummary:
    return csv_import.run_import(
        "regions", path, REGION_COLUMNS, lambda row: upsert_region(parse_region(row))
    )
