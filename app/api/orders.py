"""REST resource order (docs/api.md).

Orders are made and moved on only through app/services/orders/orders.py, never edited as rows:
`POST /api/v1/order/` makes a draft, `POST /api/v1/order/<id>/<decision>` submits,
approves, rejects or cancels it (failed provisioning is retried on the
provisioning screens). Each user sees the orders of their regions.
"""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from app.api.base import ServiceCallApi, operation
from app.api.schemas import (
    Body,
    ListOf,
    Object,
    OneOf,
    PageArgs,
    StatusChange,
    Text,
    at_most,
    column_length,
)
from app.models.crm import BillingAccount
from app.models.orders import LineAction, Order, OrderLine, OrderSource, OrderStatus
from app.security import ORDERS
from app.services.orders import orders
from app.services.platform.errors import DomainError
from app.services.platform.scoping import current_region_ids


class OrderLineInput(Body):
    """A line of a new order. Which of the other fields an action needs (a product to
    add, the line to change) is the order service's rule."""

    action = Text(required=True, validate=OneOf(LineAction))
    product_code = Text(allow_none=True, validate=at_most(column_length(OrderLine, "product_code")))
    service_id = Text(allow_none=True, metadata={"description": "The line's number"})
    number = Text(
        allow_none=True,
        validate=at_most(column_length(OrderLine, "number")),
        metadata={"description": "The number wanted for a new line"},
    )
    reason = Text(allow_none=True, metadata={"description": "Why a line is terminated"})


class OrderInput(Body):
    """A draft order for a billing account, with its lines."""

    account = Text(
        required=True,
        validate=at_most(column_length(BillingAccount, "ref")),
        metadata={"description": "Reference of the billing account"},
    )
    note = Text(allow_none=True, validate=at_most(column_length(Order, "note")))
    lines = ListOf(Object(OrderLineInput), _l("a list of lines is expected"), load_default=list)


class OrderDecisionInput(Body):
    """What a decision on an order may say."""

    reason = Text(
        allow_none=True,
        validate=at_most(column_length(Order, "reason")),
        metadata={"description": "Needed to reject or cancel"},
    )


class OrderListArgs(PageArgs):
    """Which orders a list shows."""

    status = Text(validate=OneOf(OrderStatus), metadata={"description": "Only in this status"})
    account = Text(metadata={"description": "Only of the billing account with this reference"})


class OrderLineOutput(Schema):
    """A line of an order, and how its provisioning went."""

    id = fields.Integer()
    action = fields.String()
    service_id = fields.String(attribute="service.service_id", allow_none=True, dump_default=None)
    number = fields.String(allow_none=True)
    product_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    provisioning = fields.String(attribute="task.status", allow_none=True, dump_default=None)
    error = fields.String(attribute="task.last_error", allow_none=True, dump_default=None)


class OrderOutput(Schema):
    """An order with its lines and history."""

    id = fields.Integer()
    ref = fields.String()
    account = fields.String(attribute="account.ref")
    customer = fields.String(attribute="account.customer.ref")
    status = fields.String()
    source = fields.String()
    note = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(OrderLineOutput))
    history = fields.List(fields.Nested(StatusChange), attribute="changes")


class OrderAnswer(Schema):
    """The order"""

    id = fields.Integer()
    result = fields.Nested(OrderOutput)


class OrderPage(Schema):
    """A page of orders and how many there are in all"""

    count = fields.Integer()
    result = fields.List(fields.Nested(OrderOutput))


def _answer(status: int, order: Order):
    return status, {"id": order.id, "result": order}


class OrderApi(ServiceCallApi):
    resource_name = "order"
    class_permission_name = ORDERS
    openapi_spec_tag = "Orders"
    method_permission_name = {
        "get_list": "read",
        "get": "read",
        "post": "write",
        "decide": "write",
    }

    find = staticmethod(orders.get)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @operation(args=OrderListArgs, answers={200: OrderPage})
    def get_list(self, args):
        """List orders

        Orders of the user's regions, newest first."""
        count, found = orders.search(
            current_region_ids(),
            args.get("status"),
            args.get("account"),
            args["page"],
            args["page_size"],
        )
        return 200, {"count": count, "result": found}

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @operation(answers={200: OrderAnswer})
    def get(self, pk):
        """Show an order

        One order with its lines and history."""
        order, refused = self._visible(pk)
        return refused or _answer(200, order)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @operation(body=OrderInput, answers={201: OrderAnswer})
    def post(self, body):
        """Create a draft order

        A draft order for a billing account, with its lines."""
        try:
            order = orders.create(
                body["account"],
                current_region_ids(),
                body["lines"],
                OrderSource.API,
                body.get("note"),
            )
        except DomainError as exc:
            return self.refused(exc)
        return _answer(201, order)

    @expose("/<int:pk>/<decision>", methods=["POST"])
    @protect()
    @safe
    @operation(
        body=OrderDecisionInput,
        body_optional=True,
        answers={200: OrderAnswer},
        decisions=orders.DECISIONS,
    )
    def decide(self, pk, decision, body):
        """Decide on an order

        Move an order on: submit, approve, reject or cancel. Reject and cancel need a
        reason; an approval the account's credit does not allow rejects the order with
        the reasons."""
        handler, needs_reason, _target = orders.DECISIONS[decision]
        order, refused = self._visible(pk)
        if refused:
            return refused
        try:
            if needs_reason:
                handler(order, body.get("reason"))
            else:
                handler(order)
        except DomainError as exc:
            return self.refused(exc)
        return _answer(200, order)


def register(appbuilder) -> None:
    appbuilder.add_api(OrderApi)
