"""docs/rating.md on hand-computed cases, through the SQL that rating runs (pricing.py)."""

from datetime import datetime
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.catalog import RatePlan
from app.models.usage import Rate
from app.services.usage import deck, pricing

MONDAY_NOON = datetime(2026, 2, 9, 12, 0)
MOBILE_PEAK = (((0, "0.18", 60, 30), (30, "0.09", 60, 1)), "0.10", True)
MOBILE_OFFPEAK = (((0, "0.04", 60, 1),), "0", True)
FRANCE = (((0, "0.50", 60, 60),), "0.20", False)
SMS = (((0, "0.10", 1, 1),), "0", True)
DATA = (((0, "1.00", 1048576, 1048576),), "0", True)
THREE = (((0, "0.60", 60, 10), (10, "0.30", 60, 6), (40, "0.06", 60, 1)), "0", True)


def _quote(tariff, quantity, allowance):
    groups, connect_fee, bundle = tariff
    plan = RatePlan(code="T", name="T")
    db.session.add(plan)
    db.session.flush()
    for start, price, per, increment in groups:
        db.session.add(
            Rate(plan_id=plan.id, currency="EUR", usage_type="voice", prefix="39",
                 destination="Italy", band="any", from_units=start, price=Decimal(price),
                 per=per, increment=increment, connect_fee=Decimal(connect_fee), bundle=bundle)
        )  # fmt: skip
    db.session.flush()
    deck.compile_plan(plan.id)
    found = pricing.quote(plan.id, "voice", "+39347", MONDAY_NOON, [quantity], allowance)[0]
    assert found.reason is None
    return found.billed, found.covered, found.charge


@pytest.mark.parametrize(
    ("tariff", "quantity", "allowance", "expected"),
    [
        (MOBILE_PEAK, 100, 300, (100, 100, 0)),  # e1: covered, connect fee waived
        (MOBILE_OFFPEAK, 250, 200, (250, 200, 333)),  # e2: 50 × 0.04/60 = 0.0333
        (MOBILE_PEAK, 20, 0, (30, 0, 1900)),  # e3: 0.10 + 30 × 0.18/60
        (FRANCE, 61, 0, (120, 0, 12000)),  # e4: 60/60 rounds 61 up to 120
        (FRANCE, 61, 500, (120, 0, 12000)),  # not a bundle rate: the allowance is untouched
        (SMS, 1, 2, (1, 1, 0)),  # e5
        (SMS, 1, 0, (1, 0, 1000)),  # e7
        (DATA, 15728640, 10485760, (15728640, 10485760, 50000)),  # e8: 5 MiB × 1.00
        (MOBILE_PEAK, 0, 0, (0, 0, 0)),  # e9: nothing, not even the connect fee
        # the allowance covers the first 20 billed units: 10 left in the first group
        # (10 × 0.18/60 = 0.03) and 70 in the second (70 × 0.09/60 = 0.105)
        (MOBILE_PEAK, 100, 20, (100, 20, 1350)),
        (MOBILE_PEAK, 31, 0, (31, 0, 1000 + 900 + 15)),  # 0.10 + 0.09 + 0.0015
        ((((0, "0.00015", 1, 1),), "0", True), 1, 0, (1, 0, 2)),  # 0.00015 rounds half up
        ((((0, "0.00014", 1, 1),), "0", True), 1, 0, (1, 0, 1)),
        # three groups: first 10 s whole, then by 6 s, then per second
        (THREE, 45, 0, (10 + 30 + 5, 0, 1000 + 1500 + 50)),
        # the allowance ends inside the second group: 10 + 14 covered, 16 + 5 charged
        (THREE, 45, 24, (45, 24, 800 + 50)),
        # groups with different `per` add up exactly before the one rounding
        ((((0, "0.01", 7, 1), (1, "0.01", 3, 1)), "0", False), 3, 0, (3, 0, 81)),
    ],
)
def test_contract_formula(ctx, tariff, quantity, allowance, expected):
    assert _quote(tariff, quantity, allowance) == expected


def test_a_quantity_beyond_64_bit_arithmetic_is_refused_not_mispriced(ctx):
    plan = RatePlan(code="BIG", name="BIG")
    db.session.add(plan)
    db.session.flush()
    db.session.add(
        Rate(plan_id=plan.id, currency="EUR", usage_type="data", prefix="*",
             destination="Any", band="any", from_units=0, price=Decimal("999999"), per=1,
             increment=1, connect_fee=Decimal(0), bundle=False)
    )  # fmt: skip
    db.session.flush()
    deck.compile_plan(plan.id)
    small, huge = pricing.quote(plan.id, "data", "internet", MONDAY_NOON, [10, 10**13])
    assert small.charge == 10 * 999999 * 10**4
    assert huge.reason == "the quantity is too large to price exactly"
