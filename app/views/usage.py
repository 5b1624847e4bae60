"""Usage screens: the records of the user's regions with what rating made of them."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.usage import UsageRecord
from app.security import CRM_MENU, USAGE
from app.views.base import ScopedModelView
from app.views.display import (
    CHARGE_STATUS_LABELS,
    USAGE_TYPE_LABELS,
    label_for,
    local_amount,
    local_datetime,
)


class UsageView(ScopedModelView):
    datamodel = SQLAInterface(UsageRecord)
    class_permission_name = USAGE
    base_permissions = ["can_read"]
    include_route_methods = {"list", "show"}
    list_title = show_title = _l("Usage")
    label_columns = {
        "record_id": _l("Record"),
        "service.service_id": _l("Number"),
        "usage_type": _l("Usage type"),
        "started_at": _l("Started"),
        "destination": _l("Destination"),
        "quantity": _l("Quantity"),
        "charge.billed_quantity": _l("Billed"),
        "charge.covered_quantity": _l("Covered by allowances"),
        "charge.charge": _l("Charge"),
        "charge.currency": _l("Currency"),
        "charge.status": _l("Rating"),
        "charge.reason": _l("Reason"),
        "charge.unrecovered": _l("Unrecovered"),
        "batch_id": _l("Import batch"),
    }
    formatters_columns = {
        "usage_type": label_for(USAGE_TYPE_LABELS),
        "started_at": local_datetime,
        "charge.charge": local_amount,
        "charge.unrecovered": local_amount,
        "charge.status": label_for(CHARGE_STATUS_LABELS),
    }
    list_columns = [
        "record_id",
        "service.service_id",
        "usage_type",
        "started_at",
        "destination",
        "quantity",
        "charge.billed_quantity",
        "charge.charge",
        "charge.status",
    ]
    show_columns = [
        *list_columns,
        "charge.covered_quantity",
        "charge.currency",
        "charge.unrecovered",
        "charge.reason",
        "batch_id",
    ]
    # indexed columns only: the table holds millions of rows
    search_columns = ["record_id"]
    base_order = ("id", "desc")


def register(appbuilder) -> None:
    appbuilder.add_view(UsageView, USAGE, label=_l("Usage"), icon="fa-signal", category=CRM_MENU)
