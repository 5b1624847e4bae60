"""What every payment gateway adapter does: open a session on its side for a checkout,
and read (after checking its signature) an event it sends back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from app.models.gateway import CheckoutSession


class BadEvent(Exception):
    """A webhook that cannot be trusted or read: wrong signature, too old, malformed. It
    changes nothing and is answered 400."""

    def __init__(self, reason):
        self.reason = str(reason)
        super().__init__(self.reason)


# what an event says happened to a checkout
PAID, DECLINED, FAILED, EXPIRED = "paid", "declined", "failed", "expired"


@dataclass
class Event:
    provider: str
    id: str
    type: str
    provider_ref: str | None = None  # the gateway's session the event is about
    outcome: str | None = None  # PAID, DECLINED, FAILED, EXPIRED; None: nothing for us
    payment_ref: str | None = None  # the gateway's id of the money taken
    amount: Decimal | None = None
    currency: str | None = None
    failure: str | None = None  # the gateway's reason code when declined or failed
    card_last4: str | None = None


@dataclass
class Opened:
    provider_ref: str
    checkout_url: str


class Gateway(ABC):
    name: str

    @abstractmethod
    def open(self, session: CheckoutSession, result_url: str) -> Opened:
        """Create the gateway's session for the checkout; where the customer pays."""

    @abstractmethod
    def parse(self, body: bytes, headers) -> Event:
        """The event a webhook carries; BadEvent when its signature or body is wrong."""
