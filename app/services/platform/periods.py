"""Billing cycles: the half-open date range [start, end) of an account's cycle, starting on
its bill day (1–28) of each month, and proration over them. Allowances, bill runs and
discounts all use these."""

from datetime import date
from decimal import Decimal

from app.services.platform.money import round_money


def cycle_start(bill_day: int, day: date) -> date:
    """The first day of the cycle holding `day`."""
    if day.day >= bill_day:
        return day.replace(day=bill_day)
    if day.month == 1:
        return date(day.year - 1, 12, bill_day)
    return date(day.year, day.month - 1, bill_day)


def cycle_end(start: date) -> date:
    """The day after the cycle starting on `start` (the next cycle's first day)."""
    if start.month == 12:
        return date(start.year + 1, 1, start.day)
    return date(start.year, start.month + 1, start.day)


LAST_BILL_DAY = 28  # every month has it


def bill_period(run_date: date) -> tuple[date, date]:
    """The period a bill run of `run_date` bills: [same day previous month, run_date)."""
    if run_date.day > LAST_BILL_DAY:
        raise ValueError("bill days are 1–28")
    if run_date.month == 1:
        return date(run_date.year - 1, 12, run_date.day), run_date
    return date(run_date.year, run_date.month - 1, run_date.day), run_date


def cycles_between(first_start: date, later_start: date) -> int:
    """How many cycles lie between two cycle starts (0: the same cycle)."""
    return (later_start.year - first_start.year) * 12 + later_start.month - first_start.month


def overlap_days(start: date, end: date | None, period: tuple[date, date]) -> int:
    """Days of [start, end) (end None: open) inside the period."""
    first = max(start, period[0])
    last = min(end, period[1]) if end is not None else period[1]
    return max(0, (last - first).days)


def prorate(amount: Decimal, days: int, period_days: int, currency: str) -> Decimal:
    """A monthly amount for `days` of a period of `period_days`, rounded once to the
    currency's minor unit."""
    return round_money(Decimal(amount) * days / period_days, currency)
