"""Trouble tickets: the workflow and its refusals, assignment within the region, comments,
and the customer's emails on the key moves, in their language."""

import pytest
from flask_babel import force_locale, gettext

from app.extensions import db
from app.models.communications import Communication
from app.models.security import AbonentUser
from app.models.tickets import Ticket, TicketComment
from app.services.care import tickets
from app.services.care.tickets import WorkflowRefused
from app.services.platform.errors import DomainError, NotFound
from tests.services.care.ticketed import customer, line_of, rome

MONDAY = rome(2026, 3, 2, 10)


def _open(person, **kwargs):
    fields = {"category": "network_fault", "priority": "high", "subject": "No dial tone",
              "description": "Since this morning", "now": MONDAY, **kwargs}  # fmt: skip
    return tickets.create(person.id, None, **fields)


def _user(username) -> AbonentUser:
    return db.session.scalar(db.select(AbonentUser).filter_by(username=username))


def test_a_ticket_is_opened_for_a_line_of_the_customer(ctx):
    person = customer()
    ticket = _open(person, service=line_of(person).id)
    assert (ticket.status, ticket.number) == ("new", f"TT-{ticket.id:06d}")
    assert ticket.service == line_of(person)
    assert [(c.from_status, c.to_status) for c in ticket.changes] == [("", "new")]
    assert ticket.created_by == "system" and ticket.created_at == MONDAY
    other = customer("TC2")
    with pytest.raises(DomainError) as refused:
        _open(other, service=line_of(person).id)
    assert refused.value.field == "service"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "weather"}, "category"),
        ({"priority": "urgent"}, "priority"),
        ({"subject": "  "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": "tab\there"}, "subject"),
        ({"description": "x" * 10_001}, "description"),
        ({"service": "first"}, "service"),
    ],
)
def test_bad_tickets_are_refused_naming_the_field(ctx, change, field):
    person = customer()
    with pytest.raises(DomainError) as refused:
        _open(person, **change)
    assert refused.value.field == field
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0


def test_a_customer_of_another_region_is_unknown(ctx):
    person = customer(region="KR-SEL")
    korea_only = [person.region_id]
    with pytest.raises(DomainError) as refused:
        tickets.create(person.id, [person.region_id + 100], category="billing",
                       priority="low", subject="x")  # fmt: skip
    assert refused.value.field == "customer"
    assert tickets.create(person.ref, korea_only, category="billing", priority="low",
                          subject="x").customer == person  # fmt: skip
    ticket = _open(person)
    with pytest.raises(NotFound):
        tickets.get(ticket.id, [person.region_id + 100])


def test_the_workflow_moves_and_reopens(ctx):
    person = customer()
    ticket = _open(person)
    tickets.assign(ticket, team="network", now=MONDAY)
    assert ticket.status == "assigned" and ticket.team == "network"
    for to in ("in_progress", "waiting_customer", "in_progress", "resolved", "closed"):
        tickets.transition(ticket, to, now=MONDAY)
    assert ticket.status == "closed" and ticket.closed_at == MONDAY
    tickets.transition(ticket, "in_progress", "Still no tone", now=rome(2026, 3, 3, 9))
    assert ticket.status == "in_progress" and ticket.resolved_at is None
    assert [c.to_status for c in ticket.changes] == [
        "new", "assigned", "in_progress", "waiting_customer", "in_progress", "resolved",
        "closed", "in_progress",
    ]  # fmt: skip
    assert ticket.changes[-1].comment.body == "Still no tone"
    assert ticket.changes[-1].comment.public is False


@pytest.mark.parametrize(
    ("path", "to", "allowed"),
    [
        ((), "resolved", ["assigned", "in_progress"]),
        ((), "closed", ["assigned", "in_progress"]),
        (("in_progress",), "new", ["waiting_customer", "resolved"]),
        (("in_progress", "resolved"), "waiting_customer", ["closed", "in_progress"]),
        (("in_progress", "resolved", "closed"), "resolved", ["in_progress"]),
        ((), "flying", ["assigned", "in_progress"]),
        ((), None, ["assigned", "in_progress"]),
    ],
)
def test_a_move_the_workflow_does_not_allow_names_those_it_does(ctx, path, to, allowed):
    ticket = _open(customer())
    for step in path:
        tickets.transition(ticket, step, now=MONDAY)
    before = ticket.status
    with pytest.raises(WorkflowRefused) as refused:
        tickets.transition(ticket, to, now=MONDAY)
    assert refused.value.allowed == allowed
    assert refused.value.field == "to"
    db.session.rollback()
    assert ticket.status == before


def test_assigned_needs_someone_to_be_assigned_to(ctx):
    ticket = _open(customer())
    with pytest.raises(DomainError) as refused:
        tickets.transition(ticket, "assigned", now=MONDAY)
    assert refused.value.field == "assignee"


