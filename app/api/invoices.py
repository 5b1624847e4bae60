"""REST resource invoice (docs/api.md).

Invoices are made by bill runs and never edited: there is no PUT, PATCH or DELETE. They
are read (`GET /api/v1/invoice/`, `/<id>`), corrected by credit notes
(`POST /<id>/credit`, decided by other staff with `POST /credit/<note id>/approve|reject`)
and voided before any payment (`POST /<id>/void`). Each user sees their regions' invoices.
"""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, pre_dump

from app.api.base import ServiceCallApi, operation
from app.api.schemas import (
    Amount,
    Body,
    Day,
    Money,
    OneOf,
    PageArgs,
    Pairs,
    StatusChange,
    Text,
    Whole,
    at_most,
)
from app.models.billing import Invoice, InvoiceStatus
from app.models.types import LARGEST_INTEGER
from app.security import CREDIT_NOTES, INVOICES
from app.services.billing import invoices
from app.services.dataio.exports import invoice_record
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids

REASON = at_most(invoices.REASON_LENGTH)


class InvoiceListArgs(PageArgs):
    """Which invoices a list shows."""

    status = Text(validate=OneOf(InvoiceStatus))
    account = Text(metadata={"description": "Reference of the billing account"})
    number = Text()
    issued_from = Day(metadata={"description": "Issued on this day or later"})
    issued_to = Day(metadata={"description": "Issued on this day or earlier"})


class CreditInput(Body):
    """A credit note asked for: the whole of what is left, or net amounts per line."""

    reason = Text(required=True, validate=REASON)
    lines = Pairs(
        _l("an object of line id → amount is expected"),
        keys=Whole(1, LARGEST_INTEGER, strict=False),
        values=Amount(),
        metadata={"description": "Invoice line id → the net amount to credit on it"},
    )


class CreditDecisionInput(Body):
    """What a decision on a credit note may say."""

    note = Text(allow_none=True, validate=REASON, metadata={"description": "Why; to reject"})


class VoidInput(Body):
    """Why an invoice is voided."""

    reason = Text(required=True, validate=REASON)


class CreditNoteLineOutput(Schema):
    """The net amount a credit note takes off one invoice line."""

    line_id = fields.Integer(attribute="invoice_line_id")
    amount = Money(currency="credit_note.currency")


class CreditNoteOutput(Schema):
    """A credit note, asked for and then decided by other billing staff."""

    id = fields.Integer()
    number = fields.String(allow_none=True)
    status = fields.String()
    reason = fields.String()
    subtotal = Money()
    tax = Money()
    total = Money()
    requested_by = fields.String()
    requested_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(CreditNoteLineOutput))


class InvoiceLineOutput(Schema):
    """A line of an invoice (its id is what a credit note per line names)."""

    id = fields.Integer()
    kind = fields.String()
    service_id = fields.String(allow_none=True)
    description = fields.String()
    quantity = fields.String(metadata={"format": "decimal"})
    amount = fields.String(metadata={"format": "decimal"})


class InvoiceOutput(Schema):
    """An invoice as docs/formats.md `invoices` has it, with its line ids, what was
    credited and paid, its credit notes and history."""

    id = fields.Integer()
    number = fields.String()
    account_ref = fields.String()
    customer_ref = fields.String()
    period_start = fields.String(metadata={"format": "date"})
    period_end = fields.String(metadata={"format": "date"})
    issue_date = fields.String(metadata={"format": "date"})
    due_date = fields.String(metadata={"format": "date"})
    currency = fields.String()
    status = fields.String()
    subtotal = fields.String(metadata={"format": "decimal"})
    tax = fields.String(metadata={"format": "decimal"})
    total = fields.String(metadata={"format": "decimal"})
    balance_due = fields.String(metadata={"format": "decimal"})
    lines = fields.List(fields.Nested(InvoiceLineOutput))
    credited = Money()
    paid = Money()
    credit_notes = fields.List(fields.Nested(CreditNoteOutput))
    history = fields.List(fields.Nested(StatusChange))

    @pre_dump
    def _record(self, invoice: Invoice, **kwargs) -> dict:
        # the exports' record is the one writing of an invoice
        record = invoice_record(invoice, invoice.account.ref, invoice.customer.ref)
        for line, shown in zip(invoice.lines, record["lines"], strict=True):
            shown["id"] = line.id
        return {
            **record,
            "id": invoice.id,
            "credited": invoice.credited,
            "paid": invoice.paid,
            "credit_notes": invoice.credit_notes,
            "history": invoice.changes,
        }


