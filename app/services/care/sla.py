"""SLAs of trouble tickets: how long a ticket may take, and its clock.

The target of a category and priority is a number of business hours (SlaTarget, edited by
Supervisors; `flask setup` writes the shipped defaults). A ticket's clock counts business
time of its customer's region (app/services/care/business_hours.py) while the operator has
the next move, and stands still while the ticket waits for the customer, and once it is
resolved or closed (a reopened ticket goes on from where it stopped). The ticket keeps the
target it was given, so a later edit of the table changes only new tickets, and tickets
whose category or priority change.

A ticket whose clock passes its due time is breached: once, for good. The scheduler's job
(`check_breaches`, every five minutes) marks them and escalates each running one to the
Supervisors' team, with a note in its thread; run again, it finds nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.extensions import db
from app.models.tickets import (
    CLOCK_RUNNING,
    SlaTarget,
    Ticket,
    TicketCategory,
    TicketComment,
    TicketPriority,
    TicketTeam,
)
from app.models.types import utcnow
from app.services.care import business_hours
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.language import in_english
from app.services.platform.setup import on_setup

C, P = TicketCategory, TicketPriority
DAY = 9  # business hours in the default business day
# business hours to resolve a ticket: a network fault that cuts a customer off first
DEFAULT_HOURS = {
    (C.NETWORK_FAULT, P.CRITICAL): 4,
    (C.NETWORK_FAULT, P.HIGH): 8,
    (C.NETWORK_FAULT, P.NORMAL): 2 * DAY,
    (C.NETWORK_FAULT, P.LOW): 3 * DAY,
    (C.BILLING, P.CRITICAL): 8,
    (C.BILLING, P.HIGH): 2 * DAY,
    (C.BILLING, P.NORMAL): 3 * DAY,
    (C.BILLING, P.LOW): 5 * DAY,
    (C.SERVICE_REQUEST, P.CRITICAL): DAY,
    (C.SERVICE_REQUEST, P.HIGH): 2 * DAY,
    (C.SERVICE_REQUEST, P.NORMAL): 3 * DAY,
    (C.SERVICE_REQUEST, P.LOW): 5 * DAY,
    (C.COMPLAINT, P.CRITICAL): 8,
    (C.COMPLAINT, P.HIGH): 2 * DAY,
    (C.COMPLAINT, P.NORMAL): 4 * DAY,
    (C.COMPLAINT, P.LOW): 5 * DAY,
}
MIN_HOURS, MAX_HOURS = 1, 2000
CHUNK = 500


@dataclass
class BreachSummary:
    breached: int = 0
    escalated: int = 0

    def __str__(self) -> str:
        return f"breached {self.breached}, escalated {self.escalated}"


# --------------------------------------------------------------------------- targets


@on_setup
def ensure_targets() -> None:
    """The shipped target of every category and priority that has none (an edited one is
    left as it is)."""
    have = set(db.session.execute(select(SlaTarget.category, SlaTarget.priority)).tuples())
    for (category, priority), hours in DEFAULT_HOURS.items():
        if (category, priority) not in have:
            db.session.add(SlaTarget(category=category, priority=priority, hours=hours))
    db.session.commit()


def targets() -> dict[tuple[str, str], int]:
    """(category, priority) → business hours, for every pair."""
    found = {(c, p): h for c, p, h in db.session.execute(
        select(SlaTarget.category, SlaTarget.priority, SlaTarget.hours)
    )}  # fmt: skip
    return {key: found.get(key, hours) for key, hours in DEFAULT_HOURS.items()}


def target_hours(category: str, priority: str) -> int:
    hours = db.session.scalar(
        select(SlaTarget.hours).where(
            SlaTarget.category == category, SlaTarget.priority == priority
        )
    )
    return hours if hours is not None else DEFAULT_HOURS[(category, priority)]


def set_targets(changes: dict[tuple[str, str], object]) -> int:
    """Set the business hours of (category, priority) pairs; every value is checked before
    any is kept. How many changed."""
    checked = {}
    for (category, priority), value in changes.items():
        validation.check_choice("category", category, C)
        validation.check_choice("priority", priority, P)
        field = f"{category}.{priority}"
        checked[(category, priority)] = validation.check_whole_between(
            field, value, MIN_HOURS, MAX_HOURS
        )
    rows = {(t.category, t.priority): t for t in db.session.scalars(select(SlaTarget))}
    changed = 0
    for key, hours in checked.items():
        row = rows.get(key)
        if row is None:
            row = SlaTarget(category=key[0], priority=key[1], hours=DEFAULT_HOURS[key])
            db.session.add(row)
        if row.hours != hours:
            row.hours = hours
            changed += 1
    db.session.commit()
    return changed


# --------------------------------------------------------------------------- the clock


def _calendar(ticket: Ticket) -> business_hours.Calendar:
    return business_hours.calendar_for(ticket.customer.region)


def is_running(ticket: Ticket) -> bool:
    return ticket.sla_started_at is not None


def _due(ticket: Ticket, calendar: business_hours.Calendar) -> datetime:
    left = ticket.sla_minutes * 60 - ticket.sla_spent
    return business_hours.add(ticket.sla_started_at, left, calendar)


def start(ticket: Ticket, now: datetime) -> None:
    """A new ticket's clock: its target, started now."""
    ticket.sla_minutes = target_hours(ticket.category, ticket.priority) * 60
    ticket.sla_spent = 0
    ticket.sla_started_at = now
    ticket.sla_due_at = _due(ticket, _calendar(ticket))


