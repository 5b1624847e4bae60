"""A customer pays a bill on the sandbox gateway's card page in a real browser; the
gateway's signed webhook reaches the app over HTTP, and the bill shows paid."""

import logging

from app.extensions import db
from app.models.billing import Invoice
from app.models.gateway import GatewayEvent
from app.models.payments import Payment
from app.services.gateway import checkout
from app.services.platform.actor import acting_as
from tests.services.payments.billed import billed_account, invoices_of


def test_a_customer_pays_a_bill_by_card(app, live_server, page, tmp_path, caplog):
    with app.app_context(), acting_as("csr"):
        account = billed_account(tmp_path, "BP1")
        invoice = invoices_of(account)[0]
        session = checkout.start(account, invoice=invoice)
        token, invoice_id = session.token, invoice.id
    app.config["SANDBOX_WEBHOOK_URL"] = f"{live_server}/gateway/webhook/sandbox"
    try:
        with caplog.at_level(logging.INFO, logger="app.services.gateway.sandbox_host"):
            page.goto(f"{live_server}/gateway/pay/{token}")
            page.wait_for_selector("#card-form")
            assert "35,38" in page.inner_text("#amount")  # the bill's language: Italian
            page.fill("#card_number", "4242424242424241")  # fails the Luhn check
            page.fill("#expiry", "12/39")
            page.fill("#cvc", "123")
            page.click("#pay")
            page.wait_for_selector("#error-card_number")
            page.fill("#card_number", "4242 4242 4242 4242")
            page.fill("#expiry", "12/39")
            page.fill("#cvc", "123")
            page.click("#pay")
            page.wait_for_selector("#result-paid")
    finally:
        app.config["SANDBOX_WEBHOOK_URL"] = ""
    assert "delivered here" not in caplog.text  # it went over HTTP, not the fallback
    with app.app_context():
        assert db.session.get(Invoice, invoice_id).status == "paid"
        payment = db.session.scalar(db.select(Payment))
        assert (payment.method, payment.source) == ("card", "gateway:sandbox")
        assert db.session.scalar(db.select(db.func.count(GatewayEvent.id))) == 1