def test_a_ticket_goes_to_staff_of_the_customers_region(ctx):
    ticket = _open(customer())  # Italy
    names = {user.username for user in tickets.staff_of(ticket.customer.region_id)}
    # the Italian CSR, billing staff of every region, supervisors and admins
    assert {"csr", "billing", "supervisor", "admin"} <= names
    assert not {"csr_ko", "billing_ko", "technician", "system"} & names
    tickets.assign(ticket, assignee=_user("csr").id, now=MONDAY)
    assert ticket.assignee.username == "csr" and ticket.status == "assigned"
    for stranger in (_user("csr_ko").id, 10**9, "someone"):
        with pytest.raises(DomainError) as refused:
            tickets.assign(ticket, assignee=stranger, now=MONDAY)
        assert refused.value.field == "assignee"
    with pytest.raises(DomainError):
        tickets.assign(ticket, team="catering", now=MONDAY)
    with pytest.raises(DomainError):
        tickets.assign(ticket, now=MONDAY)


def test_comments_are_internal_or_for_the_customer(ctx):
    ticket = _open(customer())
    tickets.add_comment(ticket, "Checked the exchange", now=MONDAY)
    tickets.add_comment(ticket, "<script>alert(1)</script>", public=True, now=MONDAY)
    assert [(c.body, c.public) for c in ticket.comments] == [
        ("Checked the exchange", False), ("<script>alert(1)</script>", True)
    ]  # fmt: skip
    with pytest.raises(DomainError):
        tickets.add_comment(ticket, "   ")
    assert db.session.scalar(db.select(db.func.count(TicketComment.id))) == 2


def test_queue_pages_newest_first_with_filters(ctx):
    person = customer()
    made = [_open(person, priority="low" if i % 2 else "high") for i in range(7)]
    page = tickets.queue(None, size=3)
    assert [t.id for t in page.tickets] == [t.id for t in made[:-4:-1]]
    assert page.older and not page.newer
    second = tickets.queue(None, size=3, before=page.tickets[-1].id)
    assert [t.id for t in second.tickets] == [t.id for t in made[3:0:-1]]
    assert second.older and second.newer
    back = tickets.queue(None, size=3, after=second.tickets[0].id)
    assert [t.id for t in back.tickets] == [t.id for t in page.tickets] and not back.newer
    low = tickets.queue(None, priority="low")
    assert {t.priority for t in low.tickets} == {"low"} and len(low.tickets) == 3
    assert tickets.queue([person.region_id + 100]).tickets == []
    count, found = tickets.search(None, priority="high", page=0, page_size=2)
    assert count == 4 and len(found) == 2


def _mails(kind="ticket_update"):
    return list(db.session.scalars(
        db.select(Communication).filter_by(kind=kind).order_by(Communication.id)
    ))  # fmt: skip


def test_the_customer_is_emailed_on_key_moves_in_their_language(ctx, smtp):
    mailbox, _server = smtp
    person = customer(language="it")
    ticket = _open(person, subject="Nessun segnale")
    tickets.transition(ticket, "in_progress", now=MONDAY)  # not told
    tickets.transition(ticket, "waiting_customer", "Serve il numero del modem", public=True,
                       now=MONDAY)  # fmt: skip
    tickets.transition(ticket, "in_progress", now=MONDAY)
    tickets.transition(ticket, "resolved", "internal: swapped the card", now=MONDAY)
    mails = _mails()
    assert [m.details["event"] for m in mails] == ["opened", "waiting_customer", "resolved"]
    assert {m.language for m in mails} == {"it"}
    assert {m.account_id for m in mails} == {person.accounts[0].id}
    summary = tickets.send_updates(MONDAY)
    assert summary.sent == 3
    assert [m["To"] for m in mailbox.messages] == ["anna@example.test"] * 3
    waiting = mailbox.messages[1].get_content()
    assert "Serve il numero del modem" in waiting and ticket.number in waiting
    resolved = mailbox.messages[2].get_content()
    assert "swapped the card" not in resolved  # an internal comment stays inside
    assert mailbox.messages[0]["Content-Language"] == "it"
    with force_locale("it"):
        opened = gettext("Ticket %(number)s opened", number=ticket.number)
    assert mailbox.messages[0]["Subject"] == opened
    assert tickets.send_updates(MONDAY).sent == 0  # sent once


def test_a_customer_without_email_or_account(ctx):
    silent = customer("TC3", email=None)
    _open(silent)
    assert [(m.status, m.recipient) for m in _mails()] == [("failed", None)]
    no_account = customer("TC4", account=False)
    ticket = _open(no_account)
    assert ticket.id and len(_mails()) == 1