def stop(ticket: Ticket, now: datetime) -> None:
    """The clock stands still (waiting for the customer, resolved, closed); a ticket past
    its due time is breached as of that time."""
    if not is_running(ticket):
        return
    _mark_if_late(ticket, now)
    ticket.sla_spent += business_hours.between(ticket.sla_started_at, now, _calendar(ticket))
    ticket.sla_started_at = None
    ticket.sla_due_at = None


def resume(ticket: Ticket, now: datetime) -> None:
    """The clock goes on from where it stopped."""
    if is_running(ticket):
        return
    ticket.sla_started_at = now
    ticket.sla_due_at = _due(ticket, _calendar(ticket))


def retarget(ticket: Ticket, now: datetime) -> None:
    """The category or priority changed: the ticket is measured by the new pair's target,
    the business time it has taken so far counting against it."""
    ticket.sla_minutes = target_hours(ticket.category, ticket.priority) * 60
    if is_running(ticket):
        calendar = _calendar(ticket)
        ticket.sla_spent += business_hours.between(ticket.sla_started_at, now, calendar)
        ticket.sla_started_at = now
        ticket.sla_due_at = _due(ticket, calendar)
        _mark_if_late(ticket, now)


def follow(ticket: Ticket, to_status: str, now: datetime) -> None:
    """The clock as a move to `to_status` leaves it."""
    if to_status in CLOCK_RUNNING:
        resume(ticket, now)
    else:
        stop(ticket, now)


def _mark_if_late(ticket: Ticket, now: datetime) -> None:
    if not ticket.breached and ticket.sla_due_at is not None and ticket.sla_due_at <= now:
        ticket.breached = True
        ticket.breached_at = ticket.sla_due_at


def remaining(ticket: Ticket, now: datetime) -> int:
    """Business seconds left before the target is reached (negative: past it)."""
    spent = ticket.sla_spent
    if is_running(ticket):
        spent += business_hours.between(ticket.sla_started_at, now, _calendar(ticket))
    return ticket.sla_minutes * 60 - spent


# --------------------------------------------------------------------------- the job


def check_breaches(now: datetime | None = None) -> BreachSummary:
    """Mark the running tickets past their due time as breached, and escalate them to the
    Supervisors' team with a note; what was marked or escalated before is left alone."""
    now = now or utcnow()
    summary = BreachSummary()
    summary.breached = db.session.execute(
        update(Ticket)
        .where(Ticket.breached.is_(False), Ticket.sla_due_at <= now)
        .values(breached=True, breached_at=Ticket.sla_due_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    while ids := db.session.scalars(
        select(Ticket.id)
        .where(
            Ticket.breached.is_(True),
            Ticket.escalated_at.is_(None),
            Ticket.sla_started_at.is_not(None),
        )
        .order_by(Ticket.id)
        .limit(CHUNK)
    ).all():
        for ticket_id in ids:
            summary.escalated += _escalate(ticket_id, now)
        db.session.commit()
    return summary


def _escalate(ticket_id: int, now: datetime) -> int:
    # claimed by its own condition: a second job running at once escalates it no more
    claimed = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.escalated_at.is_(None))
        .values(escalated_at=now, team=TicketTeam.SUPERVISORS)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return 0
    db.session.add(
        TicketComment(
            ticket_id=ticket_id,
            at=now,
            body=in_english(_l("SLA breached: escalated to the Supervisors.")),
            public=False,
            username=current_username(),
        )
    )
    return 1
