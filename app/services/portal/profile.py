"""A portal user's own settings: the language the portal speaks to them."""

from __future__ import annotations

from app.extensions import db
from app.models.security import AbonentUser
from app.services.platform.language import is_language


def choose_language(user: AbonentUser, code: str) -> None:
    """Remember the customer's language on their user (every browser they use)."""
    if is_language(code) and user.language != code:
        user.language = code
        db.session.commit()


def keep_language(user: AbonentUser, chosen: str | None) -> None:
    """At sign-in: a language picked before signing in becomes the user's, unless the user
    already has one."""
    if chosen and not user.language:
        choose_language(user, chosen)
