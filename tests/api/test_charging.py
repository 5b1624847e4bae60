"""`POST /api/v1/charging/authorize` and `/debit` (docs/api.md)."""

from decimal import Decimal

from app.api.charging import Authorization, DebitAnswer
from app.extensions import db
from app.models.crm import BillingAccount
from app.services.dataio import registry
from app.services.ledger import posting as ledger
from app.services.platform.actor import acting_as
from tests.conftest import SAMPLES


def _prepaid(app):
    with app.app_context(), acting_as():
        for kind in ("rates", "products", "customers"):
            assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
        account = db.session.scalar(db.select(BillingAccount))
        account.payment_mode = "prepaid"
        db.session.commit()
        ledger.post(account.id, "topup", Decimal("1.00"), "voucher-1")


RECORD = {
    "record_id": "api-1",
    "service_id": "393331234567",
    "usage_type": "sms",
    "started_at": "2026-02-11T12:00:00+01:00",
    "destination": "393471234567",
    "quantity": 1,
}


def test_a_switch_authorizes_and_debits(app, api):
    _prepaid(app)
    answer = api(
        "supervisor",
        "POST",
        "/api/v1/charging/authorize",
        json={"service_id": "393331234567", "usage_type": "sms", "destination": "39347"},
    )
    assert answer.status_code == 200, answer.get_json()
    assert Authorization().validate(answer.get_json()) == {}
    assert answer.get_json()["allowed_units"] == 10
    for _ in range(2):  # the same record twice: charged once
        answer = api("supervisor", "POST", "/api/v1/charging/debit", json=RECORD)
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json() == {"charge": "0.0000", "balance": "1.0000"}  # allowance
        assert DebitAnswer().validate(answer.get_json()) == {}


def test_a_line_of_another_region_is_an_unknown_service(app, api):
    """The sample line is Italian, the technician's region Moscow: charging it (a usage
    write and a debit) is refused as for a number nobody has."""
    _prepaid(app)
    for number in ("393331234567", "390000000000"):
        answer = api(
            "technician",
            "POST",
            "/api/v1/charging/authorize",
            json={"service_id": number, "usage_type": "sms", "destination": "39347"},
        )
        assert answer.status_code == 422
        assert answer.get_json()["message"] == {
            "service_id": [f"service_id: unknown service '{number}'"]
        }
        answer = api(
            "technician", "POST", "/api/v1/charging/debit", json={**RECORD, "service_id": number}
        )
        assert answer.status_code == 422
        assert answer.get_json()["message"] == {
            "service_id": [f"service_id: unknown service '{number}'"]
        }
    with app.app_context():
        account = db.session.scalar(db.select(BillingAccount))
        assert account.balance == Decimal("1.00")


def test_bad_input_and_permissions(app, api, login):
    _prepaid(app)
    answer = api("supervisor", "POST", "/api/v1/charging/debit", json={**RECORD, "quantity": -1})
    assert answer.status_code == 422
    assert "quantity" in answer.get_json()["message"]
    answer = api("csr", "POST", "/api/v1/charging/debit", json=RECORD)
    assert answer.status_code == 403
    browser = login("supervisor")  # a session cookie alone is not enough
    assert browser.client.post("/api/v1/charging/debit", json=RECORD).status_code == 401
