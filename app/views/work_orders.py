"""Repair bureau screens: the work orders of the user's regions, a work order's page with
its moves, a Technician's own queue (one column, for a phone), and planned works. The rules
live in app/services/care/work_orders.py and planned_works.py; these pages collect input
and show the outcome."""

from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l

from app.models.types import utcnow
from app.security import CARE_MENU, MY_WORK_ORDERS, PLANNED_WORKS, TICKETS, WORK_ORDERS
from app.services.care import planned_works, tickets, work_orders
from app.services.crm import regions as crm_regions
from app.services.platform.actor import current_user_obj
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import posted_change
from app.views.display import WORK_ORDER_RESULT_LABELS, WORK_ORDER_STATUS_LABELS


def _work_order(pk: int):
    try:
        return work_orders.get(pk, current_region_ids())
    except NotFound:
        abort(404)


def _split_by_day(queue):
    """(today's visits, the later and unscheduled ones), by each region's own day."""
    now = utcnow()
    today, later = [], []
    for work_order in queue:
        start = work_order.window_start
        zone = ZoneInfo(work_order.region.timezone)
        local_today = now.astimezone(zone).date()
        is_today = start is not None and start.astimezone(zone).date() <= local_today
        (today if is_today else later).append(work_order)
    return today, later


class WorkOrderView(BaseView):
    """The work orders of the user's regions and one work order's page."""

    route_base = "/care/work-orders"
    class_permission_name = WORK_ORDERS
    method_permission_name = {
        "list": "read",
        "show": "read",
        "new": "write",
        "assign": "write",
        "schedule": "write",
        "line": "write",
        "start": "write",
        "finish": "write",
        "cancel": "write",
    }
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    def _can_write(self) -> bool:
        return self.appbuilder.sm.has_access("can_write", WORK_ORDERS)

    @expose("/")
    @has_access
    def list(self):
        status = request.args.get("status")
        return self.render_template(
            "work_order_list.html",
            rows=work_orders.listing(current_region_ids(), kind="repair",
                                     status=status if status in WORK_ORDER_STATUS_LABELS else None),
            title=_l("Work orders"),
        )  # fmt: skip

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        work_order = _work_order(pk)
        planned = work_order.kind == "planned"
        return self.render_template(
            "work_order.html",
            wo=work_order,
            window=work_orders.local_window(work_order),
            allowed=work_orders.allowed_moves(work_order),
            technicians=work_orders.technicians_of(work_order.region_id),
            results=WORK_ORDER_RESULT_LABELS,
            affected=planned_works.affected_lines(work_order) if planned else [],
            linked=planned_works.linked_tickets(work_order) if planned else [],
            can_write=self._can_write(),
            can_see_tickets=self.appbuilder.sm.has_access("can_read", TICKETS),
            title=f"{work_order.number} · {work_order.title}",
        )

    @expose("/new/<int:ticket_id>", methods=["POST"])
    @has_access
    def new(self, ticket_id):
        try:
            ticket = tickets.get(ticket_id, current_region_ids())
        except NotFound:
            abort(404)
        if not DynamicForm().validate_on_submit():
            abort(400)
        try:
            work_order = work_orders.create_repair(
                ticket, equipment=request.form.get("equipment", ""),
                port=request.form.get("port", ""),
            )  # fmt: skip
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("TicketView.show", pk=ticket.id))
        flash(str(_l("Work order %(number)s raised", number=work_order.number)), "success")
        return redirect(url_for("WorkOrderView.show", pk=work_order.id))

    def _change(self, pk, change, done):
        work_order = _work_order(pk)
        back = request.form.get("back") == "mine"
        return posted_change(
            lambda: change(work_order, request.form),
            lambda _made: done,
            url_for("MyWorkOrdersView.index") if back else url_for("WorkOrderView.show", pk=pk),
        )

    @expose("/<int:pk>/assign", methods=["POST"])
    @has_access
    def assign(self, pk):
        return self._change(pk, lambda wo, form: work_orders.assign(wo, form.get("assignee")),
                            _l("Work order assigned"))  # fmt: skip

    @expose("/<int:pk>/schedule", methods=["POST"])
    @has_access
    def schedule(self, pk):
        return self._change(
            pk,
            lambda wo, form: work_orders.schedule(
                wo, form.get("day"), form.get("starts"), form.get("ends"),
                last_day=form.get("last_day") or None,
            ),
            _l("Work order scheduled"),
        )  # fmt: skip

    @expose("/<int:pk>/line", methods=["POST"])
    @has_access
    def line(self, pk):
        return self._change(
            pk,
            lambda wo, form: work_orders.update_line(
                wo, equipment=form.get("equipment"), port=form.get("port"),
                address=form.get("address"),
            ),
            _l("Work order saved"),
        )  # fmt: skip

    @expose("/<int:pk>/start", methods=["POST"])
    @has_access
    def start(self, pk):
        return self._change(pk, lambda wo, form: work_orders.start(wo), _l("Work started"))

    @expose("/<int:pk>/finish", methods=["POST"])
    @has_access
    def finish(self, pk):
        return self._change(
            pk,
            lambda wo, form: work_orders.finish(
                wo, form.get("result", ""), form.get("minutes", ""), form.get("notes", "")
            ),
            _l("Work order done"),
        )

    @expose("/<int:pk>/cancel", methods=["POST"])
    @has_access
    def cancel(self, pk):
        return self._change(pk, lambda wo, form: work_orders.cancel(wo, form.get("note")),
                            _l("Work order cancelled"))  # fmt: skip


