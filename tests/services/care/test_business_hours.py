"""Business time: counted on the region's working days and hours, in its timezone, and
never on its country's public holidays."""

from datetime import time, timedelta

import pytest

from app.extensions import db
from app.models.crm import Region
from app.services.care import business_hours
from app.services.care.business_hours import Calendar, add, between
from app.services.platform.errors import DomainError
from tests.services.care.ticketed import local, rome

HOUR = 3600
WEEKDAYS = frozenset({1, 2, 3, 4, 5})
ITALY = Calendar("Europe/Rome", WEEKDAYS, time(9), time(18), "IT")
KOREA = Calendar("Asia/Seoul", WEEKDAYS, time(9), time(18), "KR")
RUSSIA = Calendar("Europe/Moscow", WEEKDAYS, time(9), time(18), "RU")


def seoul(*args):
    return local("Asia/Seoul", *args)


def moscow(*args):
    return local("Europe/Moscow", *args)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # Monday 2 March 2026, within the day
        (rome(2026, 3, 2, 10), 4, rome(2026, 3, 2, 14)),
        # the evening is not counted: on into Tuesday morning
        (rome(2026, 3, 2, 16), 4, rome(2026, 3, 3, 11)),
        # opened at night: the clock starts when the office opens
        (rome(2026, 3, 2, 22, 30), 1, rome(2026, 3, 3, 10)),
        # Friday afternoon to Monday: the weekend is not counted
        (rome(2026, 3, 6, 17), 3, rome(2026, 3, 9, 11)),
        (rome(2026, 3, 7, 12), 1, rome(2026, 3, 9, 10)),  # opened on a Saturday
        # Thursday 30 April 2026: Friday 1 May (Labour Day) is a holiday
        (rome(2026, 4, 30, 17), 2, rome(2026, 5, 4, 10)),
        # Easter Monday 6 April 2026
        (rome(2026, 4, 3, 17), 2, rome(2026, 4, 7, 10)),
        # five business days from Monday morning: Friday's close
        (rome(2026, 3, 2, 9), 45, rome(2026, 3, 6, 18)),
        # summer time begins on Sunday 29 March 2026: business hours stay 09-18 local
        (rome(2026, 3, 27, 17), 2, rome(2026, 3, 30, 10)),
    ],
)
def test_due_times_in_italy(start, hours, due):
    assert add(start, hours * HOUR, ITALY) == due


def test_each_country_keeps_its_own_holidays():
    # Korea: Monday 2 March 2026 is the alternative holiday of Independence Movement Day
    assert add(seoul(2026, 2, 27, 17), 2 * HOUR, KOREA) == seoul(2026, 3, 3, 10)
    # Italy works that Monday
    assert add(rome(2026, 2, 27, 17), 2 * HOUR, ITALY) == rome(2026, 3, 2, 10)
    # Russia: 31 December 2025 is a day off, the new-year holidays run to Friday 9 January
    assert add(moscow(2025, 12, 30, 17), 2 * HOUR, RUSSIA) == moscow(2026, 1, 12, 10)
    # 23 February, Defender of the Fatherland Day (Monday)
    assert add(moscow(2026, 2, 20, 17), 2 * HOUR, RUSSIA) == moscow(2026, 2, 24, 10)


def test_business_seconds_between_two_moments():
    assert between(rome(2026, 3, 2, 10), rome(2026, 3, 2, 12), ITALY) == 2 * HOUR
    # Friday 17:00 to Monday 10:00: an hour on Friday, an hour on Monday
    assert between(rome(2026, 3, 6, 17), rome(2026, 3, 9, 10), ITALY) == 2 * HOUR
    assert between(rome(2026, 3, 7, 8), rome(2026, 3, 8, 20), ITALY) == 0  # a weekend
    assert between(rome(2026, 3, 9, 10), rome(2026, 3, 6, 17), ITALY) == 0  # backwards
    # a working week
    assert between(rome(2026, 3, 2, 0), rome(2026, 3, 9, 0), ITALY) == 45 * HOUR


def test_add_and_between_agree():
    start = rome(2026, 4, 29, 15, 17)
    for hours in (1, 5, 9, 13, 40, 100):
        due = add(start, hours * HOUR, ITALY)
        assert between(start, due, ITALY) == hours * HOUR


def test_a_country_the_holidays_package_does_not_know_has_no_holidays():
    atlantis = Calendar("UTC", WEEKDAYS, time(9), time(18), "ZZ")
    assert not atlantis.is_holiday(rome(2026, 1, 1).date())


def test_regions_work_monday_to_friday_nine_to_six_until_told_otherwise(ctx):
    region = db.session.scalar(db.select(Region).filter_by(code="IT-C"))
    calendar = business_hours.calendar_for(region)
    assert (calendar.weekdays, calendar.opens, calendar.closes) == (WEEKDAYS, time(9), time(18))
    assert (calendar.timezone, calendar.country) == ("Europe/Rome", "IT")
    business_hours.set_hours(region, ["1", "2", "3", "4", "5", "6"], "08:30", "20:00")
    calendar = business_hours.calendar_for(region)
    assert calendar.weekdays == frozenset(range(1, 7))
    # a Saturday now counts, from 08:30
    assert add(rome(2026, 3, 6, 19), 2 * HOUR, calendar) == rome(2026, 3, 7, 9, 30)


@pytest.mark.parametrize(
    ("weekdays", "opens", "closes", "field"),
    [
        ([], "09:00", "18:00", "weekdays"),
        (["8"], "09:00", "18:00", "weekdays"),
        (["12"], "09:00", "18:00", "weekdays"),
        (["1"], "9", "18:00", "opens"),
        (["1"], "09:00", "24:00", "closes"),
        (["1"], "18:00", "09:00", "closes"),
    ],
)
def test_business_hours_are_checked(ctx, weekdays, opens, closes, field):
    region = db.session.scalar(db.select(Region).filter_by(code="IT-C"))
    with pytest.raises(DomainError) as refused:
        business_hours.set_hours(region, weekdays, opens, closes)
    assert refused.value.field == field


def test_far_targets_are_reached():
    assert add(rome(2026, 3, 2, 9), 2000 * HOUR, ITALY) - rome(2026, 3, 2, 9) > timedelta(days=300)
