"""Online payment from the screens: staff start it from the invoice or a prepaid account;
the customer, signed in nowhere, pays on the sandbox's card page; the signed webhook
records the payment and the invoice shows paid; the webhook endpoint answers 400 to what
it cannot trust."""

import re
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.models.gateway import CheckoutSession, GatewayEvent
from app.models.payments import Payment
from app.services.platform.actor import acting_as
from tests.conftest import Browser
from tests.services.gateway.events import sandbox_event, signed
from tests.services.payments.billed import billed_account, invoices_of, prepaid_account

D = Decimal
GOOD = {"expiry": "12/39", "cvc": "123"}


@pytest.fixture
def invoice_id(app, tmp_path):
    with app.app_context(), acting_as():
        return invoices_of(billed_account(tmp_path))[0].id


def _start(app, login, url, data=None):
    csr = login("csr")
    kind, pk = url.split("/")[-2:]
    token = csr.csrf(f"/invoiceview/show/{pk}" if kind == "invoice" else f"/billing/account/{pk}")
    response = csr.client.post(url, data={**(data or {}), "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    shown = csr.get(response.location).get_data(as_text=True)
    link = re.search(r'value="([^"]+)" id="payment-link-url"', shown)[1]
    return csr, link.removeprefix("http://localhost")


def _pay(app, link, number, language=None):
    customer = Browser(app.test_client())
    card_page = customer.get(link)
    assert card_page.status_code == 302
    page = card_page.location.removeprefix("http://localhost")
    html = customer.get(page).get_data(as_text=True)
    for name in ("card_number", "expiry", "cvc"):
        assert f'name="{name}"' in html
    response = customer.submit(page, {"card_number": number, **GOOD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return customer.get(response.location).get_data(as_text=True)


def _session(app):
    with app.app_context():
        return db.session.scalar(db.select(CheckoutSession))


@pytest.mark.parametrize(
    ("number", "status", "shown", "invoice"),
    [
        ("4242424242424242", "succeeded", "result-paid", "paid"),
        ("5555555555554444", "succeeded", "result-paid", "paid"),
        ("4000000000000002", "declined", "result-card_declined", "issued"),
        ("4000000000009995", "failed", "result-insufficient_funds", "issued"),
    ],
)
def test_the_test_cards_from_the_invoice_page_to_the_result(
    app, login, invoice_id, number, status, shown, invoice
):
    csr = login("csr")
    assert 'id="pay-online"' in csr.get(f"/invoiceview/show/{invoice_id}").get_data(as_text=True)
    _, link = _start(app, login, f"/onlinepaymentview/invoice/{invoice_id}")
    result = _pay(app, link, number)
    assert f'id="{shown}"' in result
    assert '<html lang="it">' in result  # the customer's language
    with app.app_context():
        session = db.session.scalar(db.select(CheckoutSession))
        assert (session.status, session.card_last4) == (status, number[-4:])
        assert db.session.get(Invoice, invoice_id).status == invoice
        paid = db.session.scalars(db.select(Payment)).all()
        assert [(p.amount, p.source) for p in paid] == (
            [(D("35.38"), "gateway:sandbox")] if status == "succeeded" else []
        )
        # the webhook went through the intake and its signature check
        assert db.session.scalar(db.select(GatewayEvent.outcome)) == {
            "succeeded": "paid", "declined": "declined", "failed": "failed"}[status]  # fmt: skip


def test_a_card_refused_on_the_page_names_the_field_and_pays_nothing(app, login, invoice_id):
    _, link = _start(app, login, f"/onlinepaymentview/invoice/{invoice_id}")
    customer = Browser(app.test_client())
    page = customer.get(link).location.removeprefix("http://localhost")
    response = customer.submit(
        page, {"card_number": "4242424242424241", "expiry": "01/20", "cvc": "1"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "4242424242424241" not in html  # the card number is not echoed back
    assert '<html lang="it">' in html
    for field in ("card_number", "expiry", "cvc"):
        assert f'id="error-{field}"' in html
    assert _session(app).status == "created"


def test_a_paid_link_cannot_be_paid_again(app, login, invoice_id):
    _, link = _start(app, login, f"/onlinepaymentview/invoice/{invoice_id}")
    _pay(app, link, "4242424242424242")
    again = Browser(app.test_client()).get(link)
    assert again.location.endswith(f"/gateway/result/{_session(app).token}")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 1


def test_a_prepaid_top_up_online(app, login, tmp_path):
    with app.app_context(), acting_as():
        account_id = prepaid_account(tmp_path).id
    csr = login("csr")
    page = csr.get(f"/billing/account/{account_id}").get_data(as_text=True)
    assert 'id="topup-amount"' in page
    token = csr.csrf(f"/billing/account/{account_id}")
    refused = csr.client.post(
        f"/onlinepaymentview/topup/{account_id}", data={"amount": "1000", "csrf_token": token}
    )
    assert refused.location.endswith(f"/billing/account/{account_id}")
    _, link = _start(app, login, f"/onlinepaymentview/topup/{account_id}", {"amount": "20"})
    assert 'id="result-paid"' in _pay(app, link, "4242424242424242")
    with app.app_context():
        payment = db.session.scalar(db.select(Payment))
        assert (payment.purpose, payment.amount) == ("topup", D("20.00"))
        assert db.session.get(BillingAccount, account_id).balance == D("20.00")


def test_the_webhook_endpoint_refuses_what_it_cannot_trust(app, client, invoice_id, login):
    _start(app, login, f"/onlinepaymentview/invoice/{invoice_id}")
    with app.app_context():
        session = db.session.scalar(db.select(CheckoutSession))
        body = sandbox_event(session)
        good, bad = signed(body), signed(body, secret="wrong")
    assert client.post("/gateway/webhook/sandbox", data=body, headers=bad).status_code == 400
    assert client.post("/gateway/webhook/sandbox", data=b"{", headers=good).status_code == 400
    assert client.post("/gateway/webhook/nowhere", data=body, headers=good).status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(GatewayEvent)) == 0
    answers = [client.post("/gateway/webhook/sandbox", data=body, headers=good)
               for _ in range(3)]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.get_json()["duplicate"] for a in answers] == [False, True, True]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 1
        assert db.session.get(Invoice, invoice_id).status == "paid"


def test_staff_list_sessions_of_their_regions_only(app, login, invoice_id):
    _start(app, login, f"/onlinepaymentview/invoice/{invoice_id}")
    listed = login("billing").get("/onlinepaymentview/list/").get_data(as_text=True)
    assert "Waiting for payment" in listed
    assert "Waiting for payment" not in login("csr_ko").get("/onlinepaymentview/list/").get_data(
        as_text=True
    )
    technician = login("technician")
    assert technician.get("/onlinepaymentview/list/").status_code == 200
    token = technician.csrf("/resetmypassword/form")
    started = technician.client.post(
        f"/onlinepaymentview/invoice/{invoice_id}", data={"csrf_token": token}
    )
    assert started.status_code == 403
