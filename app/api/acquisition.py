"""Customer acquisition over REST (docs/api.md): `POST /api/v1/acquisition/applications`
checks a prospect and answers the decision, the credit terms and the products on offer."""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, pre_dump, validate

from app.api.base import ServiceCallApi, operation
from app.api.schemas import (
    Amount,
    Body,
    Checked,
    Flag,
    ListOf,
    Money,
    OneOf,
    Text,
    at_most,
    column_length,
)
from app.models.acquisition import Application, ApplicationSource, CreditHistory
from app.models.crm import LANGUAGE_CODES, CustomerKind
from app.security import APPLICATIONS
from app.services.acquisition import applications
from app.services.platform.errors import DomainError
from app.services.platform.scoping import current_region_ids
from app.services.platform.validation import check_email


def _text(column: str, *checks, **kwargs) -> Text:
    """Text for one of the application's columns, at most as long as the column."""
    return Text(validate=[at_most(column_length(Application, column)), *checks], **kwargs)


AMOUNT = {
    "required": True,
    "validate": validate.Range(min=0, error=_l("an amount of 0 or more is expected")),
    "metadata": {"description": "In the region's currency"},
}


class ApplicationInput(Body):
    """A prospect to check. Whether the document number, the phone and the region are
    right, and what the answers mean, are the acquisition service's rules."""

    kind = Text(required=True, validate=OneOf(CustomerKind))
    name = _text("name", required=True)
    birth_date = Text(
        allow_none=True,
        metadata={"format": "date", "description": "YYYY-MM-DD; needed for an individual"},
    )
    sex = _text("sex", allow_none=True, metadata={"description": "M or F"})
    country = _text("country", required=True, metadata={"description": "ISO 3166 alpha-2"})
    document_type = _text(
        "document_type",
        required=True,
        metadata={"description": "codice_fiscale, partita_iva, rrn, brn, inn, ogrn, passport"},
    )
    document_number = _text("document_number", required=True)
    email = _text("email", Checked(check_email), required=True, metadata={"format": "email"})
    phone = _text("phone", required=True)
    street = _text("street", allow_none=True)
    city = _text("city", allow_none=True)
    postcode = _text("postcode", allow_none=True)
    iban = _text("iban", allow_none=True)
    monthly_income = Amount(**AMOUNT)
    existing_debt = Amount(**AMOUNT)
    credit_history = Text(required=True, validate=OneOf(CreditHistory))
    region = Text(required=True, metadata={"description": "Code of the region"})
    language = Text(required=True, validate=OneOf(LANGUAGE_CODES))
    product_codes = ListOf(Text(), _l("a list of product codes is expected"), allow_none=True)
    consent = Flag(required=True, metadata={"description": "The applicant agrees to the checks"})


class Finding(Schema):
    """What one check found about the applicant, in the application's language."""

    check = fields.String()
    result = fields.String()
    reason = fields.String()


class IdentityOutput(Schema):
    """The identity and fraud checks: their result and, for each doubt, why."""

    status = fields.String(attribute="check_status")
    reasons = fields.List(fields.Nested(Finding))


class CreditOutput(Schema):
    """The credit terms the applicant's class gives."""

    credit_class = fields.String(data_key="class")
    rule = fields.String(attribute="credit_rule")
    credit_limit = Money()
    deposit = Money()
    currency = fields.String()
    allowed_payment_modes = fields.List(fields.String(), attribute="payment_modes")
    max_lines = fields.Integer()


class DecisionOutput(Schema):
    """The decision, the credit terms and the products on offer"""

    id = fields.Integer()
    ref = fields.String()
    status = fields.String()
    identity = fields.Nested(IdentityOutput)
    credit = fields.Nested(CreditOutput)
    eligible_products = fields.List(fields.String())

    @pre_dump
    def _parts(self, application: Application, **kwargs) -> dict:
        return {
            "id": application.id,
            "ref": application.ref,
            "status": application.status,
            "identity": application,
            "credit": application,
            "eligible_products": [p.code for p in applications.offer(application)],
        }


class AcquisitionApi(ServiceCallApi):
    resource_name = "acquisition"
    class_permission_name = APPLICATIONS
    openapi_spec_tag = "Acquisition"
    method_permission_name = {"submit": "write", "show": "read"}
    # the acquisition service words its refusals per field without the field's name
    labelled = False

    @expose("/applications", methods=["POST"])
    @protect()
    @safe
    @operation(body=ApplicationInput, answers={201: DecisionOutput})
    def submit(self, body):
        """Submit an application

        Check a prospect: identity, fraud and credit, and what may be offered.
        """
        try:
            application = applications.submit(body, ApplicationSource.API)
        except applications.InvalidApplication as exc:
            return self.response(422, message={f: [r] for f, r in exc.errors.items()})
        except DomainError as exc:
            return self.refused(exc)
        return 201, application

    @expose("/applications/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @operation(answers={200: DecisionOutput})
    def show(self, pk: int):
        """Get an application

        An application's decision as it stands (after a review, an acceptance).
        """
        try:
            application = applications.get(pk, current_region_ids())
        except DomainError:
            return self.response_404()
        return 200, application


def register(appbuilder) -> None:
    appbuilder.add_api(AcquisitionApi)
