"""Billing cycles (docs/billing.md, "Bill frequency"): a cycle of an account billed every
`every` months first ends `every − 1` months after the first bill day after its first
activation, then every `every` months; a bill run of a date bills the cycle ending on it."""

from datetime import date, timedelta
from itertools import islice, takewhile

import pytest

from app.services.platform.periods import (
    Frequency,
    add_months,
    bill_period,
    cycle_ending,
    cycle_holding,
    cycles,
    months_of,
)

HORIZON = date(2027, 4, 1)


def bill_days_after(day: date, bill_day: int):
    """The bill days after `day`, found by walking the calendar a day at a time."""
    while True:
        day += timedelta(days=1)
        if day.day == bill_day:
            yield day


def expected_ends(activated: date, bill_day: int, every: int) -> list[date]:
    """The contract's rule, read literally: the first end is the `every`-th bill day after
    the activation, each later one `every` bill days further."""
    ends = islice(bill_days_after(activated, bill_day), every - 1, None, every)
    return list(takewhile(lambda day: day <= HORIZON, ends))


def activations(bill_day: int) -> list[date]:
    """On the bill day, the day before and the day after, in December (so cycles run into
    the next year) and in February (the day after the 28th is in March)."""
    days = []
    for on in (date(2025, 12, bill_day), date(2026, 2, bill_day)):
        days += [on - timedelta(days=1), on, on + timedelta(days=1)]
    return days


def test_months_are_added_across_year_ends():
    assert add_months(date(2025, 12, 28), 2) == date(2026, 2, 28)
    assert add_months(date(2025, 11, 1), 3) == date(2026, 2, 1)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)
    assert bill_period(date(2026, 1, 28)) == (date(2025, 12, 28), date(2026, 1, 28))


def test_a_bill_period_is_made_of_month_periods_from_bill_day_to_bill_day():
    assert months_of((date(2025, 12, 15), date(2026, 3, 15))) == [
        (date(2025, 12, 15), date(2026, 1, 15)),
        (date(2026, 1, 15), date(2026, 2, 15)),
        (date(2026, 2, 15), date(2026, 3, 15)),
    ]
    assert months_of((date(2026, 2, 28), date(2026, 3, 28))) == [
        (date(2026, 2, 28), date(2026, 3, 28))
    ]


def test_the_contracts_worked_example():
    # a line activated on 2026-01-20, bill day 1, every 2 months
    ends = [end for _start, end in cycles(1, date(2026, 1, 20), Frequency(2), date(2026, 5, 1))]
    assert ends == [date(2026, 3, 1), date(2026, 5, 1), date(2026, 7, 1)]
    assert cycle_ending(date(2026, 3, 1), 1, date(2026, 1, 20), Frequency(2)) == (
        date(2026, 1, 1),
        date(2026, 3, 1),
    )
    assert cycle_ending(date(2026, 4, 1), 1, date(2026, 1, 20), Frequency(2)) is None


@pytest.mark.parametrize("every", [1, 2, 3])
def test_cycles_end_on_the_rule_for_every_bill_day(every):
    for bill_day in range(1, 29):
        for activated in activations(bill_day):
            ends = expected_ends(activated, bill_day, every)
            found = list(cycles(bill_day, activated, Frequency(every), HORIZON))
            assert [end for _start, end in found][: len(ends)] == ends, (bill_day, activated)
            first_start = found[0][0]
            assert first_start.day == bill_day and first_start <= activated < found[0][1]
            assert all(a[1] == b[0] for a, b in zip(found, found[1:], strict=False))
            assert {add_months(start, every) for start, _end in found} == {
                end for _start, end in found
            }


@pytest.mark.parametrize("every", [1, 2, 3])
def test_a_run_bills_exactly_the_cycle_ending_on_its_date(every):
    """Counted from the first activation or from the end of the last bill, the same cycles:
    a run on a bill day that ends none bills nothing."""
    frequency = Frequency(every)
    for bill_day in range(1, 29):
        for activated in activations(bill_day):
            ends = expected_ends(activated, bill_day, every)
            starts = dict(zip(ends, [add_months(ends[0], -every), *ends], strict=False))
            run_dates = takewhile(lambda day: day <= HORIZON, bill_days_after(activated, bill_day))
            for run_date in run_dates:
                due = (starts[run_date], run_date) if run_date in starts else None
                assert cycle_ending(run_date, bill_day, activated, frequency) == due
                if due is not None and due[0] > activated:  # a bill ended where it starts
                    assert cycle_ending(run_date, bill_day, due[0], frequency) == due
            off_day = date(2026, 6, bill_day % 28 + 1)
            assert cycle_ending(off_day, bill_day, activated, frequency) is None


def test_a_change_of_frequency_takes_effect_from_the_cycle_it_names():
    frequency = Frequency(1, ((date(2026, 3, 1), 2), (date(2026, 7, 1), 3)))
    found = list(cycles(1, date(2026, 1, 10), frequency, date(2026, 12, 31)))
    assert found == [
        (date(2026, 1, 1), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 5, 1)),
        (date(2026, 5, 1), date(2026, 7, 1)),
        (date(2026, 7, 1), date(2026, 10, 1)),
        (date(2026, 10, 1), date(2027, 1, 1)),
    ]
    assert not frequency.monthly and Frequency(1, ((date(2026, 3, 1), 1),)).monthly


def test_the_cycle_holding_a_day():
    frequency = Frequency(3)
    held = cycle_holding(date(2026, 5, 20), 10, date(2026, 1, 10), frequency)
    assert held == (date(2026, 4, 10), date(2026, 7, 10))
    # before the first activation: the cycle a line activated that day would start
    assert cycle_holding(date(2025, 12, 9), 10, date(2026, 1, 10), frequency) == (
        date(2025, 11, 10),
        date(2026, 2, 10),
    )
    assert cycle_holding(date(2026, 5, 20), 10, None, frequency) == (
        date(2026, 5, 10),
        date(2026, 8, 10),
    )
