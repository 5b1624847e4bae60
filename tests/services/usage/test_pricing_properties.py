"""The rating formula of docs/rating.md, on tariffs and quantities nobody worked out by hand:
the SQL that rating runs (pricing.py, through `quote` as online charging and the "price a
call" tool use it) against the formula written out again here in exact arithmetic."""

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from itertools import count
from math import ceil, lcm

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models.catalog import RatePlan
from app.models.usage import Rate
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from app.services.usage import deck, price_call, pricing

MONDAY_NOON = datetime(2026, 2, 9, 12, 0)
TOO_LARGE = "the quantity is too large to price exactly"
INT64 = 2**63 - 1
PLAN_CODES = (f"P{n}" for n in count())  # the price-a-call tool commits its plan
# the per of voice (second, minute, hour), sms (message) and data (kB, MB) rates, and a few odd
PERS = st.sampled_from([1, 1, 60, 60, 3600, 1000, 1024, 1048576, 3, 7, 100])
# per of 2^20, 3600, 7 and 1000 have a common denominator of about 8 × 10^9: a few thousand
# seconds at 5.00 would leave 64 bits, and are refused
WIDE = ([(0, Decimal(5), 1048576, 1), (1, Decimal(5), 3600, 1), (2, Decimal(5), 7, 1),
         (3, Decimal(5), 1000, 1)], Decimal(0), False)  # fmt: skip
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def tariffs(draw):
    """(groups, connect fee, bundle): 1 to 4 groups (from, price, per, increment) from 0 on,
    prices with up to 6 decimals and connect fees with up to 4, as the rates format allows."""
    groups, start = [], 0
    for _ in range(draw(st.integers(1, 4))):
        price = Decimal(draw(st.integers(0, 5_000_000))).scaleb(-6)
        increment = draw(st.sampled_from([1, 1, 6, 10, 30, 60, 1024]) | st.integers(1, 90))
        groups.append((start, price, draw(PERS), increment))
        start += draw(st.integers(1, 600))
    connect_fee = Decimal(draw(st.integers(0, 10_000) | st.just(0))).scaleb(-4)
    return groups, connect_fee, draw(st.booleans())


def quantities(groups):
    """Quantities around the tariff's group boundaries, small ones and large ones."""
    near = [start + delta for start, *_ in groups for delta in (-1, 0, 1) if start + delta >= 0]
    return st.lists(
        st.sampled_from(near) | st.integers(0, 5_000) | st.integers(0, 10**9),
        min_size=1,
        max_size=6,
    )


def expected(groups, connect_fee, bundle, quantity, allowance):
    """(billed, covered, charge) by docs/rating.md, in exact fractions: each group bills the
    units falling in it rounded up to its increment; the allowance covers the first billed
    units of a bundle rate and waives the connect fee; the cost is rounded once, to 4
    decimals half up; nothing billed costs nothing."""
    units = []
    for k, (start, _price, _per, increment) in enumerate(groups):
        end = min(quantity, groups[k + 1][0]) if k + 1 < len(groups) else quantity
        units.append(ceil(max(0, end - start) / increment) * increment)
    billed = sum(units)
    if billed == 0:
        return 0, 0, Decimal("0.0000")
    covered = min(allowance, billed) if bundle else 0
    cost = Fraction(0) if covered else Fraction(connect_fee)
    before = 0
    for (_start, price, per, _increment), billed_here in zip(groups, units, strict=True):
        uncovered = max(0, min(billed_here, before + billed_here - covered))
        cost += Fraction(price) / per * uncovered
        before += billed_here
    ten_thousandths = int(cost * 10_000 + Fraction(1, 2))  # half up: the cost is never below 0
    return billed, covered, Decimal(ten_thousandths).scaleb(-4)


def _plan(tariff) -> RatePlan:
    groups, connect_fee, bundle = tariff
    code = next(PLAN_CODES)
    plan = RatePlan(code=code, name=code)
    db.session.add(plan)
    db.session.flush()
    db.session.add_all(
        Rate(plan_id=plan.id, currency="EUR", usage_type="voice", prefix="39",
             destination="Italy", band="any", from_units=start, price=price, per=per,
             increment=increment, connect_fee=connect_fee, bundle=bundle)
        for start, price, per, increment in groups
    )  # fmt: skip
    db.session.flush()
    return plan


def _wide(groups, quantity) -> bool:
    """Whether pricing the quantity in integers (prices in millionths over the common
    denominator of the groups' per) comes within a factor of 4 of 64 bits: only then may
    rating refuse it rather than price it."""
    denominator = lcm(*(per for _start, _price, per, _increment in groups))
    widest = max(max(price.scaleb(6) for _start, price, *_ in groups), 1) * denominator
    return (quantity + max(increment for *_, increment in groups)) * widest > INT64 // 4


@PROPERTY
@given(tariff=tariffs(), data=st.data(), allowance=st.integers(0, 2_000) | st.just(0))
def test_rating_prices_any_tariff_as_the_formula_says(app, tariff, data, allowance):
    asked = data.draw(quantities(tariff[0]), label="quantities")
    with app.app_context(), acting_as():
        try:
            plan_id = _plan(tariff).id
            deck.compile_plan(plan_id)
            quotes = pricing.quote(plan_id, "voice", "+39347", MONDAY_NOON, asked, allowance)
        finally:
            db.session.rollback()
            db.session.remove()
    for quantity, found in zip(asked, quotes, strict=True):
        if found.reason == TOO_LARGE:
            event("refused as too large")
            assert _wide(tariff[0], quantity), quantity
            continue
        assert found.reason is None
        assert (found.billed, found.covered, found.amount) == expected(
            *tariff, quantity, allowance
        ), quantity


@PROPERTY
@given(tariff=tariffs(), quantity=st.integers(0, 20_000))
@example(tariff=WIDE, quantity=1803).via("a refused quantity")
def test_the_price_a_call_tool_shows_groups_that_add_up_to_the_charge(app, tariff, quantity):
    groups, connect_fee, _bundle = tariff
    with app.app_context(), acting_as():
        try:
            priced = price_call.price_call(
                _plan(tariff).code,
                "voice",
                "+39347",
                MONDAY_NOON.replace(tzinfo=UTC),
                quantity,
                "UTC",
            )
        except DomainError as refused:
            event("refused as too large")
            assert refused.reason == TOO_LARGE
            assert _wide(groups, quantity), quantity
            return
        finally:
            db.session.rollback()
            db.session.remove()
    billed, _covered, charge = expected(*tariff, quantity, 0)
    assert (priced.billed, priced.charge) == (billed, charge)
    shares = sum((amount for _group, _units, amount in priced.groups), Decimal(0))
    fee = connect_fee if billed else 0
    assert abs(shares + fee - charge) <= Decimal("0.00005")
