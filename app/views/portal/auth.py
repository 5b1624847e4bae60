"""Signing in to the portal and out of it, and the portal's language."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from app.services.platform.language import is_language
from app.services.portal import profile
from app.services.portal.access import is_customer
from app.views.portal import CHOSEN, portal, public


def _next_page() -> str:
    """Where to go after signing in: a portal page the visitor asked for, never elsewhere."""
    wanted = request.values.get("next", "")
    if wanted.startswith("/portal/") and not wanted.startswith("//"):
        return wanted
    return url_for("portal.home")


@portal.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and is_customer(current_user):
        return redirect(_next_page())
    error = None
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        user = current_app.appbuilder.sm.auth_user_db(email, request.form.get("password", ""))
        if user is not None and is_customer(user):
            login_user(user)
            profile.keep_language(user, session.pop(CHOSEN, None))
            return redirect(_next_page())
        error = _l("Wrong email or password.")
        if user is not None:
            error = _l("This sign-in is for customers: staff sign in to the staff screens.")
    page = render_template("portal/login.html", error=error, email=email, next=_next_page())
    return page, 200 if error is None else 401


@portal.post("/logout")
def logout():
    current_app.appbuilder.sm.on_user_logout(current_user)
    logout_user()
    return redirect(url_for("portal.login"))


@portal.post("/language")
@public
def language():
    """The language the portal speaks: kept on the customer's user once signed in."""
    code = request.form.get("language", "")
    if is_language(code):
        if current_user.is_authenticated and is_customer(current_user):
            profile.choose_language(current_user, code)
        else:
            session[CHOSEN] = code
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/portal/") else url_for("portal.home"))
