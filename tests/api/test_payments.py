"""REST resource payment: recorded once per external reference, settling invoices;
refunds and reversals are billing staff's; regions apply."""

import pytest

from app.api.payments import PaymentAnswer, PaymentPage
from app.extensions import db
from app.models.billing import Invoice
from app.services.platform.actor import acting_as
from tests.services.payments.billed import billed_account, invoices_of


@pytest.fixture
def billed(app, tmp_path):
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, "AP1")
        return account.id, [invoice.id for invoice in invoices_of(account)]


def test_a_payment_over_the_api_is_recorded_once(app, api, billed):
    account_id, (first, second) = billed
    body = {"account": account_id, "amount": "35.38", "currency": "EUR",
            "method": "bank_transfer", "external_ref": "BANK-77", "invoices": [second]}  # fmt: skip
    made = api("csr", "POST", "/api/v1/payment/", json=body)
    assert made.status_code == 201, made.get_json()
    answer = made.get_json()
    assert PaymentAnswer().validate(answer) == {}
    assert answer["duplicate"] is False
    assert answer["result"]["allocations"][0]["invoice_id"] == second
    again = api("csr", "POST", "/api/v1/payment/", json=body)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert again.get_json()["id"] == answer["id"]
    with app.app_context():
        assert db.session.get(Invoice, second).status == "paid"
        assert db.session.get(Invoice, first).paid == 0
    listed = api("csr", "GET", "/api/v1/payment/?account=AP1").get_json()
    assert listed["count"] == 1 and PaymentPage().validate(listed) == {}
    assert api("csr_ko", "GET", f"/api/v1/payment/{answer['id']}").status_code == 404
    assert api("csr_ko", "POST", "/api/v1/payment/", json={**body, "external_ref": "X"}
               ).status_code == 422  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "1.005"}, "amount"),
        ({"currency": "KRW"}, "currency"),
        ({"method": "gold"}, "method"),
        ({"amount": True}, "amount"),
        ({"invoices": ["x"]}, "invoices"),
        ({"received_on": "2099-01-01"}, "received_on"),
    ],
)
def test_bad_payments_are_422_naming_the_field(api, billed, change, field):
    account_id, _ = billed
    body = {"account": account_id, "amount": "10", "currency": "EUR", "method": "cash"}
    answer = api("csr", "POST", "/api/v1/payment/", json={**body, **change})
    assert answer.status_code in (400, 422), answer.get_json()
    assert any(key.startswith(field) for key in answer.get_json()["message"])


def test_refund_and_reversal_are_billing_staffs(app, api, billed):
    account_id, _ = billed
    made = api("csr", "POST", "/api/v1/payment/",
               json={"account": account_id, "amount": "80", "currency": "EUR",
                     "method": "card"}).get_json()  # fmt: skip
    pid = made["id"]
    assert made["result"]["unallocated"] == "9.24"
    assert api("csr", "POST", f"/api/v1/payment/{pid}/refund",
               json={"amount": "1", "reason": "x"}).status_code == 403  # fmt: skip
    too_much = api("billing", "POST", f"/api/v1/payment/{pid}/refund",
                   json={"amount": "10", "reason": "asked"})  # fmt: skip
    assert too_much.status_code == 422 and "amount" in too_much.get_json()["message"]
    done = api("billing", "POST", f"/api/v1/payment/{pid}/refund",
               json={"amount": "9.24", "reason": "asked"})  # fmt: skip
    assert done.get_json()["result"]["refunded"] == "9.24"
    reversed_ = api("billing", "POST", f"/api/v1/payment/{pid}/reverse", json={"reason": "cb"})
    assert reversed_.get_json()["result"]["status"] == "reversed"
    with app.app_context():
        assert {i.status for i in db.session.scalars(db.select(Invoice))} == {"overdue"}
    for method in ("PUT", "DELETE"):
        assert api("billing", method, f"/api/v1/payment/{pid}", json={}).status_code == 405
