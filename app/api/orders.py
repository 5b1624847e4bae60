"""REST resource order (docs/api.md).

Orders are made and moved on only through app/services/orders/orders.py, never edited as rows:
`POST /api/v1/order/` makes a draft, `POST /api/v1/order/<id>/<decision>` submits,
approves, rejects or cancels it (failed provisioning is retried on the
provisioning screens). Each user sees the orders of their regions.
"""

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l

from app.api.base import ServiceCallApi, iso, only_fields, page_args, text_value
from app.models.orders import Order, OrderLine, OrderSource, OrderStatus
from app.security import ORDERS
from app.services.orders import orders
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids

ORDER_FIELDS = ("account", "note", "lines")


def line_json(line: OrderLine) -> dict:
    task = line.task
    return {
        "id": line.id,
        "action": line.action,
        "service_id": line.service.service_id if line.service is not None else None,
        "number": line.number,
        "product_code": line.product_code,
        "reason": line.reason,
        "provisioning": task.status if task is not None else None,
        "error": task.last_error if task is not None else None,
    }


def order_json(order: Order) -> dict:
    return {
        "id": order.id,
        "ref": order.ref,
        "account": order.account.ref,
        "customer": order.account.customer.ref,
        "status": order.status,
        "source": order.source,
        "note": order.note,
        "reason": order.reason,
        "created_by": order.created_by,
        "created_at": iso(order.created_at),
        "lines": [line_json(line) for line in order.lines],
        "history": [
            {
                "at": iso(change.at),
                "from_status": change.from_status or None,
                "to_status": change.to_status,
                "reason": change.reason,
                "username": change.username,
            }
            for change in order.changes
        ],
    }


def _order_input(body) -> dict:
    """The create call's arguments from the request body, or a DomainError naming the
    field whose shape is wrong; the rules themselves are the service's."""
    only_fields(body, ORDER_FIELDS)
    lines = body.get("lines", [])
    if not isinstance(lines, list):
        raise DomainError("lines", _l("a list of lines is expected"))
    parsed = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise DomainError(f"lines[{number}]", _l("an object is expected"))
        parsed.append(
            {key: text_value(f"lines[{number}].{key}", value) for key, value in line.items()}
        )
    return {
        "account_ref": text_value("account", body.get("account")),
        "note": text_value("note", body.get("note")),
        "lines": parsed,
    }


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

    def _visible(self, pk: int):
        try:
            return orders.get(pk, current_region_ids()), None
        except NotFound as exc:
            return None, self.response(404, message=exc.message)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Orders of the user's regions, newest first.
        ---
        get:
          summary: List orders
          parameters:
          - in: query
            name: page
            schema: {type: integer, minimum: 0, default: 0}
            description: Page number, from 0
          - in: query
            name: page_size
            schema: {type: integer, minimum: 1, maximum: 100, default: 50}
          - in: query
            name: status
            schema: {type: string}
            description: Only orders in this status
          - in: query
            name: account
            schema: {type: string}
            description: Only orders of the billing account with this reference
          responses:
            200:
              description: A page of orders and how many there are in all
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count: {type: integer}
                      result: {type: array, items: {type: object}}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        args = request.args
        try:
            page, page_size = page_args(args)
            status = args.get("status")
            if status:
                validation.check_choice("status", status, list(OrderStatus))
        except DomainError as exc:
            return self._refused(exc, 400)
        count, found = orders.search(
            current_region_ids(), status, args.get("account"), page, page_size
        )
        return self.response(200, count=count, result=[order_json(order) for order in found])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One order with its lines and history.
        ---
        get:
          summary: Show an order
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          responses:
            200:
              description: The order
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      result: {type: object}
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        order, refused = self._visible(pk)
        if refused:
            return refused
        return self.response(200, id=order.id, result=order_json(order))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Make a draft order for a billing account, with its lines.
        ---
        post:
          summary: Create a draft order
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [account]
                  properties:
                    account: {type: string, description: Reference of the billing account}
                    note: {type: string}
                    lines:
                      type: array
                      items:
                        type: object
                        properties:
                          action:
                            type: string
                            enum: [add, change_product, suspend, resume, terminate]
                          product_code: {type: string}
                          service_id: {type: string}
                          number: {type: string}
                          reason: {type: string}
          responses:
            201:
              description: The draft order
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      result: {type: object}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            422:
              $ref: '#/components/responses/422'
        """
        body, refused = self._body()
        if refused:
            return refused
        try:
            order = orders.create(
                region_ids=current_region_ids(), source=OrderSource.API, **_order_input(body)
            )
        except DomainError as exc:
            return self._refused(exc)
        return self.response(201, id=order.id, result=order_json(order))

    @expose("/<int:pk>/<decision>", methods=["POST"])
    @protect()
    @safe
    def decide(self, pk, decision):
        """Move an order on: submit, approve, reject or cancel. Reject and cancel
        need a reason; an approval the account's credit does not allow rejects the order
        with the reasons.
        ---
        post:
          summary: Decide on an order
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          - in: path
            name: decision
            required: true
            schema:
              type: string
              enum: [submit, approve, reject, cancel]
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    reason: {type: string, description: Needed to reject or cancel}
          responses:
            200:
              description: The order after the decision
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      result: {type: object}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        if decision not in orders.DECISIONS:
            return self.response(
                404, message=str(_l("unknown decision %(name)s", name=repr(decision)))
            )
        handler, needs_reason, _target = orders.DECISIONS[decision]
        order, refused = self._visible(pk)
        if refused:
            return refused
        try:
            if needs_reason:
                body, refused = self._body()
                if refused:
                    return refused
                only_fields(body, {"reason"})
                handler(order, text_value("reason", body.get("reason")))
            else:
                handler(order)
        except DomainError as exc:
            return self._refused(exc)
        return self.response(200, id=order.id, result=order_json(order))


def register(appbuilder) -> None:
    appbuilder.add_api(OrderApi)
