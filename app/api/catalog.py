"""REST resource product (docs/api.md). The catalog is the same in every region, so
products are not region-scoped; the rules are the products import's
(app/services/catalog/products.py).

The rate plan is given by its code (`"rate_plan": "BASIC"`; one not seen before is created
waiting for its rates, as the import does) and shown as `{"code": "BASIC"}`, which may be
sent back as it is.
"""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema

from app.api.base import ScopedModelRestApi
from app.extensions import db
from app.models.catalog import Product
from app.security import CATALOG
from app.services.catalog import products

OUTPUT_COLUMNS = [
    "id",
    *(c if c != "rate_plan" else "rate_plan.code" for c in products.PRODUCT_COLUMNS),
]


class RatePlanCode(fields.Field):
    """A rate plan by its code; `{"code": ...}` (as shown) is accepted too."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else {"code": value.code}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            value = value.get("code")
        if not isinstance(value, str):
            raise ValidationError(str(_l("the code of a rate plan is expected")))
        return value


class ProductInput(SQLAlchemyAutoSchema):
    """What a client sends: the product's columns, its rate plan by code."""

    class Meta:
        model = Product
        fields = products.PRODUCT_COLUMNS
        load_instance = True
        sqla_session = db.session

    rate_plan = RatePlanCode(
        allow_none=True, metadata={"type": "string", "description": "Code of the rate plan"}
    )

    @post_load
    def make_instance(self, data, **kwargs):
        # the code is not the relationship: prepare_product resolves it by the catalog's rules
        code = data.pop("rate_plan", None)
        product = super().make_instance(data, **kwargs)
        product.rate_plan_code = code
        return product


# one class per spec entry (post, put): apispec warns about a schema class added twice
class ProductAddInput(ProductInput):
    pass


class ProductEditInput(ProductInput):
    pass


class ProductApi(ScopedModelRestApi):
    resource_name = "product"
    datamodel = SQLAInterface(Product)
    class_permission_name = CATALOG
    base_filters = []  # one catalog for every region
    list_columns = show_columns = OUTPUT_COLUMNS
    add_columns = edit_columns = list(products.PRODUCT_COLUMNS)
    add_model_schema = ProductAddInput()
    edit_model_schema = ProductEditInput()
    search_columns = ["code", "name", "line_type", "payment_mode", "currency", "rate_plan"]
    order_columns = ["code", "name", "monthly_fee"]
    base_order = ("code", "asc")

    def pre_add(self, item):
        products.prepare_product(item, getattr(item, "rate_plan_code", None))

    pre_update = pre_add

    def pre_delete(self, item):
        products.check_product_delete(item)


def register(appbuilder) -> None:
    appbuilder.add_api(ProductApi)
