"""A rate entered, edited or deleted on a form: the group rules of the import, and what an
edit leaves behind."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.usage import Rate
from app.services.catalog import rate_edits
from app.services.platform.errors import DomainError


def _rate(**values) -> Rate:
    fields = {
        "currency": "EUR",
        "usage_type": "voice",
        "prefix": "393",
        "destination": "Italy mobile",
        "band": "peak",
        "from_units": 0,
        "price": Decimal("0.18"),
        "per": 60,
        "increment": 30,
        "connect_fee": Decimal(0),
        "bundle": True,
    }
    return Rate(**(fields | values))


def _add(rate: Rate, plan: str = "P") -> Rate:
    rate_edits.prepare_rate(rate, plan)
    db.session.add(rate)
    db.session.commit()
    return rate


def _refusal(rate: Rate, plan: str | None = "P") -> DomainError:
    with pytest.raises(DomainError) as refused:
        rate_edits.prepare_rate(rate, plan)
    return refused.value


def test_form_rule_adds_rows_by_the_group_rules(ctx):
    first = _add(_rate())
    assert first.plan.code == "P" and not first.plan.needs_rates
    _add(_rate(from_units=30, increment=20))
    error = _refusal(_rate(from_units=45))
    assert (error.field, error.message) == (
        "from_units",
        "from: 45 is not a multiple of 20, the increment of the row from 30",
    )
    error = _refusal(_rate(from_units=30))
    assert error.message == "from: another row of P voice 393 peak starts at 30"
    error = _refusal(_rate(band="offpeak", from_units=10))
    assert error.message == "from: no row of P voice 393 offpeak starts at 0"
    error = _refusal(_rate(prefix="39", currency="USD"))
    assert error.message == "currency: 'USD' differs from EUR of the plan's other rates"
    error = _refusal(_rate(price=Decimal("0.1234567")))
    assert error.message == "price: '0.1234567' has more than 6 decimals"
    assert _refusal(_rate(), plan="").field == "plan"


def test_form_rule_checks_what_an_edit_leaves_behind(ctx):
    zero = _add(_rate())
    middle = _add(_rate(from_units=30, increment=10))
    _add(_rate(from_units=40, increment=1))
    zero.increment = 20
    error = _refusal(zero)
    assert (error.field, error.message) == (
        "increment",
        "increment: the next row starts at 30, not a multiple of 20",
    )
    db.session.rollback()
    middle.from_units = 60
    error = _refusal(middle)
    assert error.message == "from: the row from 40 would not start at a multiple of 30"
    db.session.rollback()
    zero.from_units = 10
    assert _refusal(zero).message == "from: no row of P voice 393 peak starts at 0"
    db.session.rollback()
    zero.prefix = "39"
    error = _refusal(zero)
    assert error.message == "from: the other rows of P voice 393 peak would have none starting at 0"
    db.session.rollback()
    middle.price = Decimal("0.05")
    rate_edits.prepare_rate(middle, None)  # the plan stays
    db.session.commit()
    assert db.session.get(Rate, middle.id).price == Decimal("0.05")


def test_a_row_goes_only_if_its_group_stays_whole(ctx):
    zero = _add(_rate())
    middle = _add(_rate(from_units=30, increment=10))
    last = _add(_rate(from_units=50, increment=1))
    with pytest.raises(DomainError, match="would have none starting at 0"):
        rate_edits.check_rate_delete(zero)
    with pytest.raises(DomainError, match="the row from 50 would not start at a multiple of 30"):
        rate_edits.check_rate_delete(middle)
    rate_edits.check_rate_delete(last)


def test_a_prefix_with_a_line_break_is_refused(ctx):
    assert _refusal(_rate(prefix="393\n")).message == (
        "prefix: '393\\n' is not 1 to 16 digits or *"
    )