class MyWorkOrdersView(BaseView):
    """A Technician's own queue: today's visits, then the later and unscheduled ones."""

    route_base = "/care/my-work-orders"
    class_permission_name = WORK_ORDERS
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        today, later = _split_by_day(work_orders.queue_of(current_user_obj()))
        return self.render_template(
            "work_order_queue.html",
            today=today,
            later=later,
            results=WORK_ORDER_RESULT_LABELS,
            title=_l("My work orders"),
        )


class PlannedWorkView(BaseView):
    """Planned works of the user's regions, and a new one."""

    route_base = "/care/planned-works"
    class_permission_name = PLANNED_WORKS
    method_permission_name = {"list": "read", "new": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        return self.render_template(
            "planned_work_list.html",
            rows=work_orders.listing(current_region_ids(), kind="planned"),
            can_write=self.appbuilder.sm.has_access("can_write", PLANNED_WORKS),
            title=_l("Planned works"),
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        regions = crm_regions.of(current_region_ids())
        form, error = request.form, None
        if request.method == "POST":
            if not DynamicForm().validate_on_submit():
                abort(400)
            try:
                work = work_orders.create_planned(
                    form.get("region", ""), current_region_ids(), title=form.get("title", ""),
                    city=form.get("city", ""), postcode=form.get("postcode", ""),
                    lines=form.get("lines", ""),
                )  # fmt: skip
            except DomainError as exc:
                error = exc.message
            else:
                flash(str(_l("Work order %(number)s raised", number=work.number)), "success")
                return redirect(url_for("WorkOrderView.show", pk=work.id))
        return self.render_template(
            "planned_work_new.html", regions=regions, form=form, error=error,
            title=_l("New planned work"),
        ), (200 if error is None else 400)  # fmt: skip


def register(appbuilder) -> None:
    appbuilder.add_view(WorkOrderView, WORK_ORDERS, label=_l("Work orders"), icon="fa-wrench",
                        category=CARE_MENU, category_label=_l("Care"),
                        category_icon="fa-headset")  # fmt: skip
    appbuilder.add_view(MyWorkOrdersView, MY_WORK_ORDERS, label=_l("My work orders"),
                        icon="fa-truck", category=CARE_MENU)  # fmt: skip
    appbuilder.add_view(PlannedWorkView, PLANNED_WORKS, label=_l("Planned works"),
                        icon="fa-calendar", category=CARE_MENU)  # fmt: skip

    @current_app.context_processor
    def ticket_work_orders():
        # the ticket page's work orders and planned works, without a hook in its view
        return {
            "work_orders_of": work_orders.of_ticket,
            "planned_works_covering": planned_works.covering,
        }
