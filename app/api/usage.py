"""REST resource usage (docs/api.md): network usage records.

`POST /api/v1/usage/` takes a batch of records from a network system, checked and stored by
the same service as a CDR file (app/services/usage/intake.py); `GET` lists and shows the
records of the user's regions. Records are never changed or deleted through the API.
"""

from dataclasses import asdict

from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, utils

from app.api.base import ScopedModelRestApi, operation
from app.api.schemas import Body, ListOf, Object, OneOf, Text, Whole, at_most, column_length
from app.models.crm import Service
from app.models.usage import UsageRecord, UsageType
from app.security import USAGE
from app.services.platform.errors import DomainError
from app.services.platform.scoping import current_region_ids
from app.services.usage import intake

SERVICE_ID = Text(
    required=True,
    validate=at_most(column_length(Service, "service_id")),
    metadata={"description": "The line's number, E.164 without +"},
)


class UsageRecordInput(Body):
    """A usage record from the network, as a CDR file's row has it."""

    record_id = Text(required=True, validate=at_most(intake.RECORD_ID_MAX))
    service_id = SERVICE_ID
    usage_type = Text(required=True, validate=OneOf(UsageType))
    started_at = Text(
        required=True,
        metadata={"format": "date-time", "description": "ISO 8601 with its UTC offset"},
    )
    destination = Text(allow_none=True, validate=at_most(intake.DESTINATION_MAX))
    quantity = Whole(
        0,
        intake.QUANTITY_MAX,
        required=True,
        metadata={"description": "Seconds (voice), messages (sms) or bytes (data)"},
    )


class Records(ListOf):
    """The records of a batch. A malformed record does not refuse the batch: the intake
    service keeps it as a reject with its reason, as it keeps a CDR file's bad row. The
    schema names the records' fields for the document and reads the list itself."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not utils.is_collection(value):
            raise self.make_error("invalid")
        return list(value)


A_LIST = _l("a list of records is expected")


class UsageBatch(Body):
    """A batch of usage records; the body may also be the list of records alone."""

    list_field = "records"

    records = Records(
        Object(UsageRecordInput),
        A_LIST,
        required=True,
        validate=at_most(
            intake.MAX_API_RECORDS,
            _l("at most %(n)s records per call", n=intake.MAX_API_RECORDS),
        ),
        error_messages={"required": A_LIST},
    )


class RejectOutput(Schema):
    """A record refused, by its place in the batch (from 0), and why."""

    index = fields.Integer()
    reason = fields.String()


class UsageSummary(Schema):
    """How many records were read, accepted, rejected and already there (duplicates), and
    why each rejected record was refused"""

    read = fields.Integer()
    accepted = fields.Integer()
    rejected = fields.Integer()
    duplicates = fields.Integer()
    rejects = fields.List(fields.Nested(RejectOutput))


class UsageApi(ScopedModelRestApi):
    resource_name = "usage"
    datamodel = SQLAInterface(UsageRecord)
    class_permission_name = USAGE
    openapi_spec_tag = "Usage"
    include_route_methods = {"get", "get_list", "post"}
    # a batch is refused as a malformed call (400), its records one by one as rejects
    refusal_status = 400
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
    @operation(body=UsageBatch, answers={200: UsageSummary})
    def post(self, body):
        """Store usage records

        A batch of at most 10,000 records (a list, or an object with the list as
        `records`), idempotent by record_id.
        """
        try:
            summary, rejects = intake.import_records(
                body["records"], region_ids=current_region_ids()
            )
        except DomainError as exc:
            return self.refused(exc)
        return 200, {**asdict(summary), "rejects": rejects}


def register(appbuilder) -> None:
    appbuilder.add_api(UsageApi)
