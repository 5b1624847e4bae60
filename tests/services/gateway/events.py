"""Sandbox webhooks as the sandbox gateway signs them, for the tests."""

import json
import time

from flask import current_app

from app.services.gateway.sandbox import SIGNATURE_HEADER
from app.services.gateway.signature import sign


def sandbox_event(checkout, kind="payment.succeeded", event_id="evt_1", payment="py_1", **data):
    body = {
        "id": event_id,
        "type": kind,
        "created": int(time.time()),
        "data": {
            "session": checkout.provider_ref,
            "payment": payment,
            "amount": str(checkout.amount),
            "currency": checkout.currency,
            "card_last4": "4242",
            "failure": None,
            **data,
        },
    }
    return json.dumps(body).encode()


def signed(body: bytes, secret=None, timestamp=None) -> dict:
    secret = secret or current_app.config["SANDBOX_WEBHOOK_SECRET"]
    return {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body, timestamp)}
