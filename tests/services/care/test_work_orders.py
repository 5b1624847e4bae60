"""Repair work orders: raised from fault tickets, given to the region's least loaded
Technician, scheduled on the region's clock, and closed back into the ticket; the
workflow's refusals and the region scope."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.crm import Region
from app.models.security import AbonentUser
from app.models.tickets import TicketComment
from app.services.care import tickets, work_orders
from app.services.care.work_orders import WorkflowRefused
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.users import ensure_user
from tests.services.care.ticketed import customer, line_of, local

MOSCOW = "Europe/Moscow"
MONDAY = local(MOSCOW, 2026, 3, 2, 10)


def _technician(username="technician2") -> AbonentUser:
    region = db.session.scalar(db.select(Region).filter_by(code="RU-MOW"))
    return ensure_user(
        username,
        ["Technician"],
        "Xy7!long-enough-pass",
        first_name=username,
        last_name="Test",
        email=f"{username}@test.example",
        regions=[region],
    )


def _user(username) -> AbonentUser:
    return db.session.scalar(db.select(AbonentUser).filter_by(username=username))


def _fault(ref="WO1", category="network_fault", at=MONDAY):
    person = customer(ref, region="RU-MOW")
    person.street, person.city, person.postcode = "Tverskaya 1", "Moscow", "125009"
    db.session.commit()
    return tickets.create(person.id, None, category=category, priority="high",
                          subject="No dial tone", service=line_of(person).id, now=at)  # fmt: skip


def test_a_repair_is_raised_from_a_fault_ticket_with_the_line_and_address(ctx):
    ticket = _fault()
    order = work_orders.create_repair(ticket, equipment="DSLAM-7", port="3/14", now=MONDAY)
    assert order.number == f"WO-{order.id:06d}"
    assert (order.kind, order.status, order.assignee.username) == ("repair", "assigned",
                                                                   "technician")  # fmt: skip
    assert order.address == "Tverskaya 1, 125009 Moscow"
    assert (order.service, order.equipment, order.port) == (ticket.service, "DSLAM-7", "3/14")
    moves = [(c.from_status, c.to_status) for c in order.changes]
    assert moves == [("", "new"), ("new", "assigned")]
    with pytest.raises(DomainError, match="open work order"):
        work_orders.create_repair(ticket, now=MONDAY)
    billing = tickets.create(ticket.customer_id, None, category="billing", priority="low",
                             subject="Bill", now=MONDAY)  # fmt: skip
    with pytest.raises(DomainError, match="network faults"):
        work_orders.create_repair(billing, now=MONDAY)


def test_assignment_goes_to_the_least_loaded_technician_of_the_region(ctx):
    second = _technician()
    first = work_orders.create_repair(_fault("WO1"), now=MONDAY)
    following = work_orders.create_repair(_fault("WO2"), now=MONDAY)
    third = work_orders.create_repair(_fault("WO3"), now=MONDAY)
    # a tie goes by name; then the one with fewer open work orders
    assert [first.assignee, following.assignee, third.assignee] == [
        _user("technician"), second, _user("technician")]  # fmt: skip
    # a finished work order is no load: 1 open each, a tie again
    work_orders.start(first, now=MONDAY)
    work_orders.finish(first, "fixed", 30, now=MONDAY)
    assert work_orders.create_repair(_fault("WO4"), now=MONDAY).assignee == _user("technician")
    assert work_orders.create_repair(_fault("WO5"), now=MONDAY).assignee == second
    # by hand: only a Technician of the region
    with pytest.raises(DomainError) as refused:
        work_orders.assign(third, _user("csr").id, now=MONDAY)
    assert refused.value.field == "assignee"
    assert work_orders.assign(third, second.id, now=MONDAY).assignee == second


def test_a_visit_is_scheduled_on_the_region_clock(ctx):
    order = work_orders.create_repair(_fault(), now=MONDAY)
    work_orders.schedule(order, "2026-03-03", "09:00", "12:00", now=MONDAY)
    assert order.status == "scheduled"
    assert order.window_start == local(MOSCOW, 2026, 3, 3, 9)
    assert order.window_end == local(MOSCOW, 2026, 3, 3, 12)
    assert work_orders.local_window(order)[0].hour == 9
    for day, starts, ends, field in (
        ("2026-03-01", "09:00", "10:00", "day"),  # in the past
        ("2026-03-04", "12:00", "09:00", "ends"),
        ("2026-03-04", "9h", "10:00", "starts"),
        ("March 4", "09:00", "10:00", "day"),
    ):
        with pytest.raises(DomainError) as refused:
            work_orders.schedule(order, day, starts, ends, now=MONDAY)
        assert refused.value.field == field
    assert work_orders.queue_of(order.assignee) == [order]


def test_a_fixed_line_resolves_the_ticket_with_the_result(ctx):
    ticket = _fault()
    order = work_orders.create_repair(ticket, now=MONDAY)
    later = MONDAY + timedelta(hours=3)
    with pytest.raises(WorkflowRefused) as refused:
        work_orders.finish(order, "fixed", 45, now=later)
    assert refused.value.allowed == ["scheduled", "in_progress", "cancelled"]
    work_orders.start(order, now=later)
    with pytest.raises(DomainError) as bad:
        work_orders.finish(order, "fixed", -5, now=later)
    assert bad.value.field == "minutes"
    work_orders.finish(order, "fixed", 45, "Replaced the splitter", now=later)
    assert (order.status, order.result, order.minutes) == ("done", "fixed", 45)
    assert ticket.status == "resolved" and ticket.resolved_at == later
    note = db.session.scalar(db.select(TicketComment).filter_by(ticket_id=ticket.id))
    assert note.public is False
    assert f"Work order {order.number} done: fixed, 45 minutes." in note.body
    assert "Replaced the splitter" in note.body
    assert work_orders.allowed_moves(order) == []


def test_no_access_leaves_the_ticket_open_with_a_comment(ctx):
    ticket = _fault()
    order = work_orders.create_repair(ticket, now=MONDAY)
    work_orders.start(order, now=MONDAY)
    work_orders.finish(order, "no_access", 20, now=MONDAY)
    assert ticket.status == "assigned" or ticket.status == "new"
    assert "no access" in ticket.comments[0].body
    # a new visit may be raised now that the last is done
    assert work_orders.create_repair(ticket, now=MONDAY).status == "assigned"


def test_a_cancellation_needs_a_reason(ctx):
    order = work_orders.create_repair(_fault(), now=MONDAY)
    with pytest.raises(DomainError):
        work_orders.cancel(order, " ", now=MONDAY)
    work_orders.cancel(order, "Customer fixed it", now=MONDAY)
    assert order.status == "cancelled" and order.changes[-1].note == "Customer fixed it"


def test_a_work_order_of_another_region_is_not_found(ctx):
    order = work_orders.create_repair(_fault(), now=MONDAY)
    italy = db.session.scalar(db.select(Region).filter_by(code="IT-C"))
    with pytest.raises(NotFound):
        work_orders.get(order.id, [italy.id])
    assert work_orders.get(order.id, [order.region_id]) == order
    assert work_orders.listing([italy.id]) == []
