"""The webhook signature the sandbox gateway uses, Stripe's scheme: a header
`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. A signature older than the tolerance
is refused, so a captured webhook cannot be replayed later."""

import hashlib
import hmac
import time

from flask_babel import lazy_gettext as _l

from app.services.gateway.interface import BadEvent


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={_digest(secret, stamp, body)}"


def verify(secret: str, body: bytes, header: str | None, tolerance: int) -> None:
    """BadEvent unless the header signs the body with the secret, recently enough."""
    if not secret:
        raise BadEvent(_l("no webhook secret is configured"))
    parts = {}
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        stamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise BadEvent(_l("the signature header has no timestamp")) from None
    expected = _digest(secret, stamp, body)
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise BadEvent(_l("the signature does not match"))
    if stamp < time.time() - tolerance:
        raise BadEvent(_l("the signature is older than %(seconds)s seconds", seconds=tolerance))


def _digest(secret: str, stamp: int, body: bytes) -> str:
    signed = str(stamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
