"""Who is acting: the signed-in user in a request, the system user in CLI commands and jobs."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context

SYSTEM_USERNAME = "system"

_acting_as: ContextVar[str | None] = ContextVar("acting_as", default=None)


@contextmanager
def acting_as(username: str = SYSTEM_USERNAME) -> Iterator[None]:
    token = _acting_as.set(username)
    try:
        yield
    finally:
        _acting_as.reset(token)


def current_user_obj():
    """The signed-in user of this request (session or JWT), or None."""
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def current_username() -> str:
    user = current_user_obj()
    if user is not None:
        return user.username
    return _acting_as.get() or SYSTEM_USERNAME
