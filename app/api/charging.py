"""Online charging for prepaid lines (docs/api.md): `POST /api/v1/charging/authorize`
and `POST /api/v1/charging/debit`, called by the switch with a network system's JWT."""

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l

from app.api.base import NUL, nul_field
from app.security import USAGE
from app.services.platform.errors import DomainError
from app.services.platform.scoping import current_region_ids
from app.services.usage import charging


class ChargingApi(BaseApi):
    resource_name = "charging"
    class_permission_name = USAGE
    openapi_spec_tag = "Charging"
    allow_browser_login = False  # the JWT only
    method_permission_name = {"authorize": "write", "debit": "write"}

    def _body(self):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise DomainError(None, _l("The request body must be a JSON object."))
        where = nul_field(body)
        if where is not None:
            raise DomainError(where, NUL)
        return body

    @expose("/authorize", methods=["POST"])
    @protect()
    @safe
    def authorize(self):
        """How many units the line may use now: what its balance and the rate allow.
        ---
        post:
          summary: Authorize usage
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [service_id, usage_type, destination]
                  properties:
                    service_id: {type: string}
                    usage_type: {type: string, enum: [voice, sms, data]}
                    destination: {type: string}
          responses:
            200:
              description: The units allowed (0 when none), and why none
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      allowed_units: {type: integer}
                      reason: {type: string}
            401:
              $ref: '#/components/responses/401'
            422:
              $ref: '#/components/responses/422'
        """
        try:
            body = self._body()
            found = charging.authorize(
                str(body.get("service_id") or ""),
                str(body.get("usage_type") or ""),
                str(body.get("destination") or ""),
                region_ids=current_region_ids(),
            )
        except DomainError as exc:
            return self.response_422(message={exc.field or "_schema": [exc.message]})
        return self.response(200, allowed_units=found.allowed_units, reason=found.reason)

    @expose("/debit", methods=["POST"])
    @protect()
    @safe
    def debit(self):
        """Charge a finished record, once (a repeated record_id answers the first charge).
        ---
        post:
          summary: Debit a record
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [record_id, service_id, usage_type, started_at, quantity]
                  properties:
                    record_id: {type: string}
                    service_id: {type: string}
                    usage_type: {type: string, enum: [voice, sms, data]}
                    started_at: {type: string, format: date-time}
                    destination: {type: string}
                    quantity: {type: integer}
          responses:
            200:
              description: The record's charge and the balance after it
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      charge: {type: string}
                      balance: {type: string}
            401:
              $ref: '#/components/responses/401'
            422:
              $ref: '#/components/responses/422'
        """
        try:
            result = charging.debit(self._body(), region_ids=current_region_ids())
        except DomainError as exc:
            return self.response_422(message={exc.field or "_schema": [exc.message]})
        return self.response(200, charge=str(result.charge), balance=str(result.balance))


def register(appbuilder) -> None:
    appbuilder.add_api(ChargingApi)
