"""Catalog screens: products with their names per language, and rate plans."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.catalog import (
    LineType,
    Product,
    ProductName,
    RatePlan,
)
from app.models.crm import CREDIT_CLASS_CODES, LANGUAGE_CODES, PaymentMode
from app.security import CATALOG, CATALOG_MENU
from app.services.catalog import products
from app.views.base import AbonentModelView
from app.views.display import (
    ENUM_FORMATTERS,
    LANGUAGE_NAMES,
    LINE_LABELS,
    MODE_LABELS,
    local_amount,
)
from app.views.fields import ExactDecimalField, select_field, text_field
from app.views.rates import RateView

LABELS = {
    "code": _l("Code"),
    "name": _l("Name"),
    "line_type": _l("Line type"),
    "payment_mode": _l("Payment mode"),
    "currency": _l("Currency"),
    "monthly_fee": _l("Monthly fee"),
    "activation_fee": _l("Activation fee"),
    "rate_plan": _l("Rate plan"),
    "voice_min": _l("Voice minutes per cycle"),
    "sms": _l("SMS per cycle"),
    "data_mb": _l("Data MB per cycle"),
    "min_credit_class": _l("Worst credit class allowed"),
    "needs_rates": _l("Waiting for rates"),
    "language": _l("Language"),
    "product": _l("Product"),
    "product_code": _l("Product"),
}
FORMATTERS = {
    **ENUM_FORMATTERS,
    "monthly_fee": local_amount,
    "activation_fee": local_amount,
    "min_credit_class": lambda v: v or "—",
    "line_type": lambda v: LINE_LABELS.get(v, v),
}


class CatalogView(AbonentModelView):
    class_permission_name = CATALOG
    label_columns = LABELS
    formatters_columns = FORMATTERS


class ProductNameView(CatalogView):
    datamodel = SQLAInterface(ProductName)
    list_title = show_title = _l("Product names")
    add_title = _l("Add product name")
    edit_title = _l("Edit product name")
    list_columns = ["product", "language", "name"]
    show_columns = list_columns
    add_columns = edit_columns = ["product_code", "language", "name"]
    add_form_extra_fields = edit_form_extra_fields = {
        "product_code": text_field(_l("Product"), _l("Code of the product")),
        "language": select_field(_l("Language"), LANGUAGE_CODES, LANGUAGE_NAMES),
    }
    rule_fields = {"product": "product_code"}

    def prefill_form(self, form, pk):
        form.product_code.data = self.datamodel.get(pk).product.code

    def apply_rules(self, item):
        products.prepare_product_name(item, getattr(item, "product_code", None))


class ProductView(CatalogView):
    datamodel = SQLAInterface(Product)
    related_views = [ProductNameView]
    list_title = _l("Products")
    show_title = _l("Product")
    add_title = _l("Add product")
    edit_title = _l("Edit product")
    list_columns = [
        "code",
        "name",
        "line_type",
        "payment_mode",
        "currency",
        "monthly_fee",
        "rate_plan",
    ]
    show_columns = list(products.PRODUCT_COLUMNS)
    add_columns = edit_columns = show_columns
    search_columns = ["code", "name", "line_type", "payment_mode", "currency", "rate_plan"]
    add_form_extra_fields = edit_form_extra_fields = {
        "line_type": select_field(_l("Line type"), list(LineType), LINE_LABELS),
        "payment_mode": select_field(_l("Payment mode"), list(PaymentMode), MODE_LABELS),
        "monthly_fee": ExactDecimalField(_l("Monthly fee")),
        "activation_fee": ExactDecimalField(_l("Activation fee")),
        "min_credit_class": select_field(
            _l("Worst credit class allowed"), CREDIT_CLASS_CODES, required=False
        ),
    }
    base_order = ("code", "asc")

    def apply_rules(self, item):
        products.prepare_product(item, None)

    def pre_delete(self, item):
        products.check_product_delete(item)


class RatePlanView(CatalogView):
    datamodel = SQLAInterface(RatePlan)
    related_views = [RateView]
    list_title = show_title = _l("Rate plans")
    add_title = _l("Add rate plan")
    edit_title = _l("Edit rate plan")
    list_columns = ["code", "name", "needs_rates"]
    show_columns = list_columns
    add_columns = edit_columns = ["code", "name"]
    search_columns = ["code", "name", "needs_rates"]
    base_order = ("code", "asc")

    def apply_rules(self, item):
        products.prepare_rate_plan(item)


def register(appbuilder) -> None:
    appbuilder.add_view(
        ProductView,
        "Products",
        label=_l("Products"),
        icon="fa-box",
        category=CATALOG_MENU,
        category_label=_l("Catalog"),
        category_icon="fa-tags",
    )
    appbuilder.add_view_no_menu(ProductNameView)
    appbuilder.add_view(
        RatePlanView, "RatePlans", label=_l("Rate plans"), icon="fa-table", category=CATALOG_MENU
    )
