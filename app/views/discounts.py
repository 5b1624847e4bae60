"""Discount screens: price reductions on recurring fees or on usage, which staff give to
billing accounts. The rules live in app/services/catalog/products.py."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.catalog import Discount, DiscountKind, DiscountTarget
from app.security import CATALOG, CATALOG_MENU
from app.services.catalog import products
from app.views.base import AbonentModelView
from app.views.display import label_for, local_amount
from app.views.fields import ExactDecimalField, select_field

KIND_LABELS = {"percentage": _l("Percentage"), "fixed": _l("Fixed amount")}
TARGET_LABELS = {"recurring": _l("Recurring fees"), "usage": _l("Usage")}


class DiscountView(AbonentModelView):
    datamodel = SQLAInterface(Discount)
    class_permission_name = CATALOG
    list_title = show_title = _l("Discounts")
    add_title = _l("Add discount")
    edit_title = _l("Edit discount")
    label_columns = {
        "code": _l("Code"),
        "name": _l("Name"),
        "kind": _l("Kind"),
        "value": _l("Value"),
        "currency": _l("Currency"),
        "applies_to": _l("Applies to"),
        "cycles": _l("Billing cycles (empty: open-ended)"),
    }
    formatters_columns = {
        "kind": label_for(KIND_LABELS),
        "value": local_amount,
        "applies_to": label_for(TARGET_LABELS),
        "cycles": lambda v: v or "—",
    }
    list_columns = ["code", "name", "kind", "value", "currency", "applies_to", "cycles"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["code", "name", "kind", "applies_to"]
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": select_field(_l("Kind"), list(DiscountKind), KIND_LABELS),
        "applies_to": select_field(_l("Applies to"), list(DiscountTarget), TARGET_LABELS),
        "value": ExactDecimalField(_l("Value")),
    }
    base_order = ("code", "asc")

    def apply_rules(self, item):
        products.prepare_discount(item)


def register(appbuilder) -> None:
    appbuilder.add_view(
        DiscountView, "Discounts", label=_l("Discounts"), icon="fa-percent", category=CATALOG_MENU
    )
