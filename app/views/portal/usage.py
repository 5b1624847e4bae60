"""The portal's usage pages: a line's itemised records for a range of days, and the same as
CSV (the rules in app/services/portal/usage.py)."""

from flask import Response, abort, g, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l

from app.services.platform.errors import DomainError, NotFound
from app.services.portal import access
from app.services.portal import usage as usage_service
from app.views.display import USAGE_TYPE_LABELS, label_for, usage_units
from app.views.portal import menu_entry, portal

menu_entry(30, "portal.usage", _l("Usage"))


def _line(lines):
    """The line asked for (`line_id`; another customer's: 404), else the user's first;
    None when they have none."""
    asked = request.args.get("line_id", "").strip()
    if asked:
        try:
            return access.line(g.customer_user, asked)
        except NotFound:
            abort(404)
    return lines[0] if lines else None


@portal.get("/usage")
def usage():
    lines = access.lines(g.customer_user)
    line = _line(lines)
    error, shown = None, None
    if line is not None:
        try:
            span = usage_service.period(line, request.args.get("from"), request.args.get("to"))
            shown = usage_service.page(line, span, request.args.get("after"))
        except DomainError as exc:
            error = exc
    page = render_template(
        "portal/usage_list.html",
        lines=lines,
        line=line,
        shown=shown,
        error=error,
        asked={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
    )
    return page, 200 if error is None else 422


@portal.get("/usage.csv")
def usage_csv():
    line = _line(access.lines(g.customer_user))
    if line is None:
        abort(404)
    try:
        span = usage_service.period(line, request.args.get("from"), request.args.get("to"))
    except DomainError as exc:
        return Response(f"{exc.message}\n", status=422, mimetype="text/plain")
    lines = usage_service.csv_lines(line, span, label_for(USAGE_TYPE_LABELS), usage_units)
    name = f"usage-{line.service_id}-{span.first.isoformat()}-{span.last.isoformat()}.csv"
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
