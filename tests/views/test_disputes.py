"""Bill dispute screens: opened by customer care from the invoice's page, listed by status
within the user's regions, decided by billing staff on the dispute's page."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.billing import Invoice
from app.models.disputes import Dispute
from app.services.platform.actor import acting_as
from tests.services.payments.billed import billed_account, invoices_of


@pytest.fixture
def invoice_id(app, tmp_path):
    """The first bill (35.38 EUR) of an IT-C account."""
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, "DSV1", runs_on=(date(2026, 2, 1),))
        return invoices_of(account)[0].id


# a form every signed-in user has, for a CSRF token when the page itself shows none
ANY_FORM = "/resetmypassword/form"


def _post(user, url: str, page: str, data: dict):
    return user.client.post(
        url, data={**data, "csrf_token": user.csrf(page)}, follow_redirects=True
    )


def _dispute(app) -> Dispute:
    with app.app_context():
        return db.session.scalar(select(Dispute))


def _open(login, invoice_id, **data):
    csr = login("csr")
    page = f"/disputes/new?invoice={invoice_id}"
    return csr, _post(csr, "/disputes/new", page, {"invoice": invoice_id, **data})


def test_customer_care_opens_a_dispute_from_the_invoice(app, login, invoice_id):
    csr = login("csr")
    invoice_page = csr.get(f"/invoiceview/show/{invoice_id}").get_data(as_text=True)
    assert f"/disputes/new?invoice={invoice_id}" in invoice_page
    form = csr.get(f"/disputes/new?invoice={invoice_id}").get_data(as_text=True)
    assert 'id="dispute-form"' in form and "€35.38" in form
    _csr, refused = _open(login, invoice_id, amount="40.00", reason="too much")
    text = refused.get_data(as_text=True)
    assert "amount: more than the invoice&#39;s open amount: at most 35.38" in text
    assert _dispute(app) is None
    _csr, opened = _open(login, invoice_id, amount="12.20", reason="roaming never used")
    text = opened.get_data(as_text=True)
    dispute = _dispute(app)
    assert f"Dispute {dispute.ref} is open" in text
    assert 'id="dispute-amount">€12.20' in text and "roaming never used" in text
    # the reader sees no decision form
    assert 'id="resolve-form"' not in text
    # billing staff do not open disputes; nor does anyone outside the region
    assert login("billing").get(f"/invoiceview/show/{invoice_id}").status_code == 200
    assert "open-dispute" not in login("billing").get(f"/invoiceview/show/{invoice_id}").get_data(
        as_text=True
    )
    assert login("csr_ko").get(f"/disputes/new?invoice={invoice_id}").status_code == 404


def test_a_dispute_on_a_line_takes_its_vat(app, login, invoice_id):
    with app.app_context():
        (line_id,) = [line.id for line in db.session.get(Invoice, invoice_id).lines]
    _csr, opened = _open(login, invoice_id, reason="half the month", **{f"line-{line_id}": "10"})
    assert 'id="dispute-amount">€12.20' in opened.get_data(as_text=True)
    assert 'id="dispute-lines"' in opened.get_data(as_text=True)


def test_the_list_by_status_and_region(app, login, invoice_id):
    _open(login, invoice_id, amount="5.00", reason="wrong")
    ref = _dispute(app).ref
    csr = login("csr")
    assert ref in csr.get("/disputes/").get_data(as_text=True)
    assert ref in csr.get("/disputes/?status=open").get_data(as_text=True)
    assert ref not in csr.get("/disputes/?status=rejected").get_data(as_text=True)
    korean = login("csr_ko")
    assert ref not in korean.get("/disputes/").get_data(as_text=True)
    assert korean.get(f"/disputes/{_dispute(app).id}").status_code == 404
    assert csr.get("/disputes/?page=x").status_code == 400


def test_billing_staff_decide_on_the_disputes_page(app, login, invoice_id):
    _open(login, invoice_id, amount="35.38", reason="never called that number")
    dispute_id = _dispute(app).id
    page = f"/disputes/{dispute_id}"
    billing = login("billing")
    shown = billing.get(page).get_data(as_text=True)
    assert 'id="resolve-form"' in shown
    refused = _post(billing, f"/disputes/decision/{dispute_id}", page, {"outcome": "rejected"})
    assert "reason: required" in refused.get_data(as_text=True)
    decided = _post(
        billing, f"/disputes/decision/{dispute_id}", page, {"outcome": "partial",
                                                            "amount": "12.20",
                                                            "reason": "roaming was used"}
    ).get_data(as_text=True)  # fmt: skip
    assert "Partially accepted" in decided and 'id="resolve-form"' not in decided
    assert 'id="dispute-credit-note"' in decided and "IT-C-CN-" in decided
    history = decided[decided.index('id="dispute-history"') :]
    assert "billing" in history and "roaming was used" in history
    with app.app_context():
        assert db.session.get(Invoice, invoice_id).balance_due == Decimal("23.18")


def test_customer_care_cannot_decide(app, login, invoice_id):
    _open(login, invoice_id, amount="5.00", reason="wrong")
    dispute_id = _dispute(app).id
    csr = login("csr")
    assert 'id="resolve-form"' not in csr.get(f"/disputes/{dispute_id}").get_data(as_text=True)
    response = csr.client.post(
        f"/disputes/decision/{dispute_id}",
        data={"outcome": "accepted", "csrf_token": csr.csrf(ANY_FORM)},
    )
    assert response.status_code == 403
    assert _dispute(app).status == "open"
