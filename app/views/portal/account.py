"""The customer's account in the portal: setting the password from an emailed link (an
invitation or a reset), asking for a reset, and the profile (docs/portal.md, "Accounts").
The rules live in app/services/portal/accounts.py, links.py and profile.py."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_user

from app.services.platform import validation
from app.services.platform.errors import DomainError
from app.services.portal import accounts, links, profile
from app.views.portal import CHOSEN, LANGUAGES, menu_entry, portal, public

menu_entry(70, "portal.profile", _l("Profile"))


def _password_page(purpose: str, token: str):
    try:
        user = accounts.link_user(purpose, token)
    except links.LinkRefused as refused:
        page = render_template("portal/account_link_refused.html", refused=refused)
        return page, 410 if refused.why != links.INVALID else 404
    error = None
    if request.method == "POST":
        form = request.form
        try:
            accounts.set_password(purpose, token, form.get("password", ""),
                                  form.get("password_again", ""))  # fmt: skip
        except DomainError as exc:
            error = exc
        else:
            if purpose == links.RESET:
                flash(_l("Your password is changed: sign in with it."), "success")
                return redirect(url_for("portal.login"))
            login_user(user)
            profile.keep_language(user, session.pop(CHOSEN, None))
            flash(_l("Your password is set. Welcome!"), "success")
            return redirect(url_for("portal.home"))
    page = render_template(
        "portal/account_password.html", purpose=purpose, email=user.email, error=error
    )
    return page, 200 if error is None else 422


@portal.route("/welcome/<token>", methods=["GET", "POST"])
@public
def welcome(token):
    return _password_page(links.INVITATION, token)


@portal.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset(token):
    return _password_page(links.RESET, token)


@portal.route("/forgot", methods=["GET", "POST"])
@public
def forgot():
    email = request.form.get("email", "").strip()
    error = None
    if request.method == "POST":
        try:
            validation.required("email", email)
        except DomainError as exc:
            error = exc
        else:
            accounts.forgot(email)
            # the same answer whether or not the address is a customer's
            return render_template("portal/account_forgot.html", sent=True, email=email)
    page = render_template("portal/account_forgot.html", sent=False, email=email, error=error)
    return page, 200 if error is None else 422


@portal.route("/profile", methods=["GET", "POST"], endpoint="profile")
def profile_page():
    user = g.customer_user
    customer = profile.contact(user)
    values = {field: getattr(customer, field) or "" for field in profile.CONTACT_FIELDS}
    values["language"] = user.language or session.get("locale")
    error = None
    if request.method == "POST":
        names = (*profile.CONTACT_FIELDS, "language")
        values = {name: request.form.get(name, "") for name in names}
        try:
            profile.update(user, values)
        except DomainError as exc:
            error = exc
        else:
            flash(_l("Your details are saved."), "success")
            return redirect(url_for("portal.profile"))
    page = render_template(
        "portal/account_profile.html",
        customer=profile.contact(user),
        values=values,
        error=error,
        languages=LANGUAGES,
    )
    return page, 200 if error is None else 422
