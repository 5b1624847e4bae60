"""The sandbox's card checks: Luhn, an expiry not past, a CVC of 3 or 4 digits."""

from datetime import date

import pytest

from app.services.gateway.sandbox_host import check_card, luhn_valid

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4242424242424242", True),
        ("4000000000000002", True),
        ("4000000000009995", True),
        ("79927398713", True),
        ("4242424242424241", False),
        ("79927398710", False),
    ],
)
def test_luhn(number, valid):
    assert luhn_valid(number) is valid


def test_a_good_card_passes_spaces_and_dashes_ignored(app):
    card = check_card("4242 4242-4242 4242", "06/26", "123", TODAY)
    assert (card.number, card.errors) == ("4242424242424242", {})
    assert check_card("4242424242424242", "12/30", "1234", TODAY).errors == {}


@pytest.mark.parametrize(
    ("number", "expiry", "cvc", "errors"),
    [
        ("4242424242424241", "06/26", "123", {"card_number": "the card number is not valid"}),
        ("4242abcd", "06/26", "123", {"card_number": "the card number is not valid"}),
        ("4242424242424242", "05/26", "123", {"expiry": "the card has expired"}),
        ("4242424242424242", "13/27", "123", {"expiry": "give the expiry as MM/YY"}),
        ("4242424242424242", "2027-01", "123", {"expiry": "give the expiry as MM/YY"}),
        ("4242424242424242", "06/26", "12", {"cvc": "the CVC is 3 or 4 digits"}),
        ("", "", "", {"card_number": "the card number is not valid",
                      "expiry": "give the expiry as MM/YY", "cvc": "the CVC is 3 or 4 digits"}),
    ],
)  # fmt: skip
def test_each_bad_field_is_named_with_its_reason(app, number, expiry, cvc, errors):
    with app.test_request_context():
        found = check_card(number, expiry, cvc, TODAY).errors
        assert {field: str(reason) for field, reason in found.items()} == errors
