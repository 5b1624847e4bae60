"""REST resource dispute (docs/api.md, docs/care.md).

A customer's dispute of an invoice: opened (`POST /api/v1/dispute/`) within the invoice's
open amount, read, and decided once (`POST /<id>/resolve`) by billing staff other than
whoever opened it — an accepted or partial outcome issues a credit note. Disputes are
never edited or deleted: their history is kept. Each user sees their regions' disputes.
"""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, pre_dump

from app.api.base import ServiceCallApi, operation
from app.api.schemas import (
    Amount,
    Body,
    Money,
    OneOf,
    PageArgs,
    Pairs,
    StatusChange,
    Text,
    Whole,
    at_most,
)
from app.models.disputes import Dispute, DisputeStatus
from app.models.types import LARGEST_INTEGER
from app.security import DISPUTE_DECISIONS, DISPUTES
from app.services.billing import invoices
from app.services.care import disputes
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids

REASON = at_most(disputes.REASON_LENGTH)


class DisputeListArgs(PageArgs):
    """Which disputes a list shows."""

    status = Text(validate=OneOf(DisputeStatus))
    invoice = Whole(1, LARGEST_INTEGER, strict=False, metadata={"description": "Invoice id"})
    account = Text(metadata={"description": "Reference of the billing account"})


class DisputeInput(Body):
    """A dispute of an invoice, or of some of its lines."""

    invoice = Whole(1, LARGEST_INTEGER, required=True, metadata={"description": "Invoice id"})
    amount = Amount(
        metadata={
            "description": "The amount disputed, VAT included; with `lines`, their net plus "
            "VAT (may be left out)"
        }
    )
    reason = Text(required=True, validate=REASON)
    lines = Pairs(
        _l("an object of line id → amount is expected"),
        keys=Whole(1, LARGEST_INTEGER, strict=False),
        values=Amount(),
        metadata={"description": "Invoice line id → the net amount disputed on it"},
    )


class ResolveInput(Body):
    """The decision on a dispute."""

    outcome = Text(required=True, validate=OneOf(disputes.OUTCOMES))
    amount = Amount(
        allow_none=True,
        metadata={
            "description": "What is credited, VAT included: the whole amount when accepted "
            "(may be left out), less when partial; a rejection credits nothing"
        },
    )
    reason = Text(
        allow_none=True,
        validate=REASON,
        metadata={"description": "Why, emailed to the customer; required unless accepted"},
    )


class DisputeLineOutput(Schema):
    """The net amount disputed on one invoice line."""

    line_id = fields.Integer()
    amount = Money()


class DisputeChangeOutput(StatusChange):
    """One step of a dispute, with the amount it concerned."""

    amount = Money(currency="currency")


class DisputeOutput(Schema):
    """A dispute: the invoice and amount, its status and the credit note of its decision."""

    id = fields.Integer()
    ref = fields.String()
    invoice = fields.Integer(metadata={"description": "Invoice id"})
    invoice_number = fields.String()
    account = fields.Integer(metadata={"description": "Billing account id"})
    amount = Money()
    currency = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"enum": [str(s) for s in DisputeStatus]})
    credit_note = fields.String(
        allow_none=True, metadata={"description": "The number of the credit note issued"}
    )
    credited = Money(allow_none=True)
    opened_by = fields.String()
    opened_at = fields.DateTime()
    lines = fields.List(fields.Nested(DisputeLineOutput))
    history = fields.List(fields.Nested(DisputeChangeOutput))

    @pre_dump
    def _record(self, dispute: Dispute, **kwargs) -> dict:
        currency = dispute.currency
        return {
            "id": dispute.id,
            "ref": dispute.ref,
            "invoice": dispute.invoice_id,
            "invoice_number": dispute.invoice.number,
            "account": dispute.account_id,
            "amount": dispute.amount,
            "currency": currency,
            "reason": dispute.reason,
            "status": dispute.status,
            "credit_note": dispute.credit_note.number if dispute.credit_note else None,
            "credited": dispute.credited,
            "opened_by": dispute.opened_by,
            "opened_at": dispute.opened_at,
            "lines": [
                {"line_id": part.invoice_line_id, "amount": part.amount, "currency": currency}
                for part in dispute.lines
            ],
            "history": [
                {
                    "at": change.at,
                    "from_status": change.from_status,
                    "to_status": change.to_status,
                    "amount": change.amount,
                    "currency": currency,
                    "reason": change.reason,
                    "username": change.username,
                }
                for change in dispute.changes
            ],
        }


class DisputeAnswer(Schema):
    """The dispute"""

    id = fields.Integer()
    result = fields.Nested(DisputeOutput)


class DisputePage(Schema):
    """A page of disputes and how many match in all"""

    count = fields.Integer()
    result = fields.List(fields.Nested(DisputeOutput))


class DisputeApi(ServiceCallApi):
    resource_name = "dispute"
    class_permission_name = DISPUTES
    openapi_spec_tag = "Disputes"
    # deciding is billing staff's: the call checks the decision permission itself
    method_permission_name = {
        "get_list": "read",
        "get": "read",
        "post": "write",
        "resolve": "read",
    }

    find = staticmethod(disputes.get)
    staff_resource = DISPUTE_DECISIONS

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @operation(args=DisputeListArgs, answers={200: DisputePage})
    def get_list(self, args):
        """List disputes

        Disputes of the user's regions, newest first.
        """
        count, found = disputes.search(
            current_region_ids(),
            disputes.Filters(
                status=args.get("status"),
                invoice_id=args.get("invoice"),
                account_ref=args.get("account"),
            ),
            page=args["page"],
            page_size=args["page_size"],
        )
        return 200, {"count": count, "result": found}

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @operation(answers={200: DisputeAnswer})
    def get(self, pk):
        """Show a dispute

        One dispute with its lines and history.
        """
        dispute, refused = self._visible(pk)
        return refused or (200, {"id": dispute.id, "result": dispute})

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @operation(body=DisputeInput, answers={201: DisputeAnswer})
    def post(self, body):
        """Open a dispute

        On an invoice of the user's regions, for at most its open amount (its balance
        less what other open disputes hold); the amount is not overdue while it is open.
        """
        try:
            invoice = invoices.get(body["invoice"], current_region_ids())
        except NotFound:
            return self.refused(DomainError("invoice", _l("no such invoice")))
        try:
            dispute = disputes.open_dispute(
                invoice, body.get("amount"), body["reason"], body.get("lines")
            )
        except DomainError as exc:
            return self.refused(exc)
        return 201, {"id": dispute.id, "result": dispute}

    @expose("/<int:pk>/resolve", methods=["POST"])
    @protect()
    @safe
    @operation(body=ResolveInput, answers={200: DisputeAnswer})
    def resolve(self, pk, body):
        """Decide a dispute

        `accepted` (the whole amount) or `partial` (less) issues a credit note for that
        amount; `rejected` credits nothing. The customer is emailed the decision and its
        `reason`, required unless accepted (Billing staff; never who opened it).
        """
        refused = self._billing_staff()
        if refused:
            return refused
        dispute, refused = self._visible(pk)
        if refused:
            return refused
        try:
            dispute = disputes.resolve(
                dispute, body["outcome"], body.get("amount"), body.get("reason")
            )
        except DomainError as exc:
            return self.refused(exc)
        return 200, {"id": dispute.id, "result": dispute}


def register(appbuilder) -> None:
    appbuilder.add_api(DisputeApi)
