"""The sandbox gateway as the app sees it, like any other adapter: it opens a session on
the gateway's side (its hosted card page, app/services/gateway/sandbox_host.py) and reads
the webhooks it signs with SANDBOX_WEBHOOK_SECRET."""

import json
import secrets
from decimal import Decimal, InvalidOperation

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from app.models.gateway import CheckoutSession
from app.services.gateway import signature
from app.services.gateway.interface import (
    DECLINED,
    FAILED,
    PAID,
    BadEvent,
    Event,
    Gateway,
    Opened,
)

SIGNATURE_HEADER = "Sandbox-Signature"
OUTCOMES = {"payment.succeeded": PAID, "payment.declined": DECLINED, "payment.failed": FAILED}


class SandboxGateway(Gateway):
    name = "sandbox"

    def open(self, session: CheckoutSession, result_url: str) -> Opened:
        ref = f"cs_sbx_{secrets.token_urlsafe(24)}"
        return Opened(ref, url_for("gateway.sandbox_page", ref=ref, _external=True))

    def parse(self, body: bytes, headers) -> Event:
        config = current_app.config
        signature.verify(
            config["SANDBOX_WEBHOOK_SECRET"],
            body,
            headers.get(SIGNATURE_HEADER),
            config["WEBHOOK_TOLERANCE"],
        )
        try:
            payload = json.loads(body)
            data = payload["data"]
            event = Event(
                self.name,
                _text(payload["id"]),
                _text(payload["type"]),
                provider_ref=_text(data["session"]),
                outcome=OUTCOMES.get(payload["type"]),
                payment_ref=_text(data["payment"]),
                amount=Decimal(_text(data["amount"])),
                currency=_text(data["currency"]),
                failure=data.get("failure"),
                card_last4=data.get("card_last4"),
            )
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise BadEvent(_l("the event is malformed")) from None
        return event


def _text(value) -> str:
    if not isinstance(value, str) or not value or len(value) > 255:
        raise ValueError(value)
    return value
