"""Trouble ticket screens: the queue of the user's regions, a ticket's page with its moves,
assignment and thread, a new ticket for a customer (from the 360° page), and the SLA
targets and business hours Supervisors set. The rules live in app/services/care/; these
pages collect input and show the outcome."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l

from app.models.crm import Customer, Region
from app.models.tickets import TicketCategory, TicketPriority, TicketTeam
from app.models.types import LARGEST_INTEGER, utcnow
from app.security import CARE_MENU, CUSTOMERS, SLA_TARGETS, TICKETS
from app.services.care import business_hours, sla, tickets
from app.services.crm import customers
from app.services.platform import validation
from app.services.platform.actor import current_user_obj
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids, scoped_get
from app.views.base import posted_change
from app.views.display import TICKET_CATEGORY_LABELS, TICKET_PRIORITY_LABELS, TICKET_STATUS_LABELS

PAGE_SIZE = 50
TEAM_LABELS = {
    TicketTeam.FRONT_OFFICE: _l("Front office"),
    TicketTeam.BILLING: _l("Billing"),
    TicketTeam.NETWORK: _l("Network"),
    TicketTeam.FIELD_SERVICE: _l("Field service"),
    TicketTeam.SUPERVISORS: _l("Supervisors"),
}
WEEKDAY_LABELS = {
    1: _l("Monday"),
    2: _l("Tuesday"),
    3: _l("Wednesday"),
    4: _l("Thursday"),
    5: _l("Friday"),
    6: _l("Saturday"),
    7: _l("Sunday"),
}
LABELS = {
    "category_labels": TICKET_CATEGORY_LABELS,
    "priority_labels": TICKET_PRIORITY_LABELS,
    "ticket_status_labels": TICKET_STATUS_LABELS,
    "team_labels": TEAM_LABELS,
}


def _ticket(pk: int):
    try:
        return tickets.get(pk, current_region_ids())
    except NotFound:
        abort(404)


def _choice(value: str, labels) -> str | None:
    """A filter's value when it is one of the labels' codes, else none."""
    return value if value in labels else None


def _cursor(name: str) -> int | None:
    value = request.args.get(name) or None
    if value is None:
        return None
    try:
        return validation.check_whole_between(name, value, 1, LARGEST_INTEGER)
    except DomainError as exc:
        abort(400, description=exc.message)


class TicketView(BaseView):
    """The tickets of the user's regions, and one ticket's page with its decisions."""

    route_base = "/tickets"
    class_permission_name = TICKETS
    method_permission_name = {
        "list": "read",
        "show": "read",
        "new": "write",
        "update": "write",
        "transition": "write",
        "assign": "write",
        "comment": "write",
    }
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    def _can_write(self) -> bool:
        return self.appbuilder.sm.has_access("can_write", TICKETS)

    @expose("/")
    @has_access
    def list(self):
        args = request.args
        chosen = {
            "status": _choice(args.get("status", ""), TICKET_STATUS_LABELS),
            "priority": _choice(args.get("priority", ""), TICKET_PRIORITY_LABELS),
            "category": _choice(args.get("category", ""), TICKET_CATEGORY_LABELS),
            "team": _choice(args.get("team", ""), TEAM_LABELS),
        }
        breached = {"yes": True, "no": False}.get(args.get("breached", ""))
        mine = args.get("mine") == "1"
        user = current_user_obj()
        page = tickets.queue(
            current_region_ids(),
            before=_cursor("before"),
            after=_cursor("after"),
            size=PAGE_SIZE,
            breached=breached,
            assignee_id=user.id if mine and user is not None else None,
            **chosen,
        )
        filters = {name: value for name, value in chosen.items() if value}
        if breached is not None:
            filters["breached"] = args["breached"]
        if mine:
            filters["mine"] = "1"
        return self.render_template(
            "ticket_list.html",
            page=page,
            filters=filters,
            can_write=self._can_write(),
            title=_l("Tickets"),
            **LABELS,
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        ticket = _ticket(pk)
        now = utcnow()
        return self.render_template(
            "ticket.html",
            ticket=ticket,
            allowed=tickets.allowed_moves(ticket),
            staff=tickets.staff_of(ticket.customer.region_id),
            lines=tickets.customer_lines(ticket.customer),
            remaining=sla.remaining(ticket, now) // 60,
            can_write=self._can_write(),
            can_see_customer=self.appbuilder.sm.has_access("can_read", CUSTOMERS),
            title=f"{ticket.number} · {ticket.subject}",
            **LABELS,
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        try:
            customer = customers.resolve_key(
                Customer,
                validation.check_whole_between(
                    "customer", request.args.get("customer", ""), 1, LARGEST_INTEGER
                ),
                current_region_ids(),
                "customer",
            )
        except DomainError:
            abort(404)
        form = request.form
        error = None
        if request.method == "POST":
            if not DynamicForm().validate_on_submit():
                abort(400)
            try:
                ticket = tickets.create(
                    customer.id,
                    current_region_ids(),
                    category=form.get("category", ""),
                    priority=form.get("priority", ""),
                    subject=form.get("subject", ""),
                    description=form.get("description", ""),
                    service=form.get("service") or None,
                )
            except DomainError as exc:
                error = exc.message
            else:
                flash(str(_l("Ticket %(number)s opened", number=ticket.number)), "success")
                return redirect(url_for("TicketView.show", pk=ticket.id))
        return self.render_template(
            "ticket_new.html",
            customer=customer,
            lines=tickets.customer_lines(customer),
            form=form,
            error=error,
            title=_l("New ticket"),
            **LABELS,
        ), (200 if error is None else 400)

    def _change(self, pk, change, done):
        ticket = _ticket(pk)
        return posted_change(
            lambda: change(ticket, request.form),
            lambda _made: done,
            url_for("TicketView.show", pk=ticket.id),
        )

    @expose("/<int:pk>/update", methods=["POST"])
    @has_access
    def update(self, pk):
        return self._change(
            pk,
            lambda ticket, form: tickets.update(
                ticket,
                {name: form.get(name, "") for name in ("category", "priority") if name in form},
            ),
            _l("Ticket saved"),
        )

    @expose("/<int:pk>/transition", methods=["POST"])
    @has_access
    def transition(self, pk):
        return self._change(
            pk,
            lambda ticket, form: tickets.transition(
                ticket, form.get("to", ""), form.get("comment", ""), form.get("public") == "1"
            ),
            _l("Ticket moved"),
        )

    @expose("/<int:pk>/assign", methods=["POST"])
    @has_access
    def assign(self, pk):
        return self._change(
            pk,
            lambda ticket, form: tickets.assign(ticket, form.get("team"), form.get("assignee")),
            _l("Ticket assigned"),
        )

    @expose("/<int:pk>/comment", methods=["POST"])
    @has_access
    def comment(self, pk):
        return self._change(
            pk,
            lambda ticket, form: tickets.add_comment(
                ticket, form.get("body", ""), form.get("public") == "1"
            ),
            _l("Comment added"),
        )


class SlaTargetView(BaseView):
    """The SLA targets of every category and priority, and the regions' business hours:
    Supervisors'."""

    route_base = "/care/sla"
    class_permission_name = SLA_TARGETS
    method_permission_name = {"show": "read", "save": "write", "hours": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "show"

    @expose("/")
    @has_access
    def show(self):
        return self.render_template(
            "ticket_sla.html",
            targets=sla.targets(),
            regions=business_hours.all_hours(),
            weekday_labels=WEEKDAY_LABELS,
            can_write=self.appbuilder.sm.has_access("can_write", SLA_TARGETS),
            title=_l("SLA targets"),
            **LABELS,
        )

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        form = request.form
        return posted_change(
            lambda: sla.set_targets(
                {
                    (category, priority): form.get(f"{category}.{priority}", "")
                    for category in TicketCategory
                    for priority in TicketPriority
                }
            ),
            lambda changed: _l("Targets changed: %(count)s", count=changed),
            url_for("SlaTargetView.show"),
        )

    @expose("/hours/<int:region_id>", methods=["POST"])
    @has_access
    def hours(self, region_id):
        try:
            region = scoped_get(Region, region_id, current_region_ids(), "region", _l("not found"))
        except NotFound:
            abort(404)
        form = request.form
        return posted_change(
            lambda: business_hours.set_hours(
                region, form.getlist("weekdays"), form.get("opens", ""), form.get("closes", "")
            ),
            lambda _made: _l("Business hours of %(region)s saved", region=region.name),
            url_for("SlaTargetView.show"),
        )


def register(appbuilder) -> None:
    appbuilder.add_view(
        TicketView,
        TICKETS,
        label=_l("Tickets"),
        icon="fa-life-ring",
        category=CARE_MENU,
        category_label=_l("Care"),
        category_icon="fa-headset",
    )
    appbuilder.add_view(
        SlaTargetView,
        SLA_TARGETS,
        label=_l("SLA targets"),
        icon="fa-stopwatch",
        category=CARE_MENU,
    )
