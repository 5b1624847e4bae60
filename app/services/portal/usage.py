"""A line's itemised usage for its customer (docs/portal.md, "Usage"): the records of a
range of the region's days, with what rating made of each, a page at a time or all of them
for a download.

The usage table is the largest there is: every read goes down the index on (line, start)
within the range asked for, and pages follow it from the last record shown (a keyset),
never by skipping rows with an offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models.crm import Service
from app.models.types import EPOCH, to_micros, utcnow
from app.models.usage import ChargeStatus, UsageCharge, UsageRecord
from app.services.platform import csv_text, periods, validation
from app.services.platform.errors import DomainError

PAGE = 50
# the longest range shown or downloaded at once: about a quarter
MAX_DAYS = 93
CHUNK = 2000


@dataclass(frozen=True)
class Period:
    """Days of the region, both included."""

    first: date
    last: date

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """The range as UTC moments: [first day's midnight, the day after the last's)."""
        zone = ZoneInfo(timezone)
        low = datetime.combine(self.first, time(), zone)
        high = datetime.combine(self.last + timedelta(days=1), time(), zone)
        return low.astimezone(UTC), high.astimezone(UTC)


@dataclass(frozen=True)
class Use:
    """One usage record as the customer reads it."""

    id: int
    started_at: datetime
    usage_type: str
    destination: str
    quantity: int
    rated: bool  # False: not rated yet (or waiting for a rate), no charge to show
    billed: int
    covered: int
    charge: Decimal
    currency: str


@dataclass
class UsagePage:
    line: Service
    timezone: str
    currency: str
    period: Period
    uses: list[Use]
    after: str | None  # the cursor of the next (older) page, None on the last


def timezone_of(line: Service) -> str:
    return line.account.customer.region.timezone


def period(line: Service, first: str | None, last: str | None, today: date | None = None):
    """The days asked for (`from`, `to`, YYYY-MM-DD; either left out: that end of the line's
    current billing cycle); DomainError naming the field when a day is not a date, the range runs
    backwards or is longer than MAX_DAYS."""
    start = validation.check_date("from", (first or "").strip())
    end = validation.check_date("to", (last or "").strip())
    if start is None or end is None:
        today = today or utcnow().astimezone(ZoneInfo(timezone_of(line))).date()
        cycle = periods.cycle_start(line.account.bill_day, today)
        start = start or cycle
        end = end or periods.cycle_end(cycle) - timedelta(days=1)
    if end < start:
        raise DomainError("to", _l("the last day is before the first"))
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError(
            "to",
            _l("at most %(days)s days at a time (you asked for %(asked)s)", days=MAX_DAYS,
               asked=(end - start).days + 1),
        )  # fmt: skip
    try:
        Period(start, end).bounds(timezone_of(line))
    except OverflowError:  # a day at the very edge of the calendar (year 1 or 9999)
        raise DomainError("from", _l("no usage is recorded on these days")) from None
    return Period(start, end)


def _query(line: Service, span: Period):
    low, high = span.bounds(timezone_of(line))
    return (
        select(
            UsageRecord.id,
            UsageRecord.started_at,
            UsageRecord.usage_type,
            UsageRecord.destination,
            UsageRecord.quantity,
            UsageCharge.status,
            UsageCharge.billed_quantity,
            UsageCharge.covered_quantity,
            UsageCharge.charge,
            UsageCharge.currency,
        )
        .outerjoin(UsageCharge, UsageCharge.usage_id == UsageRecord.id)
        # ix_usage_record_service_started: the line's range, read newest first
        .where(
            UsageRecord.service_id == line.id,
            UsageRecord.started_at >= low,
            UsageRecord.started_at < high,
        )
        .order_by(UsageRecord.started_at.desc(), UsageRecord.id.desc())
    )


def _use(row, currency: str) -> Use:
    *record, status, billed, covered, charge, charged_in = row
    if status != ChargeStatus.RATED:  # pending, or waiting for a rate: nothing charged yet
        return Use(*record, False, 0, 0, Decimal(0), currency)
    return Use(*record, True, billed, covered, charge, charged_in or currency)


def page(line: Service, span: Period, after: str | None = None, size: int | None = None):
    """A page of the line's records in the period, newest first; `after` is the cursor the
    previous page gave (DomainError when it is not one)."""
    size = size or PAGE
    query = _query(line, span)
    if after:
        started, record_id = _cursor(after)
        query = query.where(
            UsageRecord.started_at <= started,  # keeps the index's range tight
            or_(
                UsageRecord.started_at < started,
                and_(UsageRecord.started_at == started, UsageRecord.id < record_id),
            ),
        )
    currency = line.account.currency
    rows = db.session.execute(query.limit(size + 1)).all()
    uses = [_use(row, currency) for row in rows[:size]]
    following = None
    if len(rows) > size:
        last = uses[-1]
        following = f"{to_micros(last.started_at)}.{last.id}"
    return UsagePage(line, timezone_of(line), currency, span, uses, following)


def _cursor(text: str) -> tuple[datetime, int]:
    try:
        micros, record_id = (int(part) for part in text.split("."))
        return EPOCH + timedelta(microseconds=micros), record_id
    except (ValueError, OverflowError):
        raise DomainError("after", _l("not a page of this list")) from None


def uses(line: Service, span: Period) -> Iterator[Use]:
    """Every record of the line in the period, newest first, read in chunks (a download)."""
    currency = line.account.currency
    result = db.session.execute(_query(line, span), execution_options={"yield_per": CHUNK})
    for row in result:
        yield _use(row, currency)


def csv_lines(line: Service, span: Period, type_label, units) -> Iterator[str]:
    """The records as CSV text for a spreadsheet, a line at a time: the header in the page's
    language (the customer's), times on the region's clock with their offset, quantities
    as `units` writes them for people, charges as plain decimals. Cells a spreadsheet
    would run as a formula are kept as text."""
    zone = ZoneInfo(timezone_of(line))
    columns = (
        gettext("Started"),
        gettext("Type"),
        gettext("Number called"),
        gettext("Duration or volume"),
        gettext("Covered by allowances"),
        gettext("Charge"),
        gettext("Currency"),
    )

    def rows():
        for use in uses(line, span):
            yield (
                use.started_at.astimezone(zone).isoformat(timespec="seconds"),
                str(type_label(use.usage_type)),
                use.destination,
                units(use.usage_type, use.quantity),
                units(use.usage_type, use.covered) if use.rated else "",
                format(use.charge, "f") if use.rated else "",
                use.currency if use.rated else "",
            )

    return csv_text.csv_lines(columns, rows(), for_spreadsheet=True)
