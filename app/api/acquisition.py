"""Customer acquisition over REST (docs/api.md): `POST /api/v1/acquisition/applications`
checks a prospect and answers the decision, the credit terms and the products on offer."""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect

from app.api.base import ServiceCallApi
from app.models.acquisition import Application, ApplicationSource
from app.security import APPLICATIONS
from app.services.acquisition import applications
from app.services.platform.errors import DomainError
from app.services.platform.money import minor_units
from app.services.platform.scoping import current_region_ids


def _amount(amount, currency: str) -> str:
    return f"{amount:.{minor_units(currency)}f}"


def decision(application: Application) -> dict:
    """The answer for one application (also what `GET` of it gives back)."""
    currency = application.currency
    return {
        "id": application.id,
        "ref": application.ref,
        "status": application.status,
        "identity": {"status": application.check_status, "reasons": application.reasons},
        "credit": {
            "class": application.credit_class,
            "rule": application.credit_rule,
            "credit_limit": _amount(application.credit_limit, currency),
            "deposit": _amount(application.deposit, currency),
            "currency": currency,
            "allowed_payment_modes": application.payment_modes,
            "max_lines": application.max_lines,
        },
        "eligible_products": [p.code for p in applications.offer(application)],
    }


class AcquisitionApi(ServiceCallApi):
    resource_name = "acquisition"
    class_permission_name = APPLICATIONS
    openapi_spec_tag = "Acquisition"
    method_permission_name = {"submit": "write", "show": "read"}

    @expose("/applications", methods=["POST"])
    @protect()
    @safe
    def submit(self):
        """Check a prospect: identity, fraud and credit, and what may be offered.
        ---
        post:
          summary: Submit an application
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [kind, name, country, document_type, document_number, email,
                             phone, monthly_income, existing_debt, credit_history, region,
                             language, consent]
                  properties:
                    kind: {type: string, enum: [individual, company]}
                    name: {type: string}
                    birth_date: {type: string, format: date}
                    sex: {type: string, enum: [M, F]}
                    country: {type: string, description: ISO 3166 alpha-2}
                    document_type:
                      type: string
                      enum: [codice_fiscale, partita_iva, rrn, brn, inn, ogrn, passport]
                    document_number: {type: string}
                    email: {type: string}
                    phone: {type: string}
                    street: {type: string}
                    city: {type: string}
                    postcode: {type: string}
                    iban: {type: string}
                    monthly_income: {type: string}
                    existing_debt: {type: string}
                    credit_history: {type: string, enum: [good, fair, poor, bad, none]}
                    region: {type: string}
                    language: {type: string, enum: [en, it, ko, ru]}
                    product_codes: {type: array, items: {type: string}}
                    consent: {type: boolean}
          responses:
            201:
              description: The decision, the credit terms and the products on offer
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            422:
              description: A message per malformed field
        """
        body, refused = self._body()
        if refused is not None:
            return refused
        try:
            application = applications.submit(body, ApplicationSource.API)
        except applications.InvalidApplication as exc:
            return self.response(422, message={f: [r] for f, r in exc.errors.items()})
        except DomainError as exc:
            return self._refused(exc)
        return self.response(201, **decision(application))

    @expose("/applications/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def show(self, pk: int):
        """An application's decision as it stands (after a review, an acceptance).
        ---
        get:
          summary: Get an application
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          responses:
            200:
              description: The decision, the credit terms and the products on offer
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        try:
            application = applications.get(pk, current_region_ids())
        except DomainError:
            return self.response_404()
        return self.response(200, **decision(application))


def register(appbuilder) -> None:
    appbuilder.add_api(AcquisitionApi)
