"""`POST /api/v1/acquisition/applications` (docs/api.md)."""

from app.api.acquisition import DecisionOutput
from app.extensions import db
from app.models.acquisition import Application
from app.services.platform.actor import acting_as
from tests.helpers import add_catalog
from tests.services.acquisition.test_applications import MARIO, individual

URL = "/api/v1/acquisition/applications"


def test_an_application_answers_its_decision_terms_and_offer(app, api, tmp_path):
    with app.app_context(), acting_as():
        add_catalog(tmp_path)
    answer = api("csr", "POST", URL, json=individual(product_codes=["SMART"]))
    assert answer.status_code == 201, answer.json
    assert DecisionOutput().validate(answer.json) == {}
    body = answer.json
    assert body["identity"] == {"status": "passed", "reasons": []}
    assert body["credit"]["class"] == "C"
    assert (body["credit"]["credit_limit"], body["credit"]["deposit"]) == ("100.00", "50.00")
    assert body["credit"]["allowed_payment_modes"] == ["prepaid", "postpaid"]
    # MAX needs class B; the others are open to C, in euros
    assert body["eligible_products"] == ["HOME", "SMART", "TOPUP"]
    with app.app_context():
        stored = db.session.get(Application, body["id"])
        assert (stored.source, stored.created_by, stored.document_number) == (
            "api",
            "csr",
            MARIO,
        )
    again = api("csr", "GET", f"{URL}/{body['id']}")
    assert again.status_code == 200 and again.json["ref"] == body["ref"]


def test_a_doubtful_application_says_why(api):
    answer = api("csr", "POST", URL, json=individual(country="XX", credit_history="bad"))
    assert answer.status_code == 201
    identity = answer.json["identity"]
    assert identity["status"] == "rejected"
    assert {r["check"] for r in identity["reasons"]} == {"identity", "credit"}
    assert answer.json["eligible_products"] == []


def test_malformed_input_gets_a_message_per_field_and_stores_nothing(app, api):
    answer = api(
        "csr",
        "POST",
        URL,
        json=individual(kind="alien", monthly_income=-5, email="nope", region=None),
    )
    assert answer.status_code == 422
    assert set(answer.json["message"]) == {"kind", "monthly_income", "email", "region"}
    assert api("csr", "POST", URL, data="not json").status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Application)) == 0


def test_only_staff_with_the_permission_and_a_jwt(app, api, client):
    assert client.post(URL, json=individual()).status_code == 401
    assert api("technician", "POST", URL, json=individual()).status_code == 403


def test_another_regions_code_is_as_unknown_as_a_missing_one(api):
    for code in ("KR-SEL", "XX-NOPE"):
        answer = api("csr", "POST", URL, json=individual(region=code))
        assert answer.status_code == 422
        assert answer.json["message"] == {"region": [f"unknown reference {code!r}"]}


def test_an_absurd_income_is_422_naming_the_field(api):
    answer = api("csr", "POST", URL, json=individual(monthly_income="1e20", existing_debt=1e300))
    assert answer.status_code == 422, answer.json
    assert set(answer.json["message"]) == {"monthly_income", "existing_debt"}
