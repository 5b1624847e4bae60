"""REST resource order: drafts made over the API move on through the order service, each
user sees the orders of their regions, and only a JWT with write access moves them."""

import pytest

from app.api.orders import OrderAnswer, OrderPage
from app.extensions import db
from app.models.crm import Service
from app.models.orders import Order
from app.services.orders import orders
from app.services.platform.actor import acting_as
from tests.helpers import ordering_customer

NEW_LINE = {
    "account": "A1",
    "note": "web shop",
    "lines": [{"action": "add", "product_code": "SMART"}],
}


@pytest.fixture
def account(app, tmp_path):
    """Italian customer C1 with postpaid account A1 (credit class C) and one SMART line."""
    with app.app_context(), acting_as():
        ordering_customer(tmp_path)
        db.session.remove()


def _draft(app, product: str = "SMART") -> int:
    with app.app_context(), acting_as():
        return orders.create("A1", None, [{"action": "add", "product_code": product}]).id


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Order.id)))


def test_csr_creates_submits_and_approves_an_order(app, account, api):
    response = api("csr", "POST", "/api/v1/order/", json=NEW_LINE)
    assert response.status_code == 201, response.get_json()
    assert OrderAnswer().validate(response.get_json()) == {}
    created = response.get_json()["result"]
    order_id = response.get_json()["id"]
    assert created["id"] == order_id and created["ref"] == f"ORD-{order_id:06d}"
    assert (created["account"], created["customer"]) == ("A1", "C1")
    assert (created["status"], created["source"], created["note"]) == ("draft", "api", "web shop")
    assert created["created_by"] == "csr" and created["created_at"].endswith("+00:00")
    assert created["lines"] == [
        {
            "id": created["lines"][0]["id"],
            "action": "add",
            "service_id": None,
            "number": None,
            "product_code": "SMART",
            "reason": None,
            "provisioning": None,
            "error": None,
        }
    ]
    assert [(h["from_status"], h["to_status"], h["username"]) for h in created["history"]] == [
        (None, "draft", "csr")
    ]

    submitted = api("csr", "POST", f"/api/v1/order/{order_id}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["result"]["status"] == "submitted"
    approved = api("csr", "POST", f"/api/v1/order/{order_id}/approve")
    assert approved.status_code == 200, approved.get_json()
    assert OrderAnswer().validate(approved.get_json()) == {}
    order = approved.get_json()["result"]
    assert order["status"] == "approved" and order["reason"] is None
    line = order["lines"][0]
    assert line["number"] == line["service_id"] == "393400000000"
    assert line["provisioning"] == "pending"
    assert [h["to_status"] for h in order["history"]] == ["draft", "submitted", "approved"]

    shown = api("csr", "GET", f"/api/v1/order/{order_id}").get_json()
    assert shown["result"] == order
    with app.app_context():
        service = db.session.scalar(db.select(Service).where(Service.service_id == "393400000000"))
        assert service.status == "pending"


@pytest.mark.parametrize(
    ("lines", "field", "message"),
    [
        (
            [
                {"action": "add", "product_code": "SMART"},
                {"action": "add", "product_code": "TOPUP"},
            ],
            "lines[2].product_code",
            "lines[2].product_code: TOPUP is for prepaid accounts",
        ),
        (
            [{"action": "add", "product_code": "NOPE"}],
            "lines[1].product_code",
            "lines[1].product_code: unknown product 'NOPE'",
        ),
        (
            [{"action": "suspend", "service_id": "393339999999"}],
            "lines[1].service_id",
            "lines[1].service_id: 393339999999 is not a line of account A1",
        ),
        ([{"action": "add", "colour": "red"}], "lines[1].colour", None),
        ([{"action": "add", "product_code": 7}], "lines[1].product_code", None),
        (["SMART"], "lines[1]", None),
        ("SMART", "lines", None),
    ],
)
def test_a_refused_line_gets_422_naming_it_and_nothing_is_stored(
    app, account, api, lines, field, message
):
    response = api("csr", "POST", "/api/v1/order/", json={"account": "A1", "lines": lines})
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["message"]
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert _count(app) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"lines": []}, ["account"]),
        ({"account": "NOPE"}, ["account"]),
        # every problem of a body at once: the unknown field and the one missing
        ({"acount": "A1"}, ["account", "acount"]),
    ],
)
def test_a_bad_order_gets_422_naming_the_field(app, account, api, body, fields):
    response = api("csr", "POST", "/api/v1/order/", json=body)
    assert response.status_code == 422, response.get_json()
    assert sorted(response.get_json()["message"]) == fields


def test_a_control_character_in_a_note_or_a_reason_gets_422(app, account, api):
    """Free text on orders keeps its line breaks, never a NUL (PostgreSQL refuses it)."""
    response = api("csr", "POST", "/api/v1/order/", json={**NEW_LINE, "note": "web\x07shop"})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == {
        "note": ["note: contains a control character ('\\x07')"]
    }
    response = api("csr", "POST", "/api/v1/order/", json={**NEW_LINE, "note": "web\nshop"})
    assert response.status_code == 201, response.get_json()
    order_id = response.get_json()["id"]
    response = api("csr", "POST", f"/api/v1/order/{order_id}/cancel", json={"reason": "\x1b"})
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["message"]) == ["reason"]


