"""Applying to become a customer from the portal (docs/portal.md, "Sign-up"); the rules
live in app/services/portal/signup.py and the acquisition service it calls."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_babel import get_locale

from app.services.acquisition.applications import InvalidApplication
from app.services.portal import signup as signups
from app.views.display import DOCUMENT_LABELS, HISTORY_LABELS, SEX_LABELS
from app.views.portal import portal, public

# the outcome of the visitor's application, kept for the page after it
OUTCOME = "portal_application"


@portal.route("/signup", methods=["GET", "POST"])
@public
def signup():
    values = {name: request.form.get(name, "") for name in (*signups.TYPED, *signups.CONSENTS)}
    chosen = request.form.getlist("product_codes")
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            outcome = signups.apply(values, chosen, str(get_locale()))
        except InvalidApplication as exc:
            errors = exc.errors
        else:
            application = outcome.application
            session[OUTCOME] = {
                "ref": application.ref,
                "status": str(application.status),
                "reasons": outcome.reasons,
                "pending": outcome.pending,
                "order": outcome.order.ref if outcome.order else None,
                "invited": outcome.invited,
                "email": application.email,
            }
            return redirect(url_for("portal.signup_done"))
    regions, offers = signups.choices(str(get_locale()))
    page = render_template(
        "portal/signup_form.html",
        values=values,
        chosen=chosen,
        errors=errors,
        region_options=[(region.code, region.name) for region in regions],
        offers=offers,
        documents=[(code, DOCUMENT_LABELS[code]) for code in signups.DOCUMENT_TYPES],
        sexes=SEX_LABELS,
        histories=HISTORY_LABELS,
    )
    return page, 422 if errors else 200


@portal.get("/signup/done")
@public
def signup_done():
    outcome = session.get(OUTCOME)
    if outcome is None:
        return redirect(url_for("portal.signup"))
    return render_template("portal/signup_outcome.html", outcome=outcome)
