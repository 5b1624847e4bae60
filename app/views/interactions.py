"""Customer care's interaction screens: the log of the user's regions with its filters, one
entry's page with its files and corrections, the form that logs a contact (also on the
customer's 360° page), the download of a file; and what the 360° page's timeline may show
the user. The rules live in app/services/care/; these pages collect input and show the
outcome."""

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l

from app.extensions import appbuilder
from app.models.interactions import InteractionChannel, InteractionDirection
from app.models.types import LARGEST_INTEGER
from app.security import (
    CARE_MENU,
    COMMUNICATIONS,
    DISPUTES,
    DUNNING_CASES,
    INTERACTIONS,
    INVOICES,
    ORDERS,
    PAYMENTS,
    TICKETS,
    WORK_ORDERS,
)
from app.services.care import attachments, interactions, timeline
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.display import INTERACTION_CHANNEL_LABELS, INTERACTION_DIRECTION_LABELS

PAGE_SIZE = 50
# kind of the 360° page's timeline -> its label, and the resource whose read right shows it
TIMELINE_KINDS = {
    "interaction": (_l("Interactions"), INTERACTIONS),
    "ticket": (_l("Tickets"), TICKETS),
    "work_order": (_l("Work orders"), WORK_ORDERS),
    "order": (_l("Orders"), ORDERS),
    "invoice": (_l("Invoices"), INVOICES),
    "payment": (_l("Payments"), PAYMENTS),
    "dunning_step": (_l("Dunning steps"), DUNNING_CASES),
    "communication": (_l("Communications"), COMMUNICATIONS),
    "dispute": (_l("Disputes"), DISPUTES),
}


def readable_kinds() -> list[str]:
    return [
        kind
        for kind, (_label, resource) in TIMELINE_KINDS.items()
        if appbuilder.sm.has_access("can_read", resource)
    ]


def timeline_args() -> tuple[list[str], list[str], timeline.Cursor | None]:
    """From the 360° page's address: the kinds its timeline shows (those asked for among
    the ones the user may read; all of those when none is asked for), the kinds asked for,
    and where the page starts (400 for a cursor no page wrote)."""
    readable = readable_kinds()
    asked = [kind for kind in request.args.getlist("kind") if kind in readable]
    before = request.args.get("before", "")
    try:
        cursor = timeline.Cursor.parse(before) if before else None
    except DomainError as exc:
        abort(400, description=exc.message)
    return asked or readable, asked, cursor


def timeline_context(shown: list[str], asked: list[str]) -> dict:
    """What the 360° page's timeline and its interaction form need besides the customer."""
    return {
        "timeline_kinds": {kind: TIMELINE_KINDS[kind][0] for kind in readable_kinds()},
        "timeline_shown": shown,
        "timeline_asked": asked,
        **_form_choices(),
        "can_log": appbuilder.sm.has_access("can_write", INTERACTIONS),
    }


def _form_choices() -> dict:
    return {
        "channels": {c.value: INTERACTION_CHANNEL_LABELS[c.value] for c in InteractionChannel},
        "directions": {
            d.value: INTERACTION_DIRECTION_LABELS[d.value] for d in InteractionDirection
        },
        "accepted_types": ",".join(sorted(f".{e}" for e in attachments.ALLOWED)),
        "max_megabytes": attachments.max_bytes() // 1_048_576,
    }


def _uploads() -> list[interactions.Upload]:
    """The files sent, each read up to one byte past the limit: enough to refuse it."""
    limit = attachments.max_bytes()
    return [
        interactions.Upload(upload.filename, upload.stream.read(limit + 1))
        for upload in request.files.getlist("attachments")
        if upload.filename or upload.content_length
    ]


def _local_input(moment: datetime, timezone: str) -> str:
    """A time as a datetime-local field shows it, in the region's zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def _day_start(field: str, text: str, days: int = 0) -> datetime | None:
    day = validation.check_date(field, text.strip())
    return None if day is None else datetime.combine(day + timedelta(days=days), time(), UTC)


LIST_ARGS = ("channel", "direction", "agent", "customer", "from", "to", "before")


def _chosen(value: str, choices) -> str | None:
    return value if value in list(choices) else None


def _list_cursor(text: str) -> tuple[datetime, int] | None:
    """Where a page of the list starts: the (time, id) of the previous page's last entry."""
    if not text:
        return None
    at, _, last_id = text.rpartition("|")
    try:
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not last_id.isdecimal():
            raise ValueError(text)
        return moment.astimezone(UTC), min(int(last_id), LARGEST_INTEGER)
    except (ValueError, OverflowError) as exc:
        raise DomainError("before", _l("not a place in the list")) from exc


