"""Billing cycles: the half-open date range [start, end) of an account's cycle, starting on
its bill day (1–28) of each month. Allowances, bill runs and proration all use these."""

from datetime import date


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
