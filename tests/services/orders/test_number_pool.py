"""Number pools: ranges, reservation without double allocation, quarantine and release."""

from datetime import date

import pytest

from app.extensions import db
from app.models.crm import Region
from app.models.numbers import NumberRange, PhoneNumber
from app.services.orders import number_pool
from app.services.platform.errors import DomainError
from tests.helpers import import_rows


def _range(first, last, code="IT-C", line_type="mobile", days=30):
    region = db.session.scalar(db.select(Region).where(Region.code == code))
    number_range = NumberRange(
        region=region, line_type=line_type, first=first, last=last, quarantine_days=days
    )
    number_pool.prepare_range(number_range, None)
    db.session.add(number_range)
    db.session.commit()
    number_pool.fill_range(number_range)
    return number_range


def _status(number):
    return db.session.scalar(db.select(PhoneNumber.status).where(PhoneNumber.number == number))


def test_a_number_goes_round_its_life(ctx):
    _range("393390000000", "393390000009")
    region = db.session.scalar(db.select(Region.id).where(Region.code == "IT-C"))
    first = number_pool.reserve(region, "mobile")
    second = number_pool.reserve(region, "mobile")
    assert (first, second) == ("393390000000", "393390000001")  # never the same one twice
    number_pool.assign(first)
    number_pool.quarantine(first, date(2026, 3, 1))
    assert _status(first) == "quarantined"
    assert number_pool.release_quarantined(date(2026, 3, 30)) == 0  # 30 days: until 31 March
    assert number_pool.release_quarantined(date(2026, 3, 31)) == 1
    assert _status(first) == "free"
    number_pool.cancel_reservation(second)
    with pytest.raises(DomainError, match="393390000001 is not reserved"):
        number_pool.assign(second)


def test_the_pool_runs_dry_with_a_clear_message(ctx):
    _range("393390000000", "393390000001")
    region = db.session.scalar(db.select(Region.id).where(Region.code == "IT-C"))
    number_pool.reserve(region, "mobile")
    number_pool.reserve(region, "mobile")
    with pytest.raises(DomainError, match="no free mobile number in this region"):
        number_pool.reserve(region, "mobile")
    with pytest.raises(DomainError, match="no free fixed number"):
        number_pool.reserve(region, "fixed")


def test_numbers_already_in_service_start_assigned(ctx, tmp_path):
    import_rows(tmp_path)  # holds the line 393330000001
    _range("393330000000", "393330000004")
    assert _status("393330000001") == "assigned"
    assert _status("393330000000") == "free"


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("393390000009", "393390000000", "not below it"),
        ("393390000000", "39339000001", "same length"),
        ("393390000000", "393390200000", "at most 100000 numbers"),
        ("393390000005", "393390000020", "overlaps the range 393390000000–393390000009"),
    ],
)
def test_bad_ranges_are_refused(ctx, first, last, message):
    _range("393390000000", "393390000009")
    with pytest.raises(DomainError, match=message):
        _range(first, last)


def test_only_the_quarantine_of_an_existing_range_changes(ctx):
    number_range = _range("393390000000", "393390000009")
    number_range.quarantine_days = -1
    with pytest.raises(DomainError, match="quarantine_days: a number of days, 0 or more"):
        number_pool.prepare_range(number_range, None)
    number_range = db.session.get(NumberRange, number_range.id)
    number_range.quarantine_days = 120
    number_pool.prepare_range(number_range, [])  # no region check: the range's region stays


def test_a_last_number_with_a_superscript_digit_is_refused(ctx):
    with pytest.raises(DomainError, match="same length"):
        _range("393390000000", "39339000000²")
