"""Money: the one place that rounds and formats amounts.

Rated amounts keep 4 decimals; invoice lines and totals are rounded once, to the
currency's minor unit (EUR/RUB 2, KRW 0), half up.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies

RATED_PLACES = 4
_CURRENCIES = frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code in _CURRENCIES


def minor_units(currency: str) -> int:
    return get_currency_precision(currency)


def quantize(amount: Decimal, places: int) -> Decimal:
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_rated(amount: Decimal) -> Decimal:
    return quantize(amount, RATED_PLACES)


def round_money(amount: Decimal, currency: str) -> Decimal:
    return quantize(amount, minor_units(currency))


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=babel_locale(locale))


@cache
def babel_locale(code: str) -> Locale:
    """Babel parses a locale given by name on every call: bills format hundreds of
    amounts and dates each."""
    return Locale.parse(code)


def exact_text(amount: Decimal, currency: str) -> str:
    """An amount as text in the currency's minor unit ("35.38", "2359"), never rounded: one
    with finer digits (a prepaid debit rated to 4 decimals) keeps them ("-0.0125")."""
    places = max(minor_units(currency), -Decimal(amount).normalize().as_tuple().exponent)
    return str(quantize(amount, places))


def to_minor(amount: Decimal, currency: str) -> int:
    """The amount in the currency's smallest unit (cents; KRW has none: won), as card
    gateways count; an amount finer than that is a bug upstream, refused."""
    units = Decimal(amount).scaleb(minor_units(currency))
    if units != units.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(units)


def from_minor(units: int, currency: str) -> Decimal:
    return Decimal(int(units)).scaleb(-minor_units(currency))
