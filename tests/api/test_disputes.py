"""REST resource dispute: opened within the invoice's open amount by customer care, read in
the user's regions, decided once by billing staff, never edited."""

from datetime import date
from decimal import Decimal

import pytest

from app.api.disputes import DisputeAnswer, DisputePage
from app.extensions import db
from app.models.billing import Invoice
from app.models.dunning import InvoiceHold
from app.services.platform.actor import acting_as
from tests.services.payments.billed import billed_account, invoices_of


@pytest.fixture
def invoice_id(app, tmp_path):
    """The first bill of an IT-C account: 29.00 + 22 % VAT = 35.38 EUR."""
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, "DSA1", runs_on=(date(2026, 2, 1),))
        return invoices_of(account)[0].id


def _open(api, invoice_id, **body):
    body = {"invoice": invoice_id, "amount": "35.38", "reason": "never called it", **body}
    return api("csr", "POST", "/api/v1/dispute/", json=body)


def test_open_and_read_a_dispute(api, invoice_id):
    opened = _open(api, invoice_id, amount="12.20")
    assert opened.status_code == 201, opened.get_json()
    answer = opened.get_json()
    assert DisputeAnswer().validate(answer) == {}
    result = answer["result"]
    assert (result["invoice"], result["amount"], result["reason"]) == (
        invoice_id,
        "12.20",
        "never called it",
    )
    assert (result["status"], result["credit_note"], result["credited"]) == ("open", None, None)
    assert [(h["from_status"], h["to_status"], h["username"]) for h in result["history"]] == [
        (None, "open", "csr")
    ]
    shown = api("technician", "GET", f"/api/v1/dispute/{answer['id']}")
    assert shown.status_code == 404  # RU-MOW
    assert api("billing", "GET", f"/api/v1/dispute/{answer['id']}").get_json()["result"] == result
    listed = api("csr", "GET", f"/api/v1/dispute/?status=open&invoice={invoice_id}").get_json()
    assert DisputePage().validate(listed) == {}
    assert (listed["count"], listed["result"][0]["id"]) == (1, answer["id"])
    assert api("csr", "GET", "/api/v1/dispute/?status=rejected").get_json()["count"] == 0
    assert api("csr_ko", "GET", "/api/v1/dispute/").get_json()["count"] == 0
    assert api("csr", "GET", "/api/v1/dispute/?status=lost").status_code == 400


def test_bad_input_is_refused_by_field(app, api, invoice_id):
    over = _open(api, invoice_id, amount="35.39")
    assert over.status_code == 422
    assert over.get_json()["message"] == {
        "amount": ["amount: more than the invoice's open amount: at most 35.38 can be disputed"]
    }
    missing = api("csr", "POST", "/api/v1/dispute/", json={"amount": "x"})
    assert missing.status_code == 422
    assert set(missing.get_json()["message"]) == {"invoice", "reason", "amount"}
    body = {"invoice": invoice_id, "amount": "1", "reason": "x"}
    other_region = api("csr_ko", "POST", "/api/v1/dispute/", json=body)
    assert other_region.status_code == 422
    assert other_region.get_json()["message"] == {"invoice": ["invoice: no such invoice"]}
    assert _open(api, invoice_id, amount="0").status_code == 422
    assert api("billing", "POST", "/api/v1/dispute/", json=body).status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(InvoiceHold.id)) is None


def test_the_api_has_no_way_to_edit_or_delete_a_dispute(api, invoice_id):
    dispute_id = _open(api, invoice_id).get_json()["id"]
    for method in ("PUT", "PATCH", "DELETE"):
        response = api("csr", method, f"/api/v1/dispute/{dispute_id}", json={"amount": "1"})
        assert response.status_code == 405, method


def test_accepting_issues_a_credit_note(app, api, invoice_id):
    dispute_id = _open(api, invoice_id).get_json()["id"]
    url = f"/api/v1/dispute/{dispute_id}/resolve"
    # customer care opens, billing staff decide
    assert api("csr", "POST", url, json={"outcome": "accepted"}).status_code == 403
    assert api("technician", "POST", url, json={"outcome": "accepted"}).status_code == 403
    assert api("billing_ko", "POST", url, json={"outcome": "accepted"}).status_code == 404
    bad = api("billing", "POST", url, json={"outcome": "maybe"})
    assert bad.status_code == 422 and "outcome" in bad.get_json()["message"]
    decided = api("billing", "POST", url, json={"outcome": "accepted", "amount": "35.38"})
    assert decided.status_code == 200, decided.get_json()
    result = decided.get_json()["result"]
    assert (result["status"], result["credited"]) == ("accepted", "35.38")
    assert result["credit_note"].startswith("IT-C-CN-2026-")
    invoice = api("billing", "GET", f"/api/v1/invoice/{invoice_id}").get_json()["result"]
    assert (invoice["status"], invoice["balance_due"]) == ("credited", "0.00")
    assert [note["number"] for note in invoice["credit_notes"]] == [result["credit_note"]]
    again = api("supervisor", "POST", url, json={"outcome": "rejected", "reason": "no"})
    assert again.status_code == 422
    assert again.get_json()["message"] == {"status": ["status: the dispute was already decided"]}


def test_a_partial_outcome_and_its_limits(app, api, invoice_id):
    dispute_id = _open(api, invoice_id, amount="20.00").get_json()["id"]
    url = f"/api/v1/dispute/{dispute_id}/resolve"
    over = api("billing", "POST", url, json={"outcome": "partial", "amount": "35.38",
                                             "reason": "x"})  # fmt: skip
    assert over.status_code == 422 and "amount" in over.get_json()["message"]
    decided = api("billing", "POST", url, json={"outcome": "partial", "amount": "12.20",
                                                "reason": "roaming was used"})  # fmt: skip
    assert decided.status_code == 200, decided.get_json()
    result = decided.get_json()["result"]
    assert (result["status"], result["credited"]) == ("partially_accepted", "12.20")
    assert result["history"][-1]["reason"] == "roaming was used"
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice.balance_due == Decimal("23.18")


def test_a_rejection_needs_a_reason(api, invoice_id):
    dispute_id = _open(api, invoice_id).get_json()["id"]
    url = f"/api/v1/dispute/{dispute_id}/resolve"
    refused = api("billing", "POST", url, json={"outcome": "rejected"})
    assert refused.get_json()["message"] == {"reason": ["reason: required"]}
    decided = api("billing", "POST", url, json={"outcome": "rejected", "reason": "calls made"})
    result = decided.get_json()["result"]
    assert (result["status"], result["credited"], result["credit_note"]) == (
        "rejected",
        "0.00",
        None,
    )