class InteractionView(BaseView):
    route_base = "/care/interactions"
    class_permission_name = INTERACTIONS
    method_permission_name = {
        "list": "read",
        "show": "read",
        "download": "read",
        "new": "write",
        "create": "write",
    }
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        values = {name: request.args.get(name, "").strip() for name in LIST_ARGS}
        try:
            filters = interactions.Filters(
                channel=_chosen(values["channel"], InteractionChannel),
                direction=_chosen(values["direction"], InteractionDirection),
                agent=values["agent"] or None,
                customer_ref=values["customer"] or None,
                since=_day_start("from", values["from"]),
                until=_day_start("to", values["to"], days=1),
            )
            before = _list_cursor(values["before"])
        except DomainError as exc:
            abort(400, description=exc.message)
        found, following = interactions.search(current_region_ids(), filters, before, PAGE_SIZE)
        return self.render_template(
            "interaction_list.html",
            interactions=found,
            following=following and f"{following[0].isoformat()}|{following[1]}",
            values=values,
            title=_l("Interactions"),
            **_form_choices(),
        )

    def _interaction(self, pk: int):
        try:
            return interactions.get(pk, current_region_ids())
        except NotFound:
            abort(404)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        entry = self._interaction(pk)
        return self.render_template(
            "interaction.html",
            entry=entry,
            corrections=interactions.corrections(entry),
            can_log=appbuilder.sm.has_access("can_write", INTERACTIONS),
            title=str(entry),
        )

    def _customer(self, pk: int):
        try:
            return interactions.customer(pk, current_region_ids())
        except NotFound:
            abort(404)

    def _form(self, customer, values: dict, corrects=None, status: int = 200):
        return self.render_template(
            "interaction_form.html",
            customer=customer,
            values=values,
            corrects=corrects,
            title=_l("Log a contact with %(name)s", name=customer.name),
            **_form_choices(),
        ), status

    def _corrected(self, values, customer):
        """The entry the form corrects (`corrects`), of this customer; None when none."""
        text = values.get("corrects", "")
        if not text:
            return None
        if not text.isdecimal() or int(text) > LARGEST_INTEGER:
            abort(404)
        corrects = self._interaction(int(text))
        if corrects.customer_id != customer.id:
            abort(404)
        return corrects

    @expose("/customer/<int:pk>/new")
    @has_access
    def new(self, pk):
        """The form alone; with `corrects`, filled in from the entry it corrects."""
        customer = self._customer(pk)
        corrects, values = self._corrected(request.args, customer), {}
        if corrects is not None:
            values = {
                "channel": corrects.channel,
                "direction": corrects.direction,
                "at": _local_input(corrects.at, customer.region.timezone),
                "account": str(corrects.account_id or ""),
                "line": str(corrects.service_id or ""),
                "notes": corrects.notes,
            }
        return self._form(customer, values, corrects)

    @expose("/customer/<int:pk>", methods=["POST"])
    @has_access
    def create(self, pk):
        if not DynamicForm().validate_on_submit():
            abort(400)
        customer = self._customer(pk)
        form = request.form
        corrects = self._corrected(form, customer)
        try:
            made = interactions.record(
                customer,
                form.get("channel", ""),
                form.get("direction", ""),
                form.get("notes", ""),
                at=form.get("at", ""),
                account_id=form.get("account", ""),
                line_id=form.get("line", ""),
                uploads=_uploads(),
                corrects=corrects,
            )
        except DomainError as exc:
            values = {name: form.get(name, "") for name in
                      ("channel", "direction", "at", "account", "line", "notes")}  # fmt: skip
            values["error_field"], values["error"] = exc.field, exc.message
            return self._form(customer, values, corrects, status=400)
        flash(str(_l("Contact %(ref)s logged", ref=str(made))), "success")
        return redirect(url_for("CustomerView.show", pk=customer.id, _anchor="timeline"))

    @expose("/attachments/<int:pk>")
    @has_access
    def download(self, pk):
        try:
            attachment = attachments.get(pk, current_region_ids())
            data = attachments.content(attachment)
        except NotFound:
            abort(404)
        response = send_file(
            io.BytesIO(data),
            mimetype=attachments.media_type(attachment),
            as_attachment=True,
            download_name=attachments.download_name(attachment),
            etag=False,
            conditional=False,
            max_age=None,
        )
        # recordings and documents of a person: kept by no cache, never shown in the page
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def register(appbuilder) -> None:
    appbuilder.add_view(
        InteractionView,
        INTERACTIONS,
        label=_l("Interactions"),
        icon="fa-comments",
        category=CARE_MENU,
        category_label=_l("Care"),
        category_icon="fa-headset",
    )
