"""REST resource ticket (docs/api.md): opened for a visible customer, read-only status and
SLA fields, moved along the workflow (a refused move answers the allowed ones), assigned,
commented; another region's ticket is not found."""

import pytest

from app.api.tickets import TicketAnswer, TicketPage
from app.extensions import db
from app.models.security import AbonentUser
from app.services.platform.actor import acting_as
from tests.services.care.ticketed import customer, line_of


@pytest.fixture
def italian(app):
    """(customer id, line id) of an IT-C customer."""
    with app.app_context(), acting_as():
        person = customer("TA1")
        return person.id, line_of(person).id


def _open(api, customer_id, user="csr", **fields):
    body = {"customer": customer_id, "category": "network_fault", "priority": "high",
            "subject": "No dial tone", **fields}  # fmt: skip
    return api(user, "POST", "/api/v1/ticket/", json=body)


def test_a_ticket_over_the_api(app, api, italian):
    customer_id, line_id = italian
    made = _open(api, customer_id, service=line_id, description="Since 8 am")
    assert made.status_code == 201, made.get_json()
    answer = made.get_json()
    assert TicketAnswer().validate(answer) == {}
    result = answer["result"]
    assert (result["customer"], result["service"]) == (customer_id, line_id)
    assert result["status"] == "new"
    assert result["breached"] is False and result["sla_due_at"]
    assert result["allowed"] == ["assigned", "in_progress"]
    assert result["history"][0]["to_status"] == "new"
    tid = answer["id"]
    got = api("technician", "GET", f"/api/v1/ticket/{tid}")  # RU-MOW only
    assert got.status_code == 404
    assert api("csr_ko", "GET", f"/api/v1/ticket/{tid}").status_code == 404
    assert api("csr", "GET", f"/api/v1/ticket/{tid}").get_json()["result"]["number"] == (
        f"TT-{tid:06d}"
    )  # fmt: skip
    listed = api("csr", "GET", f"/api/v1/ticket/?customer={customer_id}&status=new").get_json()
    assert listed["count"] == 1 and TicketPage().validate(listed) == {}
    assert api("csr_ko", "GET", "/api/v1/ticket/").get_json()["count"] == 0
    assert api("csr", "GET", "/api/v1/ticket/?breached=true").get_json()["count"] == 0
    # a customer of another region is as unknown as one that does not exist
    foreign = _open(api, customer_id, user="csr_ko")
    assert foreign.status_code == 422 and "customer" in foreign.get_json()["message"]
    # the status is read-only
    refused = api("csr", "PUT", f"/api/v1/ticket/{tid}", json={"status": "closed"})
    assert refused.status_code == 422
    assert refused.get_json()["message"] == {"status": ["status: unknown field"]}
    changed = api("csr", "PUT", f"/api/v1/ticket/{tid}", json={"priority": "critical",
                                                             "service": None})  # fmt: skip
    assert changed.status_code == 200
    assert changed.get_json()["result"]["priority"] == "critical"
    assert changed.get_json()["result"]["service"] is None
    assert api("csr", "DELETE", f"/api/v1/ticket/{tid}").status_code == 405


def test_a_move_the_workflow_does_not_allow_is_422_with_the_allowed_ones(api, italian):
    customer_id, _ = italian
    tid = _open(api, customer_id).get_json()["id"]
    refused = api("csr", "POST", f"/api/v1/ticket/{tid}/transition", json={"to": "closed"})
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["allowed"] == ["assigned", "in_progress"]
    assert list(body["message"]) == ["to"]
    unknown = api("csr", "POST", f"/api/v1/ticket/{tid}/transition", json={"to": "flying"})
    assert unknown.status_code == 422 and unknown.get_json()["allowed"] == [
        "assigned", "in_progress"
    ]  # fmt: skip
    moved = api("csr", "POST", f"/api/v1/ticket/{tid}/transition",
                json={"to": "in_progress", "comment": "On it"})  # fmt: skip
    assert moved.status_code == 200
    result = moved.get_json()["result"]
    assert result["status"] == "in_progress" and result["history"][-1]["comment"] == "On it"
    asked = {"to": "waiting_customer", "comment": "Modem serial?", "public": True}
    waiting = api("csr", "POST", f"/api/v1/ticket/{tid}/transition", json=asked)
    result = waiting.get_json()["result"]
    assert result["sla_due_at"] is None and result["comments"][-1]["public"] is True
    assert result["allowed"] == ["in_progress", "resolved"]
    for to in ("resolved", "closed", "in_progress"):  # reopened
        assert api("csr", "POST", f"/api/v1/ticket/{tid}/transition", json={"to": to}
                   ).status_code == 200  # fmt: skip
    assert api("csr_ko", "POST", f"/api/v1/ticket/{tid}/transition",
               json={"to": "resolved"}).status_code == 404  # fmt: skip
    assert api("csr", "POST", "/api/v1/ticket/99999999999/transition",
               json={"to": "resolved"}).status_code == 404  # fmt: skip


def test_assignment_and_comments(app, api, italian):
    customer_id, _ = italian
    tid = _open(api, customer_id).get_json()["id"]
    with app.app_context():
        ids = dict(db.session.execute(db.select(AbonentUser.username, AbonentUser.id)).all())
    far = api("csr", "POST", f"/api/v1/ticket/{tid}/assign", json={"assignee": ids["csr_ko"]})
    assert far.status_code == 422 and "assignee" in far.get_json()["message"]
    done = api("csr", "POST", f"/api/v1/ticket/{tid}/assign",
               json={"team": "network", "assignee": ids["csr"]})  # fmt: skip
    result = done.get_json()["result"]
    assert (result["status"], result["team"], result["assignee"]) == (
        "assigned", "network", ids["csr"]
    )  # fmt: skip
    noted = api("csr", "POST", f"/api/v1/ticket/{tid}/comment",
                json={"body": "<script>x</script>"})  # fmt: skip
    assert noted.get_json()["result"]["comments"][-1] == {
        **noted.get_json()["result"]["comments"][-1],
        "body": "<script>x</script>",
        "public": False,
        "username": "csr",
    }
    assert api("csr", "GET", f"/api/v1/ticket/?assignee={ids['csr']}").get_json()["count"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "weather"}, "category"),
        ({"priority": 1}, "priority"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"customer": "TA1"}, "customer"),
        ({"service": 10**9}, "service"),
        ({"status": "closed"}, "status"),
        ({"sla_due_at": "2026-01-01T00:00:00Z"}, "sla_due_at"),
    ],
)
def test_bad_tickets_are_422_naming_the_field(api, italian, change, field):
    customer_id, _ = italian
    answer = _open(api, customer_id, **change)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["message"]


def test_writing_needs_the_jwt(app, login, italian):
    customer_id, _ = italian
    staff = login("csr")
    body = {"customer": customer_id, "category": "billing", "priority": "low", "subject": "x"}
    assert staff.client.post("/api/v1/ticket/", json=body).status_code == 401
