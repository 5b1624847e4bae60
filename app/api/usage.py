"""REST resource usage (docs/api.md): network usage records.

`POST /api/v1/usage/` takes a batch of records from a network system, checked and stored by
the same service as a CDR file (app/services/usage/intake.py); `GET` lists and shows the
records of the user's regions. Records are never changed or deleted through the API.
"""

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l

from app.api.base import ScopedModelRestApi
from app.models.usage import UsageRecord
from app.security import USAGE
from app.services.platform.errors import DomainError
from app.services.platform.scoping import current_region_ids
from app.services.usage import intake


class UsageApi(ScopedModelRestApi):
    resource_name = "usage"
    datamodel = SQLAInterface(UsageRecord)
    class_permission_name = USAGE
    openapi_spec_tag = "Usage"
    include_route_methods = {"get", "get_list", "post"}
    list_columns = show_columns = [
        "id",
        "record_id",
        "service.id",
        "service.service_id",
        "usage_type",
        "started_at",
        "destination",
        "quantity",
        "batch_id",
    ]
    search_columns = ["record_id", "service", "usage_type", "destination", "batch_id"]
    order_columns = ["id", "record_id", "started_at"]
    base_order = ("id", "desc")

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Store a batch of usage records (at most 10,000), idempotent by record_id.
        ---
        post:
          summary: Store usage records
          requestBody:
            required: true
            description: A list of records, or an object with the list as `records`
            content:
              application/json:
                schema:
                  type: array
                  maxItems: 10000
                  items:
                    type: object
                    required: [record_id, service_id, usage_type, started_at, quantity]
                    properties:
                      record_id: {type: string, maxLength: 64}
                      service_id: {type: string, description: The number, E.164 without +}
                      usage_type: {type: string, enum: [voice, sms, data]}
                      started_at: {type: string, description: ISO 8601 with its UTC offset}
                      destination: {type: string, maxLength: 64}
                      quantity:
                        type: integer
                        minimum: 0
                        description: Seconds (voice), messages (sms) or bytes (data)
          responses:
            200:
              description: >-
                How many records were read, accepted, rejected and already there
                (duplicates), and why each rejected record was refused (its index in the
                list, from 0)
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      read: {type: integer}
                      accepted: {type: integer}
                      rejected: {type: integer}
                      duplicates: {type: integer}
                      rejects:
                        type: array
                        items:
                          type: object
                          properties:
                            index: {type: integer}
                            reason: {type: string}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        body = request.get_json(silent=True)
        if body is None:
            return self.response_400(message=str(_l("The request body is not JSON.")))
        records = body.get("records") if isinstance(body, dict) else body
        try:
            summary, rejects = intake.import_records(records, region_ids=current_region_ids())
        except DomainError as exc:
            return self.response_400(message={exc.field or "_schema": [exc.message]})
        return self.response(
            200,
            read=summary.read,
            accepted=summary.accepted,
            rejected=summary.rejected,
            duplicates=summary.duplicates,
            rejects=rejects,
        )


def register(appbuilder) -> None:
    appbuilder.add_api(UsageApi)
