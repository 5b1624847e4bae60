"""Webhook intake (docs/online-payment.md): whatever the gateway, an event is believed only
when its signature checks (BadEvent otherwise: nothing changes, the answer is 400), is
acted on once (a delivery seen before is a duplicate, answered at once), and its effect
written before it is marked received, so a delivery that failed half-way is retried by
the gateway rather than lost."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.gateway import GatewayEvent
from app.services.gateway import checkout, registry
from app.services.platform.actor import acting_as

OUTCOME_LENGTH = GatewayEvent.__table__.c.outcome.type.length
TYPE_LENGTH = GatewayEvent.__table__.c.type.type.length


@dataclass
class Receipt:
    event_id: str
    outcome: str
    duplicate: bool = False


def receive(provider: str, body: bytes, headers) -> Receipt:
    """Take one delivery of a webhook. NotFound for an unknown provider, BadEvent for a
    delivery that cannot be trusted or read."""
    event = registry.named(provider).parse(body, headers)
    earlier = _earlier(provider, event.id)
    if earlier is not None:
        return Receipt(event.id, earlier, duplicate=True)
    session = checkout.by_provider_ref(provider, event.provider_ref) if event.provider_ref else None
    if event.outcome is None:
        outcome = "ignored"
    elif session is None:
        outcome = "rejected: no such checkout session"
    else:
        with acting_as(f"gateway:{provider}"):
            outcome = checkout.apply(session, event)
    try:
        db.session.add(
            GatewayEvent(
                provider=provider,
                event_id=event.id,
                type=event.type[:TYPE_LENGTH],
                outcome=outcome[:OUTCOME_LENGTH],
                session_id=session.id if session is not None else None,
            )
        )
        db.session.commit()
    except IntegrityError:
        # the same event delivered at the same moment: the other delivery recorded it
        db.session.rollback()
        return Receipt(event.id, _earlier(provider, event.id) or outcome, duplicate=True)
    return Receipt(event.id, outcome)


def _earlier(provider: str, event_id: str) -> str | None:
    return db.session.scalar(
        select(GatewayEvent.outcome).where(
            GatewayEvent.provider == provider, GatewayEvent.event_id == event_id
        )
    )
