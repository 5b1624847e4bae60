"""How dunning SMS reach the customer's phone (SMS_ADAPTER).

- `log` (the default): the message is written to the log and counts as sent — for demos
  and operators without an SMS gateway.
- `http`: a JSON POST `{to, text, idempotency_key}` to SMS_URL, signed with SMS_SECRET as
  provisioning requests are (app/services/orders/provisioning_adapters.py, whose adapter
  it is); the key stays the same over retries, so the gateway sends a repeat once.

`Sender` is the transport the bill delivery's `send_due` sends through: a timeout, a
refused connection or a 5xx is tried again later; a refusal (4xx) gives the SMS up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.services.orders.provisioning_adapters import (
    HttpAdapter,
    PermanentFailure,
    TemporaryFailure,
)

log = logging.getLogger("abonent.sms")

CHANNEL = "sms"  # the communications' channel


@dataclass(frozen=True)
class Sms:
    to: str
    text: str
    idempotency_key: str

    def request(self) -> dict:
        return {"to": self.to, "text": self.text, "idempotency_key": self.idempotency_key}


class LogAdapter:
    name = "log"

    def send(self, request: dict) -> str:
        log.info("sms to %s: %s", request["to"], request["text"])
        return "logged"


def adapter(config) -> LogAdapter | HttpAdapter:
    name = config["SMS_ADAPTER"]
    if name == "log":
        return LogAdapter()
    if name != "http":
        raise PermanentFailure(f"unknown SMS_ADAPTER {name!r} (http or log)")
    # checked here so that the error names the SMS settings, not the provisioning ones
    for key in ("SMS_URL", "SMS_SECRET"):
        if not config[key]:
            raise PermanentFailure(f"{key} is not set")
    return HttpAdapter(config["SMS_URL"], config["SMS_SECRET"], config["SMS_TIMEOUT"])


class Sender:
    """The SMS adapter as a delivery transport (billing/delivery.py send_due)."""

    failures = (TemporaryFailure, PermanentFailure)
    permanent = (PermanentFailure,)

    def __init__(self, config):
        self.adapter = adapter(config)

    def send(self, message: Sms) -> None:
        self.adapter.send(message.request())

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return None
