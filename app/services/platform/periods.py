"""Billing cycles: the half-open date range [start, end) of an account's cycle, starting on
its bill day (1–28) of each month, and proration over them. Allowances, bill runs and
discounts all use these.

A month-period runs from a bill day to the same day of the next month; allowances renew
with each. A bill period holds one, two or three of them, by the account's bill frequency
(`Frequency`): the first ends `every − 1` month-periods after the first bill day after the
account's first activation, and each later one `every` month-periods after the one before.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
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
    return add_months(start, 1)


def add_months(day: date, months: int) -> date:
    """The same day `months` months later (earlier when negative); for bill days, which
    every month has."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, day.day)


LAST_BILL_DAY = 28  # every month has it


def bill_period(run_date: date) -> tuple[date, date]:
    """The period a bill run of `run_date` bills: [same day previous month, run_date)."""
    if run_date.day > LAST_BILL_DAY:
        raise ValueError("bill days are 1–28")
    return add_months(run_date, -1), run_date


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


def months_of(period: tuple[date, date]) -> list[tuple[date, date]]:
    """The month-periods of a bill period, in order."""
    months, start = [], period[0]
    while start < period[1]:
        months.append((start, add_months(start, 1)))
        start = months[-1][1]
    return months


@dataclass(frozen=True)
class Frequency:
    """An account's bill frequency over time: `initial` months per bill, then each change
    (effective on a cycle end, the month count from that cycle on), oldest first."""

    initial: int = 1
    changes: tuple[tuple[date, int], ...] = ()

    def at(self, start: date) -> int:
        """The months of the cycle starting on `start`."""
        every = self.initial
        for effective_on, changed in self.changes:
            if effective_on > start:
                break
            every = changed
        return every

    @property
    def monthly(self) -> bool:
        """Every cycle is one month: each bill day ends one, as it always did."""
        return self.initial == 1 and all(every == 1 for _day, every in self.changes)


def cycles(bill_day: int, anchor: date, frequency: Frequency, until: date) -> Iterator:
    """The account's cycles (start, end) from the one holding `anchor`, up to the one
    holding `until`."""
    start = cycle_start(bill_day, anchor)
    while True:
        end = add_months(start, frequency.at(start))
        yield start, end
        if end > until:
            return
        start = end


def cycle_ending(
    run_date: date, bill_day: int, anchor: date | None, frequency: Frequency
) -> tuple[date, date] | None:
    """The cycle that ends on `run_date`, if one does: the period a bill run of that date
    bills. Cycles are counted from `anchor` (the end of the account's last bill before
    `run_date`, else its first activation). A monthly account's cycles end on every bill
    day; an account that never had a line active has no cycle of two or three months yet."""
    if run_date.day != bill_day:
        return None
    if frequency.monthly:
        return bill_period(run_date)
    if anchor is None:
        return None
    for start, end in cycles(bill_day, anchor, frequency, run_date - timedelta(days=1)):
        if end == run_date:
            return start, end
    return None


def cycle_holding(
    day: date, bill_day: int, anchor: date | None, frequency: Frequency
) -> tuple[date, date]:
    """The cycle `day` falls in, counted from `anchor` (with none, or one after `day`: the
    cycle a line activated that day would start)."""
    if anchor is None or day < anchor:
        anchor = day
        frequency = Frequency(frequency.at(cycle_start(bill_day, day)))
    *_earlier, last = cycles(bill_day, anchor, frequency, day)
    return last
