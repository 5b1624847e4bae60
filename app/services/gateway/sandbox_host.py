"""The sandbox gateway's own side: its hosted card page's checks, the test cards, and the
signed webhook it sends the app, as a real gateway would (docs/online-payment.md).

It keeps apart from the app: it learns the outcome from nothing but the card, signs the
event with SANDBOX_WEBHOOK_SECRET and posts it over HTTP to the app's webhook URL. When
the app cannot be reached that way (the Flask test client, a single web process busy
with this very request), the same signed bytes go through the same intake, signature
check included, in this process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.gateway import CheckoutSession
from app.services.gateway import webhooks
from app.services.gateway.sandbox import SIGNATURE_HEADER
from app.services.gateway.signature import sign

log = logging.getLogger(__name__)

# the test cards (Stripe's numbers): any other valid number succeeds, as in a sandbox
TEST_CARDS = {
    "4000000000000002": ("payment.declined", "card_declined"),
    "4000000000009995": ("payment.failed", "insufficient_funds"),
}
EXPIRY = re.compile(r"^(\d{2})\s*/\s*(\d{2})$")


@dataclass
class Card:
    number: str = ""
    errors: dict = field(default_factory=dict)  # field name -> reason


def check_card(number: str, expiry: str, cvc: str, today: date) -> Card:
    """The card as typed, every field checked: a Luhn-valid number, an expiry (MM/YY) not
    past, a CVC of 3 or 4 digits."""
    card = Card(re.sub(r"[\s-]", "", number or ""))
    if not re.fullmatch(r"\d{12,19}", card.number) or not luhn_valid(card.number):
        card.errors["card_number"] = _l("the card number is not valid")
    match = EXPIRY.match((expiry or "").strip())
    if match is None or not 1 <= int(match[1]) <= 12:
        card.errors["expiry"] = _l("give the expiry as MM/YY")
    elif (2000 + int(match[2]), int(match[1])) < (today.year, today.month):
        card.errors["expiry"] = _l("the card has expired")
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        card.errors["cvc"] = _l("the CVC is 3 or 4 digits")
    return card


def luhn_valid(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def charge(session: CheckoutSession, card: Card) -> None:
    """Charge the card for the session and tell the app, by a signed webhook."""
    kind, failure = TEST_CARDS.get(card.number, ("payment.succeeded", None))
    # one session is paid once: a second submit of the page is the same payment
    payment = "py_sbx_" + hashlib.sha256(session.provider_ref.encode()).hexdigest()[:24]
    body = json.dumps(
        {
            "id": f"evt_sbx_{secrets.token_hex(12)}",
            "type": kind,
            "created": int(time.time()),
            "data": {
                "session": session.provider_ref,
                "payment": payment,
                "amount": str(session.amount),
                "currency": session.currency,
                "card_last4": card.number[-4:],
                "failure": failure,
            },
        }
    ).encode()
    deliver(body, sign(current_app.config["SANDBOX_WEBHOOK_SECRET"], body))


def deliver(body: bytes, signed: str) -> None:
    """Tell the app, as a real gateway does: after the card page has answered, not within
    its request — posting to the app's own address from inside one of its requests would
    hold a worker while waiting for another, and a busy app would time itself out. The
    customer's result page waits for the event (it reloads itself)."""
    config = current_app.config
    url = config["SANDBOX_WEBHOOK_URL"]
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signed}
    # never to an address made from the request's Host header: whoever sent the card form
    # would choose where the server posts; without a configured address, the same signed
    # bytes go through the same check here
    if not url:
        webhooks.receive("sandbox", body, headers)
        return
    app = current_app._get_current_object()
    threading.Thread(target=_post, args=(app, url, body, headers), daemon=True).start()


def _post(app, url: str, body: bytes, headers: dict) -> None:
    with app.app_context():
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=app.config["SANDBOX_WEBHOOK_TIMEOUT"]):
                return
        except urllib.error.HTTPError as exc:
            # the app answered and refused it: as a real gateway, the sandbox does not insist
            log.error("sandbox webhook to %s refused: %s", url, exc.code)
            return
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            log.info("sandbox webhook to %s not delivered over HTTP (%s): delivered here",
                     url, exc)  # fmt: skip
        try:
            webhooks.receive("sandbox", body, headers)
        finally:
            db.session.remove()
