"""REST resource invoice (docs/api.md).

Invoices are made by bill runs and never edited: there is no PUT, PATCH or DELETE. They
are read (`GET /api/v1/invoice/`, `/<id>`), corrected by credit notes
(`POST /<id>/credit`, decided by other staff with `POST /credit/<note id>/approve|reject`)
and voided before any payment (`POST /<id>/void`). Each user sees their regions' invoices.
"""

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l

from app.api.base import ServiceCallApi, iso, only_fields, page_args, text_value
from app.models.billing import CreditNote, Invoice, InvoiceStatus
from app.security import CREDIT_NOTES, INVOICES
from app.services.billing import invoices
from app.services.dataio.exports import invoice_record
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids


def note_json(note: CreditNote) -> dict:
    return {
        "id": note.id,
        "number": note.number,
        "status": note.status,
        "reason": note.reason,
        "subtotal": str(note.subtotal.normalize()),
        "tax": str(note.tax.normalize()),
        "total": str(note.total.normalize()),
        "requested_by": note.requested_by,
        "requested_at": iso(note.requested_at),
        "decided_by": note.decided_by,
        "decided_at": iso(note.decided_at),
        "lines": [{"line_id": line.invoice_line_id, "amount": str(line.amount.normalize())}
                  for line in note.lines],
    }  # fmt: skip


def invoice_json(invoice: Invoice) -> dict:
    record = invoice_record(invoice, invoice.account.ref, invoice.customer.ref)
    for line, shown in zip(invoice.lines, record["lines"], strict=True):
        shown["id"] = line.id  # what a credit note per line names
    return {
        "id": invoice.id,
        **record,
        "credited": str(invoice.credited.normalize()),
        "paid": str(invoice.paid.normalize()),
        "credit_notes": [note_json(note) for note in invoice.credit_notes],
        "history": [
            {"at": iso(c.at), "from_status": c.from_status, "to_status": c.to_status,
             "reason": c.reason, "username": c.username}
            for c in invoice.changes
        ],
    }  # fmt: skip


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

    def _visible(self, pk: int):
        try:
            return invoices.get(pk, current_region_ids()), None
        except NotFound as exc:
            return None, self.response(404, message=exc.message)

    def _billing_staff(self):
        """Deciding credit notes and voiding are billing staff's (never the asker's)."""
        if self.appbuilder.sm.has_access("can_write", CREDIT_NOTES):
            return None
        return self.response(403, message=str(_l("Billing staff decide this.")))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Invoices of the user's regions, newest first.
        ---
        get:
          summary: List invoices
          parameters:
          - {in: query, name: page, schema: {type: integer, minimum: 0, default: 0}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}}
          - {in: query, name: status, schema: {type: string}}
          - {in: query, name: account, schema: {type: string}, description: account reference}
          - {in: query, name: number, schema: {type: string}}
          - {in: query, name: issued_from, schema: {type: string, format: date}}
          - {in: query, name: issued_to, schema: {type: string, format: date}}
          responses:
            200:
              description: A page of invoices and how many match in all
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
        """
        args = request.args
        try:
            page, page_size = page_args(args)
            status = args.get("status")
            if status:
                validation.check_choice("status", status, list(InvoiceStatus))
            count, found = invoices.search(
                current_region_ids(),
                number=args.get("number"),
                account_ref=args.get("account"),
                status=status,
                issued_from=validation.check_date("issued_from", args.get("issued_from", "")),
                issued_to=validation.check_date("issued_to", args.get("issued_to", "")),
                page=page,
                page_size=page_size,
            )
        except DomainError as exc:
            return self._refused(exc, 400)
        return self.response(200, count=count, result=[invoice_json(i) for i in found])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One invoice with its lines, credit notes and history.
        ---
        get:
          summary: Show an invoice
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The invoice
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        invoice, refused = self._visible(pk)
        if refused:
            return refused
        return self.response(200, id=invoice.id, result=invoice_json(invoice))

    @expose("/<int:pk>/credit", methods=["POST"])
    @protect()
    @safe
    def credit(self, pk):
        """Ask for a credit note: the whole of what is left, or net amounts per line
        (`lines`: {line id: amount}); another member of billing staff decides it.
        ---
        post:
          summary: Ask for a credit note
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [reason]
                  properties:
                    reason: {type: string}
                    lines: {type: object, additionalProperties: {type: string}}
          responses:
            201:
              description: The credit note, awaiting approval
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        invoice, refused = self._visible(pk)
        if refused:
            return refused
        body, refused = self._body()
        if refused:
            return refused
        try:
            only_fields(body, {"reason", "lines"})
            lines = body.get("lines")
            if lines is not None and not isinstance(lines, dict):
                raise DomainError("lines", _l("an object of line id → amount is expected"))
            amounts = None
            if lines is not None:
                amounts = {_line_id(key): value for key, value in lines.items()}
            note = invoices.request_credit(
                invoice, text_value("reason", body.get("reason"), required=True), amounts
            )
        except DomainError as exc:
            return self._refused(exc)
        return self.response(201, id=note.id, result=note_json(note))

    @expose("/credit/<int:note_id>/<decision>", methods=["POST"])
    @protect()
    @safe
    def decide(self, note_id, decision):
        """Approve or reject a credit note someone else asked for (a rejection needs a
        `note` saying why).
        ---
        post:
          summary: Decide a credit note
          parameters:
          - {in: path, name: note_id, required: true, schema: {type: integer}}
          - in: path
            name: decision
            required: true
            schema: {type: string, enum: [approve, reject]}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {note: {type: string}}}
          responses:
            200:
              description: The credit note after the decision
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        if decision not in ("approve", "reject"):
            return self.response(404, message=str(_l("unknown decision %(name)s",
                                                     name=repr(decision))))  # fmt: skip
        refused = self._billing_staff()
        if refused:
            return refused
        try:
            note = invoices.credit_note(note_id, current_region_ids())
        except NotFound as exc:
            return self.response(404, message=exc.message)
        body = request.get_json(silent=True) or {}
        try:
            only_fields(body, {"note"})
            text = text_value("note", body.get("note"))
            if decision == "approve":
                note = invoices.approve_credit(note, text)
            else:
                note = invoices.reject_credit(note, text)
        except DomainError as exc:
            return self._refused(exc)
        return self.response(200, id=note.id, result=note_json(note))

    @expose("/<int:pk>/void", methods=["POST"])
    @protect()
    @safe
    def void(self, pk):
        """Void an invoice issued in error, before any payment; running its bill date
        again bills the period anew.
        ---
        post:
          summary: Void an invoice
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, required: [reason], properties: {reason: {type: string}}}
          responses:
            200:
              description: The void invoice
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        refused = self._billing_staff()
        if refused:
            return refused
        invoice, refused = self._visible(pk)
        if refused:
            return refused
        body, refused = self._body()
        if refused:
            return refused
        try:
            only_fields(body, {"reason"})
            invoices.void(invoice, text_value("reason", body.get("reason"), required=True))
        except DomainError as exc:
            return self._refused(exc)
        return self.response(200, id=invoice.id, result=invoice_json(invoices.get(pk, None)))


def _line_id(key: str) -> int:
    if not str(key).isdecimal():
        raise DomainError(f"line {key}", _l("not a line of this invoice"))
    return int(key)


def register(appbuilder) -> None:
    appbuilder.add_api(InvoiceApi)
