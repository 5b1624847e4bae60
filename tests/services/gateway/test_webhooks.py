"""Webhook intake: a signature checked, an old timestamp refused, a replayed event counted
once, a malformed body refused; nothing changes when refused."""

import time
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.gateway import GatewayEvent
from app.models.payments import Payment
from app.services.gateway import checkout, webhooks
from app.services.gateway.interface import BadEvent
from tests.services.gateway.events import sandbox_event, signed
from tests.services.payments.billed import billed_account, invoices_of

D = Decimal


def _counts():
    return (
        db.session.scalar(db.select(db.func.count()).select_from(Payment)),
        db.session.scalar(db.select(db.func.count()).select_from(GatewayEvent)),
    )


@pytest.fixture
def session(ctx, tmp_path):
    account = billed_account(tmp_path)
    return checkout.start(account, invoice=invoices_of(account)[0])


def test_the_same_event_three_times_records_one_payment(session):
    body = sandbox_event(session)
    receipts = [webhooks.receive("sandbox", body, signed(body)) for _ in range(3)]
    assert [(r.outcome, r.duplicate) for r in receipts] == [
        ("paid", False),
        ("paid", True),
        ("paid", True),
    ]
    # a new event for the same money (the gateway's retry with a fresh id) is no second one
    again = sandbox_event(session, event_id="evt_2")
    assert webhooks.receive("sandbox", again, signed(again)).outcome == "duplicate payment"
    assert _counts() == (1, 2)
    payment = db.session.scalar(db.select(Payment))
    assert (payment.amount, payment.method, payment.source, payment.external_ref) == (
        D("35.38"), "card", "gateway:sandbox", "sandbox:py_1")  # fmt: skip
    assert (session.status, session.payment_id) == ("succeeded", payment.id)
    assert session.card_last4 == "4242"
    assert invoices_of(session.account)[0].status == "paid"


@pytest.mark.parametrize(
    "headers",
    [
        lambda body: signed(body, secret="not-the-secret"),
        lambda body: signed(body + b" "),
        lambda body: {"Sandbox-Signature": "v1=00"},
        lambda body: {},
        lambda body: signed(body, timestamp=int(time.time()) - 301),
    ],
    ids=["wrong secret", "another body", "no timestamp", "no header", "older than 5 minutes"],
)
def test_an_untrusted_delivery_changes_nothing(session, headers):
    body = sandbox_event(session)
    with pytest.raises(BadEvent):
        webhooks.receive("sandbox", body, headers(body))
    assert _counts() == (0, 0)
    db.session.refresh(session)
    assert session.status == "created"


def test_a_malformed_event_is_refused_even_signed(session):
    for body in (b"not json", b"{}", sandbox_event(session, amount="x")):
        with pytest.raises(BadEvent, match="malformed"):
            webhooks.receive("sandbox", body, signed(body))
    assert _counts() == (0, 0)


def test_a_decline_closes_the_session_and_pays_nothing(session):
    body = sandbox_event(session, kind="payment.failed", failure="insufficient_funds")
    assert webhooks.receive("sandbox", body, signed(body)).outcome == "failed"
    assert (session.status, session.failure) == ("failed", "insufficient_funds")
    assert _counts() == (0, 1)


def test_an_event_for_no_known_session_is_kept_with_its_reason(session):
    body = sandbox_event(session, session="cs_sbx_unknown")
    receipt = webhooks.receive("sandbox", body, signed(body))
    assert receipt.outcome == "rejected: no such checkout session"
    assert _counts() == (0, 1)
