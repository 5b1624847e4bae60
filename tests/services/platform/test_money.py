from decimal import Decimal

from app.services.platform import money


def test_rounding_to_the_currency_minor_unit_half_up():
    assert money.round_money(Decimal("3.0967"), "EUR") == Decimal("3.10")
    assert money.round_money(Decimal("1.125"), "EUR") == Decimal("1.13")
    assert money.round_money(Decimal("1.1225"), "RUB") == Decimal("1.12")
    assert money.round_money(Decimal("1500.5"), "KRW") == Decimal("1501")
    assert money.minor_units("KRW") == 0


def test_rated_amounts_keep_four_places():
    assert money.round_rated(Decimal("50") * Decimal("0.04") / 60) == Decimal("0.0333")
    assert money.round_rated(Decimal("0.00005")) == Decimal("0.0001")


def test_locale_formats():
    assert money.format_money(Decimal("1234.5"), "EUR", "it") == "1.234,50\xa0€"
    assert money.format_money(Decimal("15000"), "KRW", "ko") == "₩15,000"
    assert money.format_money(Decimal("99.9"), "RUB", "ru") == "99,90\xa0₽"


def test_exact_text_keeps_the_minor_unit_and_any_finer_digits_never_rounding():
    assert money.exact_text(Decimal("35.3800"), "EUR") == "35.38"
    assert money.exact_text(Decimal("-35"), "EUR") == "-35.00"
    assert money.exact_text(Decimal("2359.0000"), "KRW") == "2359"
    assert money.exact_text(Decimal("-0.0125"), "EUR") == "-0.0125"
    assert money.exact_text(Decimal("12.5000"), "KRW") == "12.5"
    assert money.exact_text(Decimal("0"), "RUB") == "0.00"
