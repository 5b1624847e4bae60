"""The rules of every bill (docs/billing.md), on facts nobody worked out by hand: lines,
subtotal, tax and total in the currency's minor unit, the total the subtotal plus its tax,
a discount never more than what it discounts, credits floored at zero and carried whole."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.billing.bills import (
    AccountFacts,
    DiscountFacts,
    PayerFacts,
    ProductFacts,
    ServiceFacts,
    make_bill,
)

MINOR_UNITS = {"EUR": 2, "RUB": 2, "KRW": 0}
USAGE_TYPES = ("voice", "sms", "data")
RECURRING, USAGE, DISCOUNT, ADJUSTMENT = "recurring", "usage", "discount", "adjustment"


def amounts(most: int, places: int = 4, least: int = 0):
    """Amounts from `least` to `most` with up to `places` decimals, as the catalog, the rated
    usage and the adjustments store them; often on a half of a cent or of a won, where
    rounding half up shows."""
    scale = 10**places
    halves = [h for h in (scale // 200, scale // 2) if h]  # 0.005, 0.5: ties of rounding
    steps = st.sampled_from(halves).flatmap(
        lambda half: st.integers(least * scale // half, most * scale // half).map(
            lambda n: n * half
        )
    )
    return (st.integers(least * scale, most * scale) | steps).map(
        lambda n: Decimal(n).scaleb(-places)
    )


def days_around(period, spread=70):
    return st.integers(-spread, (period[1] - period[0]).days + spread).map(
        lambda n: period[0] + timedelta(days=n)
    )


@st.composite
def services(draw, period, product_codes, first_id):
    result = []
    for offset in range(draw(st.integers(0, 3))):
        activated = draw(st.none() | days_around(period))
        terminated = None
        codes = [draw(st.sampled_from(product_codes))]
        changes = []
        if activated is not None:
            lasted = draw(st.none() | st.integers(1, 150))
            terminated = None if lasted is None else activated + timedelta(days=lasted)
            day = activated
            for _ in range(draw(st.integers(0, 2))):
                day += timedelta(days=draw(st.integers(1, 40)))
                codes.append(draw(st.sampled_from(product_codes)))
                changes.append((day, codes[-2], codes[-1]))
        result.append(
            ServiceFacts(first_id + offset, f"39300000{first_id + offset:04d}", codes[-1],
                         activated, terminated, changes)
        )  # fmt: skip
    return result


@st.composite
def accounts(draw, number, currency, bill_day, period, product_codes):
    account = AccountFacts(number, f"A{number}", currency, bill_day)
    account.services = draw(services(period, product_codes, number * 10))
    for service in account.services:
        for usage_type in draw(st.sets(st.sampled_from(USAGE_TYPES))):
            account.usage[(service.id, usage_type)] = (
                draw(amounts(500)),
                draw(st.integers(0, 10**6)),
            )
    account.adjustments = [
        (number * 100 + n, draw(amounts(80, least=-120)), currency, f"adjustment {n}")
        for n in range(draw(st.integers(0, 3)))
    ]
    for n in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["percentage", "fixed"]))
        account.discounts.append(
            DiscountFacts(
                f"discount {number}.{n}",
                kind,
                draw(amounts(100) if kind == "percentage" else amounts(60)),
                None if kind == "percentage" else currency,
                draw(st.sampled_from([RECURRING, USAGE])),
                draw(st.none() | st.integers(1, 6)),
                draw(days_around(period, 120)),
            )
        )
    return account


@st.composite
def payers(draw):
    """(payer, period, products): a paying account with up to two children billed in its
    sections, all in one currency, with lines, product changes, usage, adjustments and
    discounts over a billing period."""
    currency = draw(st.sampled_from(sorted(MINOR_UNITS)))
    bill_day = draw(st.integers(1, 28))
    start = date(draw(st.integers(2025, 2027)), draw(st.integers(1, 12)), bill_day)
    period = (start, date(start.year + start.month // 12, start.month % 12 + 1, bill_day))
    products = {
        f"P{n}": ProductFacts(
            f"P{n}", currency, draw(amounts(300)), draw(amounts(60)), {"": f"Product {n}"}
        )
        for n in range(draw(st.integers(1, 3)))
    }
    codes = sorted(products)
    members = [
        draw(accounts(number, currency, bill_day, period, codes))
        for number in range(1, draw(st.integers(1, 3)) + 1)
    ]
    vat_rate = draw(st.sampled_from([Decimal(0), Decimal(10), Decimal(22)]) | amounts(30, 2))
    payer = PayerFacts(members[0], 1, "en", "IT-C", vat_rate, children=members[1:])
    return payer, period, products


def in_minor_units(amount: Decimal, currency: str) -> bool:
    return amount * 10 ** MINOR_UNITS[currency] % 1 == 0


def half_up(value: Fraction, places: int) -> Decimal:
    """`value` (0 or more) rounded half up to `places` decimals."""
    scaled = int(value * 10**places + Fraction(1, 2))
    return Decimal(scaled).scaleb(-places)


def amounts_add_up(bill, payer):
    """Every amount in the currency's minor unit; the lines add up to the subtotal, never
    below zero; the tax is the subtotal's VAT rounded once, half up; the total their sum."""
    currency = payer.account.currency
    for amount in (*(line.amount for line in bill.lines), bill.subtotal, bill.tax, bill.total):
        assert in_minor_units(amount, currency), (amount, currency)
    assert bill.subtotal == sum(line.amount for line in bill.lines)
    assert bill.subtotal >= 0
    assert bill.tax == half_up(
        Fraction(bill.subtotal) * Fraction(payer.vat_rate) / 100, MINOR_UNITS[currency]
    )
    assert bill.total == bill.subtotal + bill.tax


def discounts_within_their_base(bill):
    """The discounts of an account's section never take more than the recurring fees or the
    usage they discount."""
    targets = {
        (account.id, discount.name): discount.applies_to
        for account in bill.accounts
        for discount in account.discounts
    }
    base, discounted = defaultdict(Decimal), defaultdict(Decimal)
    for line in bill.lines:
        if line.kind in (RECURRING, USAGE):
            base[(line.account_id, line.kind)] += line.amount
        elif line.kind == DISCOUNT:
            assert line.amount < 0
            target = targets[(line.account_id, line.description)]
            discounted[(line.account_id, target)] -= line.amount
    for section, amount in discounted.items():
        assert amount <= base[section], section


def adjustments_billed_or_carried(bill, payer):
    """Each adjustment is on the bill, rounded to the minor unit, or (a credit the bill could
    not take) carried to the next bill in part or whole: nothing lost, nothing twice."""
    places = MINOR_UNITS[payer.account.currency]
    for account in bill.accounts:
        for adjustment_id, amount, _currency, reason in account.adjustments:
            lines = [
                line.amount
                for line in bill.lines
                if (line.kind, line.account_id, line.description)
                == (ADJUSTMENT, account.id, reason)
            ]
            assert (adjustment_id in bill.adjustment_ids) == bool(lines)
            stated = half_up(Fraction(abs(amount)), places).copy_sign(amount)
            assert sum(lines, Decimal(0)) + bill.carried.get(adjustment_id, 0) == stated


@settings(max_examples=100, deadline=None)
@given(facts=payers())
def test_every_bill_keeps_the_billing_rules(facts):
    payer, period, products = facts
    bill = make_bill(payer, period, products)
    if bill is not None:
        amounts_add_up(bill, payer)
        discounts_within_their_base(bill)
        adjustments_billed_or_carried(bill, payer)