def test_a_body_that_is_not_a_json_object_gets_400(app, account, api):
    for data in ("{not json", "[1, 2]"):
        response = api("csr", "POST", "/api/v1/order/", data=data, content_type="application/json")
        assert response.status_code == 400
        assert "JSON" in response.get_json()["message"]
    assert _count(app) == 0


def test_approval_beyond_the_credit_class_rejects_the_order(app, account, api):
    order_id = _draft(app, "MAX")
    assert api("csr", "POST", f"/api/v1/order/{order_id}/submit").status_code == 200
    response = api("csr", "POST", f"/api/v1/order/{order_id}/approve")
    assert response.status_code == 200, response.get_json()
    order = response.get_json()["result"]
    assert order["status"] == "rejected"
    assert "credit class C may not buy MAX" in order["reason"]
    assert order["lines"][0]["number"] is None


def test_reject_and_cancel_need_a_reason(app, account, api):
    order_id = _draft(app)
    response = api("csr", "POST", f"/api/v1/order/{order_id}/cancel", json={})
    assert response.status_code == 422
    assert response.get_json()["message"] == {"reason": ["reason: required"]}
    response = api("csr", "POST", f"/api/v1/order/{order_id}/reject", json={"reason": "no"})
    assert response.status_code == 422  # a draft is not rejected: it is cancelled
    assert list(response.get_json()["message"]) == ["status"]
    response = api("csr", "POST", f"/api/v1/order/{order_id}/cancel", json={"reason": "moved"})
    assert response.status_code == 200, response.get_json()
    order = response.get_json()["result"]
    assert (order["status"], order["reason"]) == ("cancelled", "moved")
    assert order["history"][-1]["reason"] == "moved"
    assert api("csr", "POST", f"/api/v1/order/{order_id}/explode").status_code == 404
    assert api("csr", "POST", f"/api/v1/order/{order_id}/submit").status_code == 422


def test_orders_of_other_regions_are_not_seen(app, account, api):
    order_id = _draft(app)
    assert api("csr_ko", "GET", f"/api/v1/order/{order_id}").status_code == 404
    assert api("csr_ko", "POST", f"/api/v1/order/{order_id}/submit").status_code == 404
    assert api("csr_ko", "GET", "/api/v1/order/").get_json() == {"count": 0, "result": []}
    refused = api("csr_ko", "POST", "/api/v1/order/", json=NEW_LINE)
    assert refused.status_code == 422
    assert list(refused.get_json()["message"]) == ["account"]
    listed = api("csr", "GET", "/api/v1/order/").get_json()
    assert listed["count"] == 1 and listed["result"][0]["id"] == order_id
    with app.app_context():
        assert db.session.get(Order, order_id).status == "draft"


def test_the_list_is_newest_first_with_filters_and_pages(app, account, api):
    first, second, third = _draft(app), _draft(app, "MAX"), _draft(app)
    api("csr", "POST", f"/api/v1/order/{third}/submit")
    listed = api("billing", "GET", "/api/v1/order/").get_json()
    assert OrderPage().validate(listed) == {}
    assert listed["count"] == 3
    assert [o["id"] for o in listed["result"]] == [third, second, first]
    drafts = api("csr", "GET", "/api/v1/order/?status=draft").get_json()
    assert [o["id"] for o in drafts["result"]] == [second, first]
    page = api("csr", "GET", "/api/v1/order/?page=1&page_size=2").get_json()
    assert page["count"] == 3 and [o["id"] for o in page["result"]] == [first]
    assert api("csr", "GET", "/api/v1/order/?account=A1").get_json()["count"] == 3
    assert api("csr", "GET", "/api/v1/order/?account=B2").get_json()["count"] == 0
    capped = api("csr", "GET", "/api/v1/order/?page_size=1000")
    assert capped.status_code == 200 and capped.get_json()["count"] == 3
    for query, field in (
        ("status=lost", "status"),
        ("page=-1", "page"),
        ("page_size=0", "page_size"),
    ):
        response = api("csr", "GET", f"/api/v1/order/?{query}")
        assert response.status_code == 400
        assert list(response.get_json()["message"]) == [field]


def test_reading_is_not_writing(app, account, api):
    order_id = _draft(app)
    assert api("technician", "GET", "/api/v1/order/").status_code == 200
    assert api("technician", "POST", "/api/v1/order/", json=NEW_LINE).status_code == 403
    assert api("billing", "POST", f"/api/v1/order/{order_id}/submit").status_code == 403
    assert api("supervisor", "POST", f"/api/v1/order/{order_id}/submit").status_code == 200


def test_a_session_cookie_alone_does_not_authorise_a_call(app, account, login):
    csr = login("csr")  # signed in to the admin UI, no JWT
    order_id = _draft(app)
    assert csr.client.post("/api/v1/order/", json=NEW_LINE).status_code == 401
    assert csr.client.post(f"/api/v1/order/{order_id}/submit").status_code == 401
    assert csr.client.get("/api/v1/order/").status_code == 401
    assert _count(app) == 1
    with app.app_context():
        assert db.session.get(Order, order_id).status == "draft"


def test_openapi_spec_lists_the_order_endpoints(api):
    paths = api("technician", "GET", "/api/v1/_openapi").get_json()["paths"]
    assert set(paths["/api/v1/order/"]) == {"get", "post"}
    assert set(paths["/api/v1/order/{pk}"]) == {"get"}
    assert set(paths["/api/v1/order/{pk}/{decision}"]) == {"post"}
