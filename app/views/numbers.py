"""Number pool screens: ranges per region, and every number with its status."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.catalog import LineType
from app.models.numbers import NumberRange, PhoneNumber
from app.security import CRM_MENU, NUMBERS, RegionScope
from app.services.orders import number_pool
from app.services.platform.scoping import current_region_ids
from app.views.base import AbonentModelView
from app.views.display import LINE_LABELS, local_datetime
from app.views.fields import select_field

NUMBER_STATUS_LABELS = {
    "free": _l("Free"),
    "reserved": _l("Reserved"),
    "assigned": _l("Assigned"),
    "quarantined": _l("Quarantined"),
}
LABELS = {
    "region": _l("Region"),
    "line_type": _l("Line type"),
    "first": _l("First number"),
    "last": _l("Last number"),
    "quarantine_days": _l("Quarantine after termination (days)"),
    "range": _l("Range"),
    "number": _l("Number"),
    "status": _l("Status"),
    "reserved_at": _l("Reserved at"),
    "quarantined_until": _l("Quarantined until"),
}


class NumberRangeView(AbonentModelView):
    datamodel = SQLAInterface(NumberRange)
    class_permission_name = NUMBERS
    list_title = show_title = _l("Number ranges")
    add_title = _l("Add number range")
    label_columns = LABELS
    formatters_columns = {"line_type": lambda v: LINE_LABELS.get(v, v)}
    list_columns = ["region", "line_type", "first", "last", "quarantine_days"]
    show_columns = list_columns
    add_columns = list_columns
    edit_columns = ["quarantine_days"]
    search_columns = ["region", "line_type", "first"]
    search_form_query_rel_fields = {"region": [["id", RegionScope, None]]}
    base_filters = [["id", RegionScope, None]]
    add_form_query_rel_fields = {"region": [["id", RegionScope, None]]}
    add_form_extra_fields = {
        "line_type": select_field(_l("Line type"), list(LineType), LINE_LABELS)
    }

    def apply_rules(self, item):
        number_pool.prepare_range(item, current_region_ids())

    def post_add(self, item):
        number_pool.fill_range(item)


class PhoneNumberView(AbonentModelView):
    datamodel = SQLAInterface(PhoneNumber)
    class_permission_name = NUMBERS
    base_permissions = ["can_read"]
    list_title = show_title = _l("Numbers")
    label_columns = LABELS
    formatters_columns = {
        "status": lambda v: NUMBER_STATUS_LABELS.get(v, v),
        "reserved_at": local_datetime,
    }
    list_columns = ["number", "status", "range", "reserved_at", "quarantined_until"]
    show_columns = list_columns
    search_columns = ["number", "status"]
    base_filters = [["id", RegionScope, None]]
    base_order = ("number", "asc")
    # numbers change only through orders and provisioning
    include_route_methods = {"list", "show"}


def register(appbuilder) -> None:
    appbuilder.add_view(
        NumberRangeView,
        "NumberRanges",
        label=_l("Number ranges"),
        icon="fa-list-ol",
        category=CRM_MENU,
    )
    appbuilder.add_view(
        PhoneNumberView, "PhoneNumbers", label=_l("Numbers"), icon="fa-hashtag", category=CRM_MENU
    )
