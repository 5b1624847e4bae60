"""Stripe: a Checkout Session opened through the official library against a local server
answering as Stripe's API does; its webhook verified by the library's signature check."""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.payments import Payment
from app.services.gateway import checkout, webhooks
from app.services.gateway.interface import BadEvent
from app.services.platform import money
from app.services.platform.errors import DomainError
from tests.services.gateway.fake_stripe import FakeStripe
from tests.services.payments.billed import billed_account, invoices_of

D = Decimal
SECRET = "whsec_test_secret"


@pytest.fixture
def fake_stripe(app, monkeypatch):
    server = FakeStripe()
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY", "stripe")
    monkeypatch.setitem(app.config, "STRIPE_API_KEY", "sk_test_abonent")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", server.url)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)
    yield server
    server.close()


def _completed(session, event_id="evt_1", intent="pi_1"):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": session.provider_ref,
                    "object": "checkout.session",
                    "payment_intent": intent,
                    "payment_status": "paid",
                    "amount_total": money.to_minor(session.amount, session.currency),
                    "currency": session.currency.lower(),
                }
            },
        }
    ).encode()


def _signed(body, secret=SECRET, at=None):
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={digest}"}


def test_a_checkout_session_paid_through_its_webhook(ctx, tmp_path, fake_stripe):
    account = billed_account(tmp_path)
    session = checkout.start(account, invoice=invoices_of(account)[0])
    assert (session.gateway, session.provider_ref) == ("stripe", "cs_test_1")
    assert session.checkout_url == "https://checkout.stripe.test/c/pay/cs_test_1"
    path, headers, form = fake_stripe.requests[0]
    assert path == "/v1/checkout/sessions"
    assert headers["Idempotency-Key"] == session.token
    assert form["line_items[0][price_data][unit_amount]"] == "3538"  # cents
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["success_url"].endswith(f"/gateway/result/{session.token}")

    body = _completed(session)
    receipts = [webhooks.receive("stripe", body, _signed(body)) for _ in range(3)]
    assert [r.duplicate for r in receipts] == [False, True, True]
    payment = db.session.scalar(db.select(Payment))
    assert (payment.external_ref, payment.source, payment.amount) == ("stripe:pi_1",
                                                                       "gateway:stripe",
                                                                       D("35.38"))  # fmt: skip
    assert invoices_of(account)[0].status == "paid"


@pytest.mark.parametrize(
    "headers",
    [
        lambda body: _signed(body, secret="whsec_other"),
        lambda body: _signed(body, at=int(time.time()) - 301),
        lambda body: {},
    ],
    ids=["wrong secret", "older than 5 minutes", "unsigned"],
)
def test_an_untrusted_stripe_webhook_changes_nothing(ctx, tmp_path, fake_stripe, headers):
    account = billed_account(tmp_path)
    session = checkout.start(account, invoice=invoices_of(account)[0])
    body = _completed(session)
    with pytest.raises(BadEvent):
        webhooks.receive("stripe", body, headers(body))
    assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 0
    assert session.status == "created"


def test_other_events_are_taken_and_ignored(ctx, fake_stripe):
    body = json.dumps({"id": "evt_9", "object": "event", "type": "customer.created",
                       "data": {"object": {"id": "cus_1"}}}).encode()  # fmt: skip
    assert webhooks.receive("stripe", body, _signed(body)).outcome == "ignored"


def test_stripe_refusing_the_session_is_a_clear_error(ctx, tmp_path, fake_stripe, app):
    app.config["STRIPE_API_KEY"] = "rk_live_wrong"
    account = billed_account(tmp_path)
    with pytest.raises(DomainError, match="Stripe refused the checkout"):
        checkout.start(account, invoice=invoices_of(account)[0])


def test_amounts_in_the_minor_unit_and_krw_has_none():
    assert money.to_minor(D("35.38"), "EUR") == 3538
    assert money.to_minor(D("35000"), "KRW") == 35000
    assert money.from_minor(35000, "KRW") == D("35000")
    assert money.from_minor(3538, "RUB") == D("35.38")
    with pytest.raises(ValueError):
        money.to_minor(D("1.5"), "KRW")
