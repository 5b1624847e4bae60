"""Ticket screens: a new ticket from the customer's 360° page, the queue of the user's
regions with its filters and pages, a ticket's moves, assignment and thread (where no
HTML typed by anyone reaches the page), and the SLA targets Supervisors set."""

import pytest

from app.extensions import db
from app.models.crm import Region
from app.models.security import AbonentUser
from app.models.tickets import SlaTarget, Ticket
from app.services.care import business_hours, sla, tickets
from app.services.platform.actor import acting_as
from tests.services.care.ticketed import customer, line_of, rome

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def italian(app):
    """(customer id, line id) of an IT-C customer."""
    with app.app_context(), acting_as():
        person = customer("TV1")
        return person.id, line_of(person).id


def _ticket(app, customer_id, **kwargs) -> int:
    with app.app_context(), acting_as():
        fields = {"category": "network_fault", "priority": "high", "subject": "No dial tone",
                  **kwargs}  # fmt: skip
        return tickets.create(customer_id, None, **fields).id


def _get(app, ticket_id) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def _post(user, url: str, page: str, data: dict | None = None):
    return user.client.post(
        url, data={**(data or {}), "csrf_token": user.csrf(page)}, follow_redirects=True
    )


def test_a_ticket_is_opened_from_the_customers_page(app, login, italian):
    customer_id, line_id = italian
    csr = login("csr")
    page = csr.get(f"/customerview/show/{customer_id}").get_data(as_text=True)
    new = f"/tickets/new?customer={customer_id}"
    assert f'href="{new}"' in page
    form = csr.get(new).get_data(as_text=True)
    assert f'value="{line_id}"' in form
    refused = _post(csr, new, new, {"category": "network_fault", "priority": "high",
                                    "subject": "", "service": str(line_id)})  # fmt: skip
    assert refused.status_code == 400 and "subject: required" in refused.get_data(as_text=True)
    opened = _post(csr, new, new, {"category": "network_fault", "priority": "critical",
                                   "subject": "No dial tone", "description": SCRIPT,
                                   "service": str(line_id)})  # fmt: skip
    text = opened.get_data(as_text=True)
    assert opened.status_code == 200 and "No dial tone" in text
    assert SCRIPT not in text and "&lt;script&gt;" in text
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        assert (ticket.customer_id, ticket.service_id, ticket.created_by) == (
            customer_id, line_id, "csr"
        )  # fmt: skip
    # a customer of another region is not found
    assert login("csr_ko").get(new).status_code == 404
    assert csr.get("/tickets/new?customer=abc").status_code == 404


def test_the_queue_of_the_users_regions_with_filters(app, login, italian):
    customer_id, _ = italian
    with app.app_context(), acting_as():
        korean = customer("TV2", "KR-SEL").id
    breached = _ticket(app, customer_id, subject="Breached one", now=rome(2026, 3, 2, 9))
    with app.app_context(), acting_as():
        sla.check_breaches(rome(2026, 3, 3, 9))
    low = _ticket(app, customer_id, priority="low", subject="Slow line")
    mine = _ticket(app, customer_id, subject="Assigned to me")
    far = _ticket(app, korean, subject="Seoul fault")
    with app.app_context(), acting_as():
        csr_id = db.session.scalar(db.select(AbonentUser.id).filter_by(username="csr"))
        tickets.assign(db.session.get(Ticket, mine), assignee=csr_id)
    csr = login("csr")
    page = csr.get("/tickets/").get_data(as_text=True)
    assert all(f"ticket-{i}" in page for i in (breached, low, mine))
    assert f"ticket-{far}" not in page
    assert page.index(f"ticket-{mine}") < page.index(f"ticket-{low}")  # newest first

    def shown(query):
        text = csr.get(f"/tickets/?{query}").get_data(as_text=True)
        return {i for i in (breached, low, mine, far) if f'id="ticket-{i}"' in text}

    assert shown("breached=yes") == {breached}
    assert shown("breached=no") == {low, mine}
    assert shown("priority=low") == {low}
    assert shown("mine=1") == {mine}
    assert shown("status=assigned") == {mine}
    assert shown("status=nonsense") == {breached, low, mine}
    assert shown("team=supervisors") == {breached}  # escalated
    assert "Breached" in csr.get("/tickets/?breached=yes").get_data(as_text=True)
    assert login("csr_ko").get(f"/tickets/{breached}").status_code == 404
    assert csr.get("/tickets/?before=abc").status_code == 400


