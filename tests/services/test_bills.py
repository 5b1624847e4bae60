"""A bill worked out from plain facts (no database): what refuses it."""

from datetime import date
from decimal import Decimal

import pytest

from app.services.bills import (
    AccountFacts,
    BillRefused,
    PayerFacts,
    ProductFacts,
    ServiceFacts,
    make_bill,
)

PERIOD = (date(2026, 2, 5), date(2026, 3, 5))
PRODUCTS = {
    "FLAT": ProductFacts("FLAT", "EUR", Decimal(10), Decimal(0), {"": "Flat"}),
    "KFLAT": ProductFacts("KFLAT", "KRW", Decimal(9000), Decimal(0), {"": "Flat"}),
}


def _payer(**changes) -> PayerFacts:
    payer = PayerFacts(AccountFacts(1, "PA1", "EUR", 5), 1, "it", "IT-C", Decimal(22))
    for name, value in changes.items():
        setattr(payer, name, value)
    return payer


def _with_line(product_code: str) -> PayerFacts:
    account = AccountFacts(1, "PA1", "EUR", 5)
    account.services.append(ServiceFacts(7, "390001", product_code, date(2026, 1, 1), None))
    return _payer(account=account)


def test_nothing_to_bill_makes_no_bill(app):
    assert make_bill(_payer(), PERIOD, PRODUCTS) is None


@pytest.mark.parametrize(
    ("payer", "reason"),
    [
        (_payer(vat_rate=None), "the region has no VAT rate"),
        (
            _payer(children=[AccountFacts(2, "PA2", "RUB", 5)]),
            "account PA2 is in RUB, the paying account in EUR",
        ),
        (_with_line("GONE"), "product GONE is not in the catalog"),
        (_with_line("KFLAT"), "product KFLAT is priced in KRW, the account is in EUR"),
    ],
)
def test_a_bill_that_would_be_wrong_is_refused(app, payer, reason):
    with app.test_request_context(), pytest.raises(BillRefused) as refused:
        make_bill(payer, PERIOD, PRODUCTS)
    assert refused.value.reason == reason
