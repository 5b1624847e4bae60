"""SLA clocks: a ticket's target counted in its region's business hours and holidays,
standing still while it waits for the customer, breached once and escalated once."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.tickets import SlaTarget, Ticket
from app.services.care import sla, tickets
from app.services.platform.errors import DomainError
from tests.services.care.ticketed import customer, local, rome

HOUR = 3600


def _open(person, now, category="network_fault", priority="critical"):
    return tickets.create(person.id, None, category=category, priority=priority,
                          subject="No dial tone", now=now)  # fmt: skip


def test_the_shipped_targets(ctx):
    sla.ensure_targets()
    assert db.session.scalar(db.select(db.func.count(SlaTarget.id))) == 16
    hours = sla.targets()
    assert hours[("network_fault", "critical")] == 4
    assert hours[("service_request", "low")] == 45  # five business days
    sla.ensure_targets()  # run again: nothing added
    assert db.session.scalar(db.select(db.func.count(SlaTarget.id))) == 16


def test_a_critical_fault_opened_on_friday_evening_is_due_on_monday(ctx):
    person = customer()
    ticket = _open(person, rome(2026, 3, 6, 17))  # Friday 17:00: one hour left that day
    assert ticket.sla_minutes == 4 * 60
    assert ticket.sla_due_at == rome(2026, 3, 9, 12)
    assert not ticket.breached


def test_holidays_are_not_counted(ctx):
    # Thursday 30 April 2026, 16:00 in Rome; Friday 1 May is Labour Day
    ticket = _open(customer(), rome(2026, 4, 30, 16))
    assert ticket.sla_due_at == rome(2026, 5, 4, 11)
    # Seoul: Monday 25 May 2026 is the alternative holiday of Buddha's Birthday
    korean = _open(customer("TK1", "KR-SEL"), local("Asia/Seoul", 2026, 5, 22, 17))
    assert korean.sla_due_at == local("Asia/Seoul", 2026, 5, 26, 12)


def test_the_clock_stands_still_while_waiting_for_the_customer(ctx):
    ticket = _open(customer(), rome(2026, 3, 2, 9), priority="high")  # 8 business hours
    assert ticket.sla_due_at == rome(2026, 3, 2, 17)
    tickets.transition(ticket, "in_progress", now=rome(2026, 3, 2, 10))
    # two business hours used, then the customer is asked for something
    tickets.transition(ticket, "waiting_customer", now=rome(2026, 3, 2, 11))
    assert ticket.sla_due_at is None and ticket.sla_spent == 2 * HOUR
    assert sla.remaining(ticket, rome(2026, 3, 5, 12)) == 6 * HOUR
    # the customer answers three days later: six business hours left from then
    tickets.transition(ticket, "in_progress", now=rome(2026, 3, 5, 14))
    assert ticket.sla_due_at == rome(2026, 3, 6, 11)
    # a breach check while it waited would have found nothing
    assert sla.check_breaches(rome(2026, 3, 6, 10)).breached == 0


def test_resolved_stops_the_clock_and_a_reopened_ticket_goes_on(ctx):
    ticket = _open(customer(), rome(2026, 3, 2, 9), priority="high")
    tickets.transition(ticket, "in_progress", now=rome(2026, 3, 2, 9))
    tickets.transition(ticket, "resolved", now=rome(2026, 3, 2, 12))
    assert ticket.sla_due_at is None and not ticket.breached
    tickets.transition(ticket, "in_progress", now=rome(2026, 3, 9, 9))
    assert ticket.sla_due_at == rome(2026, 3, 9, 14)


def test_a_ticket_resolved_late_counts_as_breached_as_of_its_due_time(ctx):
    ticket = _open(customer(), rome(2026, 3, 2, 9))  # due 13:00
    tickets.transition(ticket, "in_progress", now=rome(2026, 3, 2, 9))
    tickets.transition(ticket, "resolved", now=rome(2026, 3, 2, 15))
    assert ticket.breached and ticket.breached_at == rome(2026, 3, 2, 13)
    assert ticket.escalated_at is None  # resolved: nothing to escalate


def test_a_new_priority_measures_the_time_taken_against_its_target(ctx):
    ticket = _open(customer(), rome(2026, 3, 2, 9), category="complaint", priority="low")
    tickets.update(ticket, {"priority": "critical"}, now=rome(2026, 3, 2, 12))
    assert ticket.sla_minutes == 8 * 60 and ticket.sla_due_at == rome(2026, 3, 2, 17)
    tickets.update(ticket, {"category": "network_fault"}, now=rome(2026, 3, 2, 14))
    # 5 hours taken of a 4-hour target: breached at once
    assert ticket.breached and ticket.breached_at == rome(2026, 3, 2, 14)


def test_an_edited_target_applies_to_new_tickets(ctx):
    old = _open(customer(), rome(2026, 3, 2, 9))
    assert sla.set_targets({("network_fault", "critical"): "2"}) == 1
    new = _open(customer("TC2"), rome(2026, 3, 2, 9))
    assert (old.sla_minutes, new.sla_minutes) == (240, 120)
    assert new.sla_due_at == rome(2026, 3, 2, 11)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({("network_fault", "critical"): "0"}, "network_fault.critical"),
        ({("network_fault", "critical"): "2001"}, "network_fault.critical"),
        ({("network_fault", "critical"): "two"}, "network_fault.critical"),
        ({("weather", "critical"): "2"}, "category"),
        ({("billing", "urgent"): "2"}, "priority"),
    ],
)
def test_targets_are_checked_and_kept_all_or_none(ctx, changes, field):
    sla.ensure_targets()
    with pytest.raises(DomainError) as refused:
        sla.set_targets({("billing", "low"): "1", **changes})
    assert refused.value.field == field
    assert sla.targets()[("billing", "low")] == 45


def test_breaches_are_marked_and_escalated_once(ctx):
    person = customer()
    late = _open(person, rome(2026, 3, 2, 9))  # due 13:00
    waiting = _open(person, rome(2026, 3, 2, 9))
    tickets.transition(waiting, "in_progress", now=rome(2026, 3, 2, 9))
    tickets.transition(waiting, "waiting_customer", now=rome(2026, 3, 2, 10))
    on_time = _open(person, rome(2026, 3, 2, 12))  # due 16:00
    tickets.assign(late, team="network", now=rome(2026, 3, 2, 9))
    assert str(sla.check_breaches(rome(2026, 3, 2, 12, 59))) == "breached 0, escalated 0"
    summary = sla.check_breaches(rome(2026, 3, 2, 13, 5))
    assert (summary.breached, summary.escalated) == (1, 1)
    db.session.expire_all()
    assert late.breached and late.breached_at == rome(2026, 3, 2, 13)
    assert late.team == "supervisors" and late.escalated_at == rome(2026, 3, 2, 13, 5)
    assert [c.body for c in late.comments] == ["SLA breached: escalated to the Supervisors."]
    assert late.comments[0].public is False
    assert not waiting.breached and not on_time.breached
    again = sla.check_breaches(rome(2026, 3, 2, 13, 10))
    assert (again.breached, again.escalated) == (0, 0)
    assert len(late.comments) == 1
    # the job itself, as the scheduler runs it
    assert tickets.follow_up(rome(2026, 3, 2, 16, 1)).startswith("breached 1, escalated 1")
    db.session.expire_all()
    assert on_time.breached and on_time.team == "supervisors"


def test_a_breached_ticket_stays_breached_when_reopened(ctx):
    ticket = _open(customer(), rome(2026, 3, 2, 9))
    sla.check_breaches(rome(2026, 3, 2, 14))
    db.session.expire_all()
    tickets.transition(ticket, "in_progress", now=rome(2026, 3, 2, 15))
    tickets.transition(ticket, "resolved", now=rome(2026, 3, 2, 16))
    tickets.transition(ticket, "in_progress", now=rome(2026, 3, 3, 9))
    assert ticket.breached and ticket.sla_due_at == rome(2026, 3, 3, 9)
    assert sla.remaining(ticket, rome(2026, 3, 3, 10)) == -4 * HOUR
    assert sla.check_breaches(rome(2026, 3, 3, 10)).escalated == 0  # escalated once only


def test_the_breach_job_takes_every_late_ticket(ctx):
    person = customer()
    for _ in range(3):
        _open(person, rome(2026, 3, 2, 9))
    summary = sla.check_breaches(rome(2026, 3, 2, 9) + timedelta(days=2))
    assert (summary.breached, summary.escalated) == (3, 3)
    assert (
        db.session.scalar(
            db.select(db.func.count(Ticket.id)).where(Ticket.escalated_at.is_not(None))
        )
        == 3
    )
