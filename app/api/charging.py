"""Online charging for prepaid lines (docs/api.md): `POST /api/v1/charging/authorize`
and `POST /api/v1/charging/debit`, called by the switch with a network system's JWT."""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from marshmallow import Schema, fields

from app.api.base import ServiceCallApi, operation
from app.api.schemas import Body, OneOf, Text, at_most
from app.api.usage import SERVICE_ID, UsageRecordInput
from app.models.usage import UsageType
from app.security import USAGE
from app.services.platform.errors import DomainError
from app.services.platform.scoping import current_region_ids
from app.services.usage import charging, intake


class AuthorizeInput(Body):
    """The usage a line is about to start."""

    service_id = SERVICE_ID
    usage_type = Text(required=True, validate=OneOf(UsageType))
    destination = Text(required=True, validate=at_most(intake.DESTINATION_MAX))


class Authorization(Schema):
    """The units allowed (0 when none), and why none"""

    allowed_units = fields.Integer()
    reason = fields.String(allow_none=True)


class DebitAnswer(Schema):
    """The record's charge and the balance after it"""

    charge = fields.String(metadata={"format": "decimal"})
    balance = fields.String(metadata={"format": "decimal"})


class ChargingApi(ServiceCallApi):
    resource_name = "charging"
    class_permission_name = USAGE
    openapi_spec_tag = "Charging"
    method_permission_name = {"authorize": "write", "debit": "write"}

    @expose("/authorize", methods=["POST"])
    @protect()
    @safe
    @operation(body=AuthorizeInput, answers={200: Authorization})
    def authorize(self, body):
        """Authorize usage

        How many units the line may use now: what its balance and the rate allow.
        """
        try:
            found = charging.authorize(
                body["service_id"],
                body["usage_type"],
                body["destination"],
                region_ids=current_region_ids(),
            )
        except DomainError as exc:
            return self.refused(exc)
        return 200, found

    @expose("/debit", methods=["POST"])
    @protect()
    @safe
    @operation(body=UsageRecordInput, answers={200: DebitAnswer})
    def debit(self, body):
        """Debit a record

        Charge a finished record, once (a repeated record_id answers the first charge).
        """
        try:
            return 200, charging.debit(body, region_ids=current_region_ids())
        except DomainError as exc:
            return self.refused(exc)


def register(appbuilder) -> None:
    appbuilder.add_api(ChargingApi)
