"""Business hours: when a region's operator works, and time counted only then.

A region works on its weekdays from its opening to its closing time, in its own timezone
(Monday to Friday, 09:00 to 18:00 unless a Supervisor set other hours), and not on the
public holidays of its country, as the `holidays` package knows them. `add` finds the
moment a number of business seconds after another; `between` counts the business seconds
from one moment to another. SLA clocks (app/services/care/sla.py) are counted with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.crm import Region
from app.models.tickets import BusinessHours
from app.services.crm import regions as crm_regions
from app.services.platform.errors import DomainError

DEFAULT_WEEKDAYS = "12345"
DEFAULT_OPENS, DEFAULT_CLOSES = time(9, 0), time(18, 0)
# a calendar that keeps no business day in this many days is a mistake, not a slow week
LONGEST_WALK = 3700
CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True)
class Calendar:
    timezone: str
    weekdays: frozenset[int]  # ISO: Monday is 1
    opens: time
    closes: time
    country: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        return day in _holidays(self.country, day.year)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's business hours as UTC moments; None on a day off."""
        if day.isoweekday() not in self.weekdays or self.is_holiday(day):
            return None
        zone = self.zone
        opens = datetime.combine(day, self.opens, tzinfo=zone).astimezone(UTC)
        closes = datetime.combine(day, self.closes, tzinfo=zone).astimezone(UTC)
        return opens, closes

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:  # a country the package does not know: no holidays
        return frozenset()


def add(start: datetime, seconds: int, calendar: Calendar) -> datetime:
    """The moment `seconds` business seconds after `start` (`start` itself for none)."""
    if seconds <= 0:
        return start
    remaining = seconds
    day = calendar.local_day(start)
    for _ in range(LONGEST_WALK):
        window = calendar.window(day)
        if window is not None:
            begin, end = max(window[0], start), window[1]
            if begin < end:
                available = int((end - begin).total_seconds())
                if remaining <= available:
                    return begin + timedelta(seconds=remaining)
                remaining -= available
        day += timedelta(days=1)
    raise DomainError("business_hours", _l("the region has no business day in ten years"))


def between(start: datetime, end: datetime, calendar: Calendar) -> int:
    """The business seconds from `start` to `end` (0 when `end` is not after `start`)."""
    if end <= start:
        return 0
    total = 0
    day, last = calendar.local_day(start), calendar.local_day(end)
    while day <= last:
        window = calendar.window(day)
        if window is not None:
            begin, finish = max(window[0], start), min(window[1], end)
            if begin < finish:
                total += int((finish - begin).total_seconds())
        day += timedelta(days=1)
    return total


def calendar_for(region: Region) -> Calendar:
    hours = db.session.get(BusinessHours, region.id)
    if hours is None:
        weekdays, opens, closes = DEFAULT_WEEKDAYS, DEFAULT_OPENS, DEFAULT_CLOSES
    else:
        weekdays = hours.weekdays
        opens, closes = _clock("opens", hours.opens), _clock("closes", hours.closes)
    return Calendar(
        region.timezone, frozenset(int(d) for d in weekdays), opens, closes, region.country
    )


def all_hours() -> list[tuple[Region, Calendar]]:
    """Every region with its business hours, by code (the SLA screen)."""
    return [(region, calendar_for(region)) for region in crm_regions.of(None)]


def _clock(field: str, value: str) -> time:
    match = CLOCK.fullmatch((value or "").strip())
    if match is None:
        raise DomainError(field, _l("%(value)s is not a time (HH:MM)", value=repr(value)))
    return time(int(match[1]), int(match[2]))


def set_hours(region: Region, weekdays, opens: str, closes: str) -> BusinessHours:
    """A region's business hours: the ISO weekdays it works (1 Monday … 7 Sunday) and its
    opening and closing times (HH:MM, the same every working day)."""
    days = sorted({str(day).strip() for day in weekdays if str(day).strip()})
    if not days:
        raise DomainError("weekdays", _l("choose at least one working day"))
    if any(day not in "1234567" or len(day) != 1 for day in days):
        raise DomainError("weekdays", _l("weekdays are numbers from 1 (Monday) to 7 (Sunday)"))
    start, end = _clock("opens", opens), _clock("closes", closes)
    if start >= end:
        raise DomainError("closes", _l("closes before it opens"))
    hours = db.session.get(BusinessHours, region.id) or BusinessHours(region_id=region.id)
    hours.weekdays = "".join(days)
    hours.opens, hours.closes = f"{start:%H:%M}", f"{end:%H:%M}"
    db.session.add(hours)
    db.session.commit()
    return hours
