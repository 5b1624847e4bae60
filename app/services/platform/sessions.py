"""Sign-in sessions and API tokens, and when they end.

Each user has a security stamp. A session cookie and every JWT (access and refresh) carry
the stamp they were made with, and count only while the user is active and the stamp is
unchanged. Changing or resetting the password, deactivating the user and signing out give
a new stamp, so every session and token made before ends, on every browser and API client.
"""

import secrets

from sqlalchemy import event

from app.extensions import db
from app.models.security import AbonentUser


def new_stamp() -> str:
    return secrets.token_hex(16)


def end_all(user: AbonentUser) -> None:
    """End every session and token of the user (signing out does this)."""
    user.security_stamp = new_stamp()
    db.session.commit()


def valid_user(user_id, stamp) -> AbonentUser | None:
    """The user a session or token names, while it is still valid; else None."""
    try:
        user = db.session.get(AbonentUser, int(user_id))
    except (TypeError, ValueError, OverflowError):
        return None
    if user is None or not user.is_active or not stamp or stamp != user.security_stamp:
        return None
    return user


def from_session_id(session_id: str) -> AbonentUser | None:
    """The user of a session cookie's id (`AbonentUser.get_id`), while valid."""
    user_id, _, stamp = str(session_id).partition(":")
    return valid_user(user_id, stamp)


def stamp_of(user_id) -> str:
    """The stamp a new token for the user carries."""
    user = db.session.get(AbonentUser, int(user_id))
    return user.security_stamp if user is not None else ""


def _password_set(user, value, old, _initiator):
    if value != old:
        user.security_stamp = new_stamp()


def _active_set(user, value, old, _initiator):
    if not value and old:
        user.security_stamp = new_stamp()


def install() -> None:
    """Whatever changes a password or deactivates a user, anywhere, ends their sessions."""
    if not event.contains(AbonentUser.password, "set", _password_set):
        event.listen(AbonentUser.password, "set", _password_set)
        event.listen(AbonentUser.active, "set", _active_set)
