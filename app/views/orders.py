"""Order screens: a new order, its lines, and the decisions that move it along. The workflow
lives in app/services/orders/orders.py; these pages only collect input and show the outcome."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired

from app.models.orders import Order
from app.security import CRM_MENU, ORDERS, PROVISIONING, VIEW_METHOD_PERMISSIONS
from app.services.orders import orders
from app.services.orders.moves import MOVES
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import ScopedModelView
from app.views.display import (
    LINE_ACTION_LABELS,
    ORDER_STATUS_LABELS,
    SOURCE_LABELS,
    TERMINATION_LABELS,
    label_for,
    local_datetime,
)
from app.views.fields import choices, text_field

LABELS = {
    "ref": _l("Order"),
    "account": _l("Account"),
    "status": _l("Status"),
    "source": _l("Source"),
    "note": _l("Note"),
    "reason": _l("Reason"),
    "created_by": _l("Created by"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
    "account.ref": _l("Account"),
}


class NewOrderForm(DynamicForm):
    account_ref = StringField(
        _l("Account"),
        description=_l("Reference of the billing account"),
        validators=[InputRequired()],
        widget=BS3TextFieldWidget(),
    )
    note = text_field(_l("Note"))


class LineForm(DynamicForm):
    action = SelectField(_l("Action"), choices=choices(LINE_ACTION_LABELS), widget=Select2Widget())
    product_code = text_field(_l("Product"), _l("New line or product change: the product code"))
    service_id = text_field(
        _l("Number"),
        _l("Change, suspension, resumption, termination: the line's number"),
    )
    number = text_field(
        _l("Wanted number"),
        _l("New line: a free number the customer picked (else the next free one)"),
    )
    reason = SelectField(
        _l("Termination reason"),
        choices=choices(TERMINATION_LABELS, blank=True),
        widget=Select2Widget(),
        validate_choice=False,
    )
    account_ref = text_field(
        _l("Billed account"),
        _l("Bill to this order's account: the account whose charges move to it"),
    )


class OrderView(ScopedModelView):
    datamodel = SQLAInterface(Order)
    class_permission_name = ORDERS
    method_permission_name = {
        **VIEW_METHOD_PERMISSIONS,
        "new": "write",
        "add_line": "write",
        "remove_line": "write",
        "decide": "write",
    }
    base_permissions = ["can_read", "can_write"]
    list_title = _l("Orders")
    show_title = _l("Order")
    label_columns = LABELS
    formatters_columns = {
        "status": label_for(ORDER_STATUS_LABELS),
        "source": label_for(SOURCE_LABELS),
        "created_at": local_datetime,
    }
    list_columns = ["ref", "account.ref", "status", "source", "created_by", "created_at"]
    search_columns = ["ref", "status", "source", "created_by"]
    base_order = ("id", "desc")
    list_template = "order_list.html"
    # orders are made and moved on by their own pages below, never edited or deleted
    include_route_methods = {"list", "show", "new", "add_line", "remove_line", "decide"}

    def _order(self, pk) -> Order:
        try:
            return orders.get(int(pk), current_region_ids())
        except (NotFound, ValueError):
            abort(404)

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        form = NewOrderForm()
        if request.method == "GET":
            form.account_ref.data = request.args.get("account", "")
        elif form.validate_on_submit():
            try:
                order = orders.create(
                    form.account_ref.data, current_region_ids(), note=form.note.data
                )
            except DomainError as exc:
                form.account_ref.errors = [exc.reason]
            else:
                return redirect(url_for("OrderView.show", pk=order.id))
        return self.render_template("order_new.html", form=form, title=_l("New order"))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        order = self._order(pk)
        return self.render_template(
            "order.html",
            order=order,
            line_form=LineForm(),
            title=order.ref,
            can_write=self.appbuilder.sm.has_access("can_write", ORDERS),
            can_retry=self.appbuilder.sm.has_access("can_write", PROVISIONING),
            decisions={
                name: needs_reason
                for name, (_handler, needs_reason, target) in orders.DECISIONS.items()
                if target in MOVES[order.status]
            },
        )

    @expose("/line/<pk>", methods=["POST"])
    @has_access
    def add_line(self, pk):
        order = self._order(pk)
        form = LineForm()
        if form.validate_on_submit():
            try:
                orders.add_line(order, **{f: form[f].data for f in orders.LINE_FIELDS})
            except DomainError as exc:
                flash(exc.message, "danger")
        return redirect(url_for("OrderView.show", pk=order.id))

    @expose("/line/<pk>/<int:line_id>/remove", methods=["POST"])
    @has_access
    def remove_line(self, pk, line_id):
        order = self._order(pk)
        if DynamicForm().validate_on_submit():
            try:
                orders.remove_line(order, line_id)
            except DomainError as exc:
                flash(exc.message, "danger")
        return redirect(url_for("OrderView.show", pk=order.id))

    @expose("/decide/<pk>/<decision>", methods=["POST"])
    @has_access
    def decide(self, pk, decision):
        order = self._order(pk)
        if decision not in orders.DECISIONS:
            abort(404)
        if not DynamicForm().validate_on_submit():
            abort(400)
        handler, needs_reason, _target = orders.DECISIONS[decision]
        try:
            refusals = (
                handler(order, request.form.get("reason", "")) if needs_reason else handler(order)
            )
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            if refusals:
                flash(str(_l("Order rejected: %(reasons)s", reasons="; ".join(refusals))), "danger")
            else:
                flash(
                    str(_l("Order %(ref)s is %(status)s", ref=order.ref, status=_status(order))),
                    "success",
                )
        return redirect(url_for("OrderView.show", pk=order.id))


def _status(order: Order) -> str:
    return str(ORDER_STATUS_LABELS.get(order.status, order.status))


def register(appbuilder) -> None:
    appbuilder.add_view(
        OrderView, ORDERS, label=_l("Orders"), icon="fa-shopping-cart", category=CRM_MENU
    )
