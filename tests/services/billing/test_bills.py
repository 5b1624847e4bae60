"""A bill worked out from plain facts (no database): what refuses it."""

from datetime import date
from decimal import Decimal

import pytest

from app.services.billing.bills import (
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


def _credited(*amounts, child=None) -> PayerFacts:
    """A line of FLAT (10.00 a month) and the adjustments given, ids 1, 2, ..."""
    payer = _with_line("FLAT")
    payer.account.adjustments = [
        (number, Decimal(amount), "EUR", f"credit {number}")
        for number, amount in enumerate(amounts, 1)
    ]
    if child is not None:
        payer.children = [child]
    return payer


def test_a_credit_larger_than_the_charges_floors_the_bill_at_zero_and_carries_the_rest(app):
    bill = make_bill(_credited("-2.00", "-25.00"), PERIOD, PRODUCTS)
    assert [(line.kind, line.amount) for line in bill.lines] == [
        ("recurring", Decimal("10.00")),
        ("adjustment", Decimal("-2.00")),
        ("adjustment", Decimal("-8.00")),
    ]
    assert (bill.subtotal, bill.tax, bill.total) == (0, 0, 0)
    # the second credit is on this bill for 8.00, its other 17.00 goes to the next one
    assert bill.adjustment_ids == [1, 2]
    assert bill.carried == {2: Decimal("-17.00")}


def test_a_credit_the_bill_cannot_take_at_all_stays_pending_whole(app):
    bill = make_bill(_credited("-13.00", "-5.00", "3.00"), PERIOD, PRODUCTS)
    # the newest credit gives way first, here all of it
    assert [(line.kind, line.amount) for line in bill.lines] == [
        ("recurring", Decimal("10.00")),
        ("adjustment", Decimal("-13.00")),
        ("adjustment", Decimal("3.00")),
    ]
    assert (bill.subtotal, bill.tax, bill.total) == (0, 0, 0)
    assert bill.adjustment_ids == [1, 3]
    assert bill.carried == {2: Decimal("-5.00")}


def test_the_floor_holds_for_the_whole_consolidated_bill(app):
    child = AccountFacts(2, "PA2", "EUR", 5)
    child.adjustments = [(9, Decimal("-30.00"), "EUR", "goodwill")]
    bill = make_bill(_credited(child=child), PERIOD, PRODUCTS)
    assert bill.total == 0 and bill.subtotal + bill.tax == bill.total
    assert bill.carried == {9: Decimal("-20.00")}


def test_a_credit_alone_makes_no_bill_and_waits(app):
    payer = _payer()
    payer.account.adjustments = [(1, Decimal("-4.00"), "EUR", "goodwill")]
    assert make_bill(payer, PERIOD, PRODUCTS) is None
