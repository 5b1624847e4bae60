"""Care in the portal: the customer's tickets (open one, follow it, reply, reopen), bill
disputes (a bill or some of its lines) and the public knowledge base. The rules live in
app/services/portal/care.py and the care services it calls; records of another customer
answer 404.

The help pages are open to visitors too (@public): public articles are written for anyone,
and a customer who cannot sign in is the one who most needs them."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l

from app.models.tickets import TicketCategory
from app.services.platform.errors import DomainError, NotFound
from app.services.portal import access
from app.services.portal import care as service
from app.views.knowledge import CATEGORY_LABELS
from app.views.portal import menu_entry, portal, public

menu_entry(50, "portal.tickets", _l("Support"))
menu_entry(60, "portal.help", _l("Help"))

# what a refused form's message calls each field the services name
FIELD_LABELS = {
    "category": _l("Category"),
    "service": lazy_pgettext("phone line", "Line"),
    "subject": _l("Subject"),
    "description": _l("Description"),
    "comment": _l("Your message"),
    "reopen": _l("Reopen"),
    "amount": _l("Amount"),
    "reason": _l("Reason"),
    "invoice": _l("Bill"),
}


def _found(lookup, *args):
    try:
        return lookup(*args)
    except NotFound:
        abort(404)


def _refused(exc: DomainError, lines=None) -> tuple[str, str]:
    """(the field, "<its label>: <reason>") of a refused form; a bill's line is named by
    its description."""
    field = exc.field or ""
    label = FIELD_LABELS.get(field, field)
    if field.startswith("lines.") and lines is not None:
        described = {str(line.id): line.description for line in lines}
        label = _l("Line %(line)s", line=described.get(field.removeprefix("lines."), "?"))
    return field, f"{label}: {exc.reason}" if label else exc.reason


def _page_language() -> str:
    return str(get_locale())


# --------------------------------------------------------------------------- tickets


@portal.get("/tickets")
def tickets():
    page = service.tickets(g.customer_user, request.args.get("before", type=int))
    return render_template("portal/care_tickets.html", page=page)


@portal.route("/tickets/new", methods=["GET", "POST"])
def ticket_new():
    form = request.form
    error = field = None
    if request.method == "POST":
        try:
            created = service.open_ticket(
                g.customer_user,
                category=form.get("category", ""),
                subject=form.get("subject", ""),
                description=form.get("description", ""),
                line=form.get("line", ""),
            )
        except DomainError as exc:
            field, error = _refused(exc)
        else:
            flash(_l("Your request %(number)s is open: we will keep you informed.",
                     number=created.number), "success")  # fmt: skip
            return redirect(url_for("portal.ticket", ticket_id=created.id))
    page = render_template(
        "portal/care_ticket_new.html",
        categories=list(TicketCategory),
        lines=access.lines(g.customer_user),
        form=form,
        error=error,
        field=field,
    )
    return page, 200 if error is None else 422


def _ticket_page(ticket, form=None, error=None, field=None, status=200):
    page = render_template(
        "portal/care_ticket.html",
        ticket=ticket,
        comments=service.customer_comments(ticket),
        can_reply=service.can_reply(ticket),
        can_reopen=service.can_reopen(ticket),
        form=form or {},
        error=error,
        field=field,
    )
    return page, status


@portal.get("/tickets/<int:ticket_id>")
def ticket(ticket_id):
    return _ticket_page(_found(service.ticket, g.customer_user, ticket_id))


@portal.post("/tickets/<int:ticket_id>/reply")
def ticket_reply(ticket_id):
    found = _found(service.ticket, g.customer_user, ticket_id)
    form = request.form
    reopen = form.get("action") == "reopen"
    try:
        service.reply(found, form.get("comment", ""), reopen=reopen)
    except DomainError as exc:
        field, error = _refused(exc)
        return _ticket_page(found, form, error, field, 422)
    flash(_l("Your request is reopened.") if reopen else _l("Your message is sent."), "success")
    return redirect(url_for("portal.ticket", ticket_id=found.id))


# --------------------------------------------------------------------------- disputes


@portal.route("/invoices/<number>/dispute", methods=["GET", "POST"])
def dispute_new(number):
    form_data = _found(service.dispute_form, g.customer_user, number)
    form = request.form
    error = field = None
    if request.method == "POST":
        nets = {
            key.removeprefix("net-"): value
            for key, value in form.items()
            if key.startswith("net-")
        }  # fmt: skip
        try:
            opened = service.open_dispute(
                form_data, form.get("amount", ""), form.get("reason", ""),
                form.getlist("line"), nets,
            )  # fmt: skip
        except DomainError as exc:
            field, error = _refused(exc, form_data.invoice.lines)
        else:
            flash(_l("Your dispute %(ref)s is open: we will write to you with our decision.",
                     ref=opened.ref), "success")  # fmt: skip
            return redirect(url_for("portal.dispute", dispute_id=opened.id))
    page = render_template(
        "portal/care_dispute_new.html",
        data=form_data,
        form=form,
        chosen=form.getlist("line"),
        error=error,
        field=field,
    )
    return page, 200 if error is None else 422


@portal.get("/disputes")
def disputes():
    page = service.disputes(g.customer_user, request.args.get("before", type=int))
    return render_template("portal/care_disputes.html", page=page, decision=service.decision)


@portal.get("/disputes/<int:dispute_id>")
def dispute(dispute_id):
    found = _found(service.dispute, g.customer_user, dispute_id)
    return render_template(
        "portal/care_dispute.html", dispute=found, decision=service.decision(found)
    )


# --------------------------------------------------------------------------- help


@portal.get("/help")
@public
def help():  # the endpoint portal.help: its name is the function's
    query = request.args.get("q", "").strip()[:200]
    return render_template(
        "portal/care_help.html",
        groups=service.help_articles(_page_language(), query),
        query=query,
        category_labels=CATEGORY_LABELS,
    )


@portal.get("/help/<slug>")
@public
def help_article(slug):
    article = _found(service.help_article, slug, _page_language())
    return render_template(
        "portal/care_help_article.html",
        article=article,
        body=service.article_html(article),
        other_language=article.language != _page_language(),
        category_labels=CATEGORY_LABELS,
    )
