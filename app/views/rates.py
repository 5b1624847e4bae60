"""Rate screens: a rate plan's prices per usage type, destination prefix, band and interval.
The rules live in app/services/catalog/rate_edits.py (the same ones as the `rates` import)."""

from flask import request
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from app.models.usage import Band, Rate, UsageType
from app.security import CATALOG, CATALOG_MENU
from app.services.catalog import rate_edits, rates
from app.views.base import AbonentModelView
from app.views.display import BAND_LABELS, USAGE_TYPE_LABELS, label_for, local_amount
from app.views.fields import ExactDecimalField, select_field, text_field

LABELS = {
    "plan": _l("Rate plan"),
    "plan_code": _l("Rate plan"),
    "currency": _l("Currency"),
    "usage_type": _l("Usage type"),
    "prefix": _l("Prefix"),
    "destination": _l("Destination"),
    "band": _l("Band"),
    "from_units": _l("From (units)"),
    "price": _l("Price"),
    "per": _l("Per (units)"),
    "increment": _l("Increment (units)"),
    "connect_fee": _l("Connect fee"),
    "bundle": _l("Covered by allowances"),
}
DESCRIPTIONS = {
    "prefix": _l("Leading digits of the called number, or * for any destination"),
    "from_units": _l("Where this interval starts: seconds, messages or bytes from the start"),
    "price": _l("Price of 'per' units, at most 6 decimals"),
    "increment": _l("Usage is billed in steps of this many units"),
}


def local_price(value) -> str:
    """A rate's price in the user's locale with all its (up to 6) decimals."""
    return format_decimal(value, format="#,##0.00####") if value is not None else "—"


class RateView(AbonentModelView):
    datamodel = SQLAInterface(Rate)
    class_permission_name = CATALOG
    list_title = _l("Rates")
    show_title = _l("Rate")
    add_title = _l("Add rate")
    edit_title = _l("Edit rate")
    label_columns = LABELS
    description_columns = DESCRIPTIONS
    formatters_columns = {
        "usage_type": label_for(USAGE_TYPE_LABELS),
        "band": label_for(BAND_LABELS),
        "price": local_price,
        "connect_fee": local_amount,
        "bundle": lambda value: _l("Yes") if value else _l("No"),
    }
    list_columns = [field for field in rates.FIELDS if field != "currency"]
    show_columns = list(rates.FIELDS)
    search_columns = ["plan", "usage_type", "prefix", "band"]
    rule_fields = {"plan": "plan_code"}
    add_columns = edit_columns = ["plan_code", *show_columns[1:]]
    add_form_extra_fields = edit_form_extra_fields = {
        "plan_code": text_field(_l("Rate plan"), _l("Code of the rate plan")),
        "usage_type": select_field(_l("Usage type"), list(UsageType), USAGE_TYPE_LABELS),
        "band": select_field(_l("Band"), list(Band), BAND_LABELS),
        "price": ExactDecimalField(_l("Price"), description=DESCRIPTIONS["price"]),
        "connect_fee": ExactDecimalField(_l("Connect fee")),
        "bundle": BooleanField(_l("Covered by allowances")),
    }
    base_order = ("prefix", "asc")

    def prefill_form(self, form, pk):
        form.plan_code.data = self.datamodel.get(pk).plan.code

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        """Adding from a rate plan's page: its code is filled in."""
        if request.method == "GET" and "plan" in (exclude_cols or ()) and not form.plan_code.data:
            plan = self.datamodel.get_related_obj("plan", self._filters.get_filter_value("plan"))
            if plan is not None:
                form.plan_code.data = plan.code
        return super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def apply_rules(self, item):
        rate_edits.prepare_rate(item, getattr(item, "plan_code", None))

    def pre_delete(self, item):
        rate_edits.check_rate_delete(item)


def register(appbuilder) -> None:
    appbuilder.add_view(
        RateView, "Rates", label=_l("Rates"), icon="fa-money-bill", category=CATALOG_MENU
    )
