"""The signed links the portal emails: an invitation to set one's password, and a
password reset.

A link carries the user's id and security stamp, signed with SECRET_KEY under a salt of
its own purpose (so one kind cannot pass for the other) and timed: it is refused once older
than its purpose's lifetime (PORTAL_INVITATION_TTL, PORTAL_RESET_TTL), and once the stamp
has changed. Setting a password gives the user a new stamp (app/services/platform/
sessions.py), so a link works once, and every session made before ends with it.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models.security import AbonentUser
from app.services.platform.errors import DomainError

INVITATION, RESET = "invitation", "reset"
# each purpose: its salt and the setting giving its lifetime in seconds
PURPOSES = {
    INVITATION: ("abonent.portal.invitation", "PORTAL_INVITATION_TTL"),
    RESET: ("abonent.portal.reset", "PORTAL_RESET_TTL"),
}
EXPIRED, INVALID, USED = "expired", "invalid", "used"


class LinkRefused(DomainError):
    """The link cannot be used: `why` is EXPIRED, INVALID or USED."""

    REASONS = {
        EXPIRED: _l("This link has expired."),
        INVALID: _l("This link is not valid."),
        USED: _l("This link has been used already, or the password was changed since."),
    }

    def __init__(self, why: str):
        super().__init__("link", self.REASONS[why])
        self.why = why


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    salt, _setting = PURPOSES[purpose]
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def lifetime(purpose: str) -> int:
    """How many seconds a link of the purpose stays valid."""
    return int(current_app.config[PURPOSES[purpose][1]])


def make(purpose: str, user: AbonentUser) -> str:
    """The token of a link for the user, valid from now for the purpose's lifetime."""
    return _serializer(purpose).dumps([user.id, user.security_stamp])


def user_of(purpose: str, token: str) -> AbonentUser:
    """The user the link was made for, while it is valid; LinkRefused otherwise."""
    try:
        user_id, stamp = _serializer(purpose).loads(token, max_age=lifetime(purpose))
    except SignatureExpired:
        raise LinkRefused(EXPIRED) from None
    except (BadSignature, TypeError, ValueError):
        raise LinkRefused(INVALID) from None
    user = db.session.get(AbonentUser, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or user.customer_id is None:
        raise LinkRefused(INVALID)
    if stamp != user.security_stamp:
        raise LinkRefused(USED)
    return user