def test_the_queue_pages_without_counting(app, login, italian):
    customer_id, _ = italian
    ids = [_ticket(app, customer_id) for _ in range(52)]
    csr = login("csr")
    first = csr.get("/tickets/").get_data(as_text=True)
    assert f'id="ticket-{ids[-1]}"' in first and f'id="ticket-{ids[1]}"' not in first
    assert f"before={ids[2]}" in first and 'id="newer"' not in first
    second = csr.get(f"/tickets/?before={ids[2]}").get_data(as_text=True)
    assert f'id="ticket-{ids[0]}"' in second and f'id="ticket-{ids[1]}"' in second
    assert 'id="older"' not in second and f"after={ids[1]}" in second
    back = csr.get(f"/tickets/?after={ids[1]}").get_data(as_text=True)
    assert f'id="ticket-{ids[-1]}"' in back and f'id="ticket-{ids[1]}"' not in back


def test_moves_assignment_and_comments_on_the_ticket_page(app, login, italian):
    customer_id, _ = italian
    ticket_id = _ticket(app, customer_id)
    page = f"/tickets/{ticket_id}"
    csr = login("csr")
    shown = csr.get(page).get_data(as_text=True)
    assert 'id="transition-form"' in shown and 'id="assign-form"' in shown
    assert 'value="assigned"' in shown and 'value="closed"' not in shown
    refused = _post(csr, f"{page}/transition", page, {"to": "closed"})
    assert "assigned, in_progress" in refused.get_data(as_text=True)
    assert _get(app, ticket_id).status == "new"
    with app.app_context():
        csr_id = db.session.scalar(db.select(AbonentUser.id).filter_by(username="csr"))
    assigned = _post(csr, f"{page}/assign", page, {"team": "network", "assignee": str(csr_id)})
    assert "Ticket assigned" in assigned.get_data(as_text=True)
    assert (_get(app, ticket_id).status, _get(app, ticket_id).team) == ("assigned", "network")
    moved = _post(csr, f"{page}/transition", page,
                  {"to": "waiting_customer", "comment": SCRIPT, "public": "1"})  # fmt: skip
    text = moved.get_data(as_text=True)
    assert _get(app, ticket_id).status == "waiting_customer"
    assert "The clock stands still" in text
    commented = _post(csr, f"{page}/comment", page, {"body": "<b>bold</b> & more"})
    text = commented.get_data(as_text=True)
    assert SCRIPT not in text and "<b>bold</b>" not in text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in text
    assert text.count("Visible to the customer") == 1 and "Internal" in text
    saved = _post(csr, f"{page}/update", page, {"priority": "critical"})
    assert "Ticket saved" in saved.get_data(as_text=True)
    assert _get(app, ticket_id).priority == "critical"
    # without the form's token nothing moves
    assert csr.client.post(f"{page}/transition", data={"to": "in_progress"}).status_code == 400
    # another region's staff cannot reach it
    assert login("csr_ko").client.post(f"{page}/comment", data={"body": "x"}).status_code in (
        400, 404
    )  # fmt: skip


def test_supervisors_set_the_sla_targets_and_business_hours(app, login):
    supervisor = login("supervisor")
    page = "/care/sla/"
    shown = supervisor.get(page).get_data(as_text=True)
    assert 'name="network_fault.critical" value="4"' in shown
    values = {f"{c}.{p}": str(h) for (c, p), h in sla.DEFAULT_HOURS.items()}
    saved = _post(supervisor, page, page, {**values, "network_fault.critical": "2"})
    assert "Targets changed: 1" in saved.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(
            db.select(SlaTarget.hours).filter_by(category="network_fault", priority="critical")
        ) == 2  # fmt: skip
    refused = _post(supervisor, page, page, {**values, "billing.low": "0"})
    assert "billing.low: a whole number" in refused.get_data(as_text=True)
    with app.app_context():
        region_id = db.session.scalar(db.select(Region.id).filter_by(code="IT-C"))
    hours = _post(supervisor, f"/care/sla/hours/{region_id}", page,
                  {"weekdays": ["1", "2", "3", "4", "5", "6"], "opens": "08:00",
                   "closes": "20:00"})  # fmt: skip
    assert "Business hours of" in hours.get_data(as_text=True)
    with app.app_context():
        calendar = business_hours.calendar_for(db.session.get(Region, region_id))
        assert 6 in calendar.weekdays and calendar.opens.hour == 8
    assert login("csr").get(page).status_code != 200
