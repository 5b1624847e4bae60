"""Stripe through its official library: a Checkout Session per checkout (the customer pays
on Stripe's page), closed by the `checkout.session.*` webhooks, whose signature the
library checks against STRIPE_WEBHOOK_SECRET."""

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.models.gateway import CheckoutSession
from app.services.gateway.interface import (
    EXPIRED,
    FAILED,
    PAID,
    BadEvent,
    Event,
    Gateway,
    Opened,
)
from app.services.platform import money
from app.services.platform.errors import DomainError

SIGNATURE_HEADER = "Stripe-Signature"
# a session paid by a delayed method (a bank debit) completes unpaid and is paid later
PAID_TYPES = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
CLOSED_TYPES = {
    "checkout.session.async_payment_failed": FAILED,
    "checkout.session.expired": EXPIRED,
}


class StripeGateway(Gateway):
    name = "stripe"

    def open(self, session: CheckoutSession, result_url: str) -> Opened:
        config = current_app.config
        if not config["STRIPE_API_KEY"]:
            raise DomainError("gateway", _l("STRIPE_API_KEY is not set"))
        client = stripe.StripeClient(
            config["STRIPE_API_KEY"],
            base_addresses={"api": config["STRIPE_API_BASE"]},
            max_network_retries=2,
        )
        item = {
            "quantity": 1,
            "price_data": {
                "currency": session.currency.lower(),
                "unit_amount": money.to_minor(session.amount, session.currency),
                "product_data": {"name": _description(session)},
            },
        }
        try:
            opened = client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "line_items": [item],
                    "success_url": result_url,
                    "cancel_url": result_url,
                    "client_reference_id": session.token,
                },
                # a retried request opens the one session, not a second
                options={"idempotency_key": session.token},
            )
        except stripe.StripeError as exc:
            raise DomainError(
                "gateway", _l("Stripe refused the checkout: %(reason)s", reason=exc.user_message)
            ) from exc
        return Opened(opened.id, opened.url)

    def parse(self, body: bytes, headers) -> Event:
        config = current_app.config
        if not config["STRIPE_WEBHOOK_SECRET"]:
            raise BadEvent(_l("no webhook secret is configured"))
        try:
            event = stripe.Webhook.construct_event(
                body,
                headers.get(SIGNATURE_HEADER),
                config["STRIPE_WEBHOOK_SECRET"],
                tolerance=config["WEBHOOK_TOLERANCE"],
            )
        except stripe.SignatureVerificationError:
            raise BadEvent(_l("the signature does not match or is too old")) from None
        except ValueError:
            raise BadEvent(_l("the event is malformed")) from None
        try:
            return _event(event)
        except (KeyError, AttributeError, TypeError, ValueError):
            raise BadEvent(_l("the event is malformed")) from None


def _event(event) -> Event:
    kind = event["type"]
    found = Event("stripe", event["id"], kind)
    if not kind.startswith("checkout.session."):
        return found
    session = event["data"]["object"]
    found.provider_ref = session["id"]
    if kind in PAID_TYPES and session["payment_status"] == "paid":
        currency = session["currency"].upper()
        found.outcome = PAID
        found.payment_ref = session["payment_intent"]
        found.currency = currency
        found.amount = money.from_minor(session["amount_total"], currency)
    elif kind in CLOSED_TYPES:
        found.outcome = CLOSED_TYPES[kind]
        found.failure = kind.removeprefix("checkout.session.")
    return found


def _description(session: CheckoutSession) -> str:
    if session.invoice is not None:
        return str(_l("Invoice %(number)s", number=session.invoice.number))
    return str(_l("Top-up of account %(ref)s", ref=session.account.ref))
