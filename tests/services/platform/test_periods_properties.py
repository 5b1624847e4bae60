"""Bill frequency on histories nobody worked out by hand (docs/billing.md, "Bill
frequency"): whatever the bill day, the first activation and the changes of frequency, the
cycles partition time — contiguous, each of one to three months from a bill day to a bill
day — a change alters no cycle before the end of the one under way when it was made, and a
bill run of a date bills exactly the cycle ending on it."""

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.models.crm import BILL_EVERY
from app.services.platform.periods import (
    Frequency,
    add_months,
    cycle_ending,
    cycle_holding,
    cycle_start,
    cycles,
)


@dataclass
class History:
    bill_day: int
    activated: date
    frequency: Frequency
    # (day a change was made, the frequency before it)
    changes: list[tuple[date, Frequency]]
    until: date


@st.composite
def histories(draw) -> History:
    """An account's frequency changed on random days, each change taking effect when the
    cycle under way that day ends, as crm.bill_frequency records it."""
    bill_day = draw(st.integers(1, 28))
    activated = draw(st.dates(date(2024, 1, 1), date(2026, 12, 31)))
    initial = draw(st.sampled_from(BILL_EVERY))
    frequency, made, today = Frequency(initial), [], activated
    for _ in range(draw(st.integers(0, 6))):
        today += timedelta(days=draw(st.integers(0, 150)))
        every = draw(st.sampled_from(BILL_EVERY))
        _start, effective_on = cycle_holding(today, bill_day, activated, frequency)
        made.append((today, frequency))
        changes = sorted([*frequency.changes, (effective_on, every)], key=lambda c: c[0])
        frequency = Frequency(initial, tuple(changes))
    return History(bill_day, activated, frequency, made, today + timedelta(days=400))


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


@settings(max_examples=200, deadline=None)
@given(history=histories())
def test_cycles_partition_time_from_the_first_activation(history):
    found = list(cycles(history.bill_day, history.activated, history.frequency, history.until))
    assert found[0][0] == cycle_start(history.bill_day, history.activated)
    assert found[-1][1] > history.until
    for before, after in zip(found, found[1:], strict=False):
        assert before[1] == after[0]  # no gap, no overlap
    for start, end in found:
        assert start.day == end.day == history.bill_day
        assert months_between(start, end) in BILL_EVERY
        assert end == add_months(start, history.frequency.at(start))


@settings(max_examples=200, deadline=None)
@given(history=histories())
def test_a_change_waits_for_the_end_of_the_cycle_under_way(history):
    for made_on, before in history.changes:
        under_way = cycle_holding(made_on, history.bill_day, history.activated, before)
        until = under_way[1] + timedelta(days=1)
        earlier = list(cycles(history.bill_day, history.activated, before, until))
        later = list(cycles(history.bill_day, history.activated, history.frequency, until))
        kept = [cycle for cycle in earlier if cycle[1] <= under_way[1]]
        assert later[: len(kept)] == kept
        assert under_way in later
    # several changes effective on one day: the last one made counts
    last = {}
    for effective_on, every in history.frequency.changes:
        last[effective_on] = every
    for effective_on, every in last.items():
        assert history.frequency.at(effective_on) == every


@settings(max_examples=200, deadline=None)
@given(history=histories())
def test_a_run_bills_the_cycle_ending_on_its_date_counted_from_any_bill(history):
    bill_day, frequency = history.bill_day, history.frequency
    found = list(cycles(bill_day, history.activated, frequency, history.until))
    ending = {end: (start, end) for start, end in found}
    run_date = found[0][1]
    while run_date <= history.until:
        due = ending.get(run_date)
        assert cycle_ending(run_date, bill_day, history.activated, frequency) == due
        if due is not None:
            assert cycle_ending(run_date, bill_day, due[0], frequency) == due
        run_date = add_months(run_date, 1)
