"""Provisioning screens: the tasks that carry each order line to the network, and retrying
them. The workflow lives in app/services/orders/provisioning.py."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.orders import ProvisioningTask
from app.security import CRM_MENU, PROVISIONING, VIEW_METHOD_PERMISSIONS
from app.services.orders import orders, provisioning
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import ScopedModelView
from app.views.display import TASK_ACTION_LABELS, TASK_STATUS_LABELS, label_for, local_datetime

LABELS = {
    "id": _l("Task"),
    "line": _l("Order line"),
    "action": _l("Action"),
    "service": _l("Number"),
    "service.service_id": _l("Number"),
    "status": _l("Status"),
    "attempts": _l("Attempts"),
    "next_attempt_at": _l("Next attempt"),
    "last_error": _l("Last error"),
    "adapter": _l("Adapter"),
    "response": _l("Network answer"),
    "idempotency_key": _l("Idempotency key"),
    "created_at": _l("Created"),
    "completed_at": _l("Completed"),
}


class ProvisioningTaskView(ScopedModelView):
    datamodel = SQLAInterface(ProvisioningTask)
    class_permission_name = PROVISIONING
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "retry": "write", "retry_order": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Provisioning tasks")
    label_columns = LABELS
    formatters_columns = {
        "status": label_for(TASK_STATUS_LABELS),
        "action": label_for(TASK_ACTION_LABELS),
        "next_attempt_at": local_datetime,
        "completed_at": local_datetime,
        "created_at": local_datetime,
    }
    list_columns = [
        "id",
        "action",
        "service.service_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    show_columns = [
        "line",
        "action",
        "service",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "adapter",
        "response",
        "idempotency_key",
        "created_at",
        "completed_at",
    ]
    search_columns = ["status", "action", "idempotency_key"]
    base_order = ("id", "desc")
    include_route_methods = {"list", "show", "action", "action_post", "retry_order"}

    @action(
        "retry",
        _l("Retry now"),
        _l("Send the selected tasks to the network again?"),
        "fa-refresh",
    )
    def retry(self, items):
        self._retried(provisioning.retry, items if isinstance(items, list) else [items])
        return redirect(request.referrer or url_for("ProvisioningTaskView.list"))

    @expose("/retry_order/<pk>", methods=["POST"])
    @has_access
    def retry_order(self, pk):
        """Retry provisioning from a failed order's page."""
        try:
            order = orders.get(int(pk), current_region_ids())
        except (NotFound, ValueError):
            abort(404)
        if not DynamicForm().validate_on_submit():
            abort(400)
        self._retried(orders.retry, order)
        return redirect(url_for("OrderView.show", pk=order.id))

    @staticmethod
    def _retried(handler, what) -> None:
        try:
            retried = handler(what)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(str(_l("Tasks to send again: %(n)s", n=retried)), "success")


def register(appbuilder) -> None:
    appbuilder.add_view(
        ProvisioningTaskView,
        PROVISIONING,
        label=_l("Provisioning tasks"),
        icon="fa-server",
        category=CRM_MENU,
    )