class InvoiceAnswer(Schema):
    """The invoice"""

    id = fields.Integer()
    result = fields.Nested(InvoiceOutput)


class InvoicePage(Schema):
    """A page of invoices and how many match in all"""

    count = fields.Integer()
    result = fields.List(fields.Nested(InvoiceOutput))


class CreditNoteAnswer(Schema):
    """The credit note"""

    id = fields.Integer()
    result = fields.Nested(CreditNoteOutput)


class InvoiceApi(ServiceCallApi):
    resource_name = "invoice"
    class_permission_name = INVOICES
    openapi_spec_tag = "Invoices"
    method_permission_name = {
        "get_list": "read",
        "get": "read",
        "credit": "write",
        "decide": "write",
        "void": "write",
    }

    find = staticmethod(invoices.get)
    staff_resource = CREDIT_NOTES

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @operation(args=InvoiceListArgs, answers={200: InvoicePage})
    def get_list(self, args):
        """List invoices

        Invoices of the user's regions, newest first.
        """
        count, found = invoices.search(
            current_region_ids(),
            number=args.get("number"),
            account_ref=args.get("account"),
            status=args.get("status"),
            issued_from=args.get("issued_from"),
            issued_to=args.get("issued_to"),
            page=args["page"],
            page_size=args["page_size"],
        )
        return 200, {"count": count, "result": found}

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @operation(answers={200: InvoiceAnswer})
    def get(self, pk):
        """Show an invoice

        One invoice with its lines, credit notes and history.
        """
        invoice, refused = self._visible(pk)
        return refused or (200, {"id": invoice.id, "result": invoice})

    @expose("/<int:pk>/credit", methods=["POST"])
    @protect()
    @safe
    @operation(body=CreditInput, answers={201: CreditNoteAnswer})
    def credit(self, pk, body):
        """Ask for a credit note

        The whole of what is left, or net amounts per line (`lines`: {line id: amount});
        another member of billing staff decides it.
        """
        invoice, refused = self._visible(pk)
        if refused:
            return refused
        try:
            note = invoices.request_credit(invoice, body["reason"], body.get("lines"))
        except DomainError as exc:
            return self.refused(exc)
        return 201, {"id": note.id, "result": note}

    @expose("/credit/<int:note_id>/<decision>", methods=["POST"])
    @protect()
    @safe
    @operation(
        body=CreditDecisionInput,
        body_optional=True,
        answers={200: CreditNoteAnswer},
        decisions=("approve", "reject"),
    )
    def decide(self, note_id, decision, body):
        """Decide a credit note

        Approve or reject a credit note someone else asked for (a rejection needs a
        `note` saying why).
        """
        refused = self._billing_staff()
        if refused:
            return refused
        try:
            note = invoices.credit_note(note_id, current_region_ids())
        except NotFound as exc:
            return self.response(404, message=exc.message)
        decide = invoices.approve_credit if decision == "approve" else invoices.reject_credit
        try:
            note = decide(note, body.get("note"))
        except DomainError as exc:
            return self.refused(exc)
        return 200, {"id": note.id, "result": note}

    @expose("/<int:pk>/void", methods=["POST"])
    @protect()
    @safe
    @operation(body=VoidInput, answers={200: InvoiceAnswer})
    def void(self, pk, body):
        """Void an invoice

        An invoice issued in error, before any payment; running its bill date again
        bills the period anew.
        """
        refused = self._billing_staff()
        if refused:
            return refused
        invoice, refused = self._visible(pk)
        if refused:
            return refused
        try:
            invoices.void(invoice, body["reason"])
        except DomainError as exc:
            return self.refused(exc)
        return 200, {"id": invoice.id, "result": invoices.get(pk, None)}


def register(appbuilder) -> None:
    appbuilder.add_api(InvoiceApi)
