"""REST resource invoice: read in the user's regions, corrected by credit notes that
billing staff decide, voided before payment, never edited."""

from datetime import date
from decimal import Decimal

import pytest

from app.api.invoices import CreditNoteAnswer, InvoiceAnswer, InvoicePage
from app.extensions import db
from app.models.billing import Invoice
from app.services.billing import runs
from app.services.platform.actor import acting_as
from tests.services.billing.test_runs import _samples


@pytest.fixture
def invoice_id(app):
    """The samples' March invoice of AC1 (IT-C): 15.27 EUR."""
    with app.app_context(), acting_as():
        _samples()
        runs.run(date(2026, 3, 5))
        return db.session.scalar(db.select(Invoice.id))


def test_staff_list_and_read_invoices_of_their_regions(api, invoice_id):
    listed = api("csr", "GET", "/api/v1/invoice/?status=issued&account=AC1").get_json()
    assert listed["count"] == 1 and InvoicePage().validate(listed) == {}
    body = listed["result"][0]
    assert (body["number"], body["total"], body["balance_due"], body["customer_ref"]) == (
        "IT-C-2026-000001", "15.27", "15.27", "CU1")  # fmt: skip
    assert [line["kind"] for line in body["lines"]] == ["recurring", "usage", "usage", "usage"]
    assert api("csr", "GET", f"/api/v1/invoice/{invoice_id}").get_json()["result"] == body
    assert api("csr_ko", "GET", "/api/v1/invoice/").get_json()["count"] == 0
    assert api("csr_ko", "GET", f"/api/v1/invoice/{invoice_id}").status_code == 404
    bad = api("csr", "GET", "/api/v1/invoice/?status=lost&issued_from=2026-13-01")
    assert bad.status_code == 400
    assert "status" in bad.get_json()["message"]


def test_the_api_has_no_way_to_edit_or_delete_an_invoice(app, api, invoice_id):
    for method in ("PUT", "PATCH", "DELETE"):
        response = api("billing", method, f"/api/v1/invoice/{invoice_id}", json={"total": "1"})
        assert response.status_code == 405, method
    assert api("billing", "POST", "/api/v1/invoice/", json={"total": "1"}).status_code == 405
    with app.app_context():
        assert db.session.get(Invoice, invoice_id).total == Decimal("15.27")


def test_credit_notes_over_the_api(app, api, invoice_id):
    body = api("csr", "GET", f"/api/v1/invoice/{invoice_id}").get_json()["result"]
    voice = next(line["id"] for line in body["lines"] if line["amount"] == "1.42")
    too_much = api("csr", "POST", f"/api/v1/invoice/{invoice_id}/credit",
                   json={"reason": "x", "lines": {str(voice): "5"}})  # fmt: skip
    assert too_much.status_code == 422
    assert too_much.get_json()["message"] == {
        f"line {voice}": [f"line {voice}: at most 1.42 can still be credited on this line"]
    }
    assert api("csr", "POST", f"/api/v1/invoice/{invoice_id}/credit",
               json={"lines": {str(voice): "1"}}).status_code == 422  # fmt: skip
    asked = api("csr", "POST", f"/api/v1/invoice/{invoice_id}/credit",
                json={"reason": "dropped call", "lines": {str(voice): "1.42"}})  # fmt: skip
    assert asked.status_code == 201, asked.get_json()
    assert CreditNoteAnswer().validate(asked.get_json()) == {}
    note = asked.get_json()["result"]
    assert (note["status"], note["total"]) == ("requested", "1.73")
    # a CSR cannot decide; the one who asked cannot either
    denied = api("csr", "POST", f"/api/v1/invoice/credit/{note['id']}/approve", json={})
    assert denied.status_code == 403
    approved = api("billing", "POST", f"/api/v1/invoice/credit/{note['id']}/approve",
                   json={"note": "ok"})  # fmt: skip
    assert approved.status_code == 200, approved.get_json()
    assert CreditNoteAnswer().validate(approved.get_json()) == {}
    assert approved.get_json()["result"]["number"] == "IT-C-CN-2026-000001"
    shown = api("csr", "GET", f"/api/v1/invoice/{invoice_id}").get_json()
    assert InvoiceAnswer().validate(shown) == {}
    body = shown["result"]
    assert (body["credited"], body["paid"], body["balance_due"]) == ("1.73", "0.00", "13.54")
    assert [n["lines"] for n in body["credit_notes"]] == [[{"line_id": voice, "amount": "1.42"}]]
    # void is refused once credited
    refused = api("billing", "POST", f"/api/v1/invoice/{invoice_id}/void", json={"reason": "x"})
    assert refused.status_code == 422


def test_billing_staff_void_over_the_api(api, invoice_id):
    assert api("csr", "POST", f"/api/v1/invoice/{invoice_id}/void",
               json={"reason": "x"}).status_code == 403  # fmt: skip
    done = api("billing", "POST", f"/api/v1/invoice/{invoice_id}/void",
               json={"reason": "wrong product"})  # fmt: skip
    assert done.status_code == 200 and InvoiceAnswer().validate(done.get_json()) == {}
    assert done.get_json()["result"]["status"] == "void"
    assert done.get_json()["result"]["history"][-1]["reason"] == "wrong product"


def test_a_session_cookie_alone_cannot_call_the_api(login, invoice_id):
    browser = login("billing")
    response = browser.client.post(f"/api/v1/invoice/{invoice_id}/void", json={"reason": "x"})
    assert response.status_code == 401
