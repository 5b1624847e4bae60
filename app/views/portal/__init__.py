"""The customer self-service portal (docs/portal.md): a blueprint of its own under /portal,
with its own look (templates/portal/, static/portal/), for customers' users only.

Every page but the public ones (sign-in, password links, sign-up) needs a signed-in
customer's user: anyone else is sent to the portal's sign-in, and staff to the admin
screens. Records are found through app/services/portal/access.py, so another customer's
answer 404. The page language is the one the customer chose, else the browser's.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.services.platform.language import portal_language
from app.services.portal.access import is_customer

portal = Blueprint(
    "portal",
    __name__,
    url_prefix="/portal",
    static_folder="../../static/portal",
    static_url_path="/assets",
)
# the pages a visitor who is not signed in may open
PUBLIC = {"portal.login", "portal.static", "portal.language"}
# where a visitor's language choice is kept until they sign in
CHOSEN = "portal_language"
# each language named in itself, so whoever cannot read the page still finds theirs
LANGUAGES = (("en", "English"), ("it", "Italiano"), ("ko", "한국어"), ("ru", "Русский"))
# the navigation: (place, endpoint, label), shown by place
MENU: list[tuple[int, str, object]] = [(0, "portal.home", _l("Home"))]


def menu_entry(place: int, endpoint: str, label) -> None:
    """Add a page to the portal's navigation (each page module adds its own)."""
    MENU.append((place, endpoint, label))
    MENU.sort(key=lambda entry: entry[0])


def public(view):
    """Mark a portal page as open to visitors who are not signed in."""
    PUBLIC.add(f"portal.{view.__name__}")
    return view


@portal.before_request
def _guard():
    user = current_user if current_user.is_authenticated else None
    chosen = user.language if is_customer(user) and user.language else session.get(CHOSEN)
    session["locale"] = portal_language(chosen, request.accept_languages)
    if is_customer(user):
        g.customer_user = user  # public pages too show a signed-in customer their menu
    if request.endpoint in PUBLIC:
        return None
    if user is None:
        return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
    if not is_customer(user):
        return redirect("/")  # staff work in the admin screens
    return None


@portal.context_processor
def _navigation():
    return {
        "portal_menu": [(endpoint, label) for _place, endpoint, label in MENU],
        "portal_languages": LANGUAGES,
        "page_language": str(get_locale()),
    }


def register(appbuilder) -> None:
    # their routes join the blueprint
    from app.views.portal import account, auth, bills, care, home, prepaid, signup, usage  # noqa: F401

    current_app.register_blueprint(portal)
    security = appbuilder.sm
    if security.is_auth_limited:
        # the portal's sign-in is a door like the staff one, limited alike
        limited = security.limiter.limit(security.auth_rate_limit, methods=["POST"])
        current_app.view_functions["portal.login"] = limited(auth.login)
        # asking for a reset link and applying are doors too
        current_app.view_functions["portal.forgot"] = limited(account.forgot)
        current_app.view_functions["portal.signup"] = limited(signup.signup)
