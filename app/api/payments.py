"""REST resource payment (docs/api.md, docs/payments.md).

Payments are money received: recorded (`POST /api/v1/payment/`), read, and afterwards only
allocated, refunded or reversed through their own calls — never edited or deleted, as the
ledger keeps them. Each user sees their regions' payments.
"""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from app.api.base import ServiceCallApi, operation
from app.api.schemas import Amount, Body, Day, ListOf, Money, OneOf, PageArgs, Text, Whole, at_most
from app.models.payments import PaymentMethod, PaymentPurpose, PaymentStatus
from app.models.types import LARGEST_INTEGER
from app.security import PAYMENT_CORRECTIONS, PAYMENTS
from app.services.crm import customers
from app.services.payments import payments, refunds, reversals
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids

REASON = at_most(refunds.REASON_LENGTH)
INVOICE_IDS = ListOf(
    Whole(1, LARGEST_INTEGER),
    _l("a list of invoice ids is expected"),
    metadata={"description": "Invoice ids to settle, in this order (else the oldest first)"},
)


class PaymentListArgs(PageArgs):
    """Which payments a list shows."""

    account = Text(metadata={"description": "Reference of the billing account"})
    status = Text(validate=OneOf(PaymentStatus))
    method = Text(validate=OneOf(PaymentMethod))
    external_ref = Text()
    received_from = Day(metadata={"description": "Received on this day or later"})
    received_to = Day(metadata={"description": "Received on this day or earlier"})


class PaymentInput(Body):
    """Money received for an account."""

    account = Whole(1, LARGEST_INTEGER, required=True, metadata={"description": "Account id"})
    amount = Amount(required=True)
    currency = Text(required=True, metadata={"example": "EUR"})
    method = Text(required=True, validate=OneOf(PaymentMethod))
    purpose = Text(validate=OneOf(PaymentPurpose))
    received_on = Day(metadata={"description": "Today when not given"})
    external_ref = Text(
        validate=at_most(payments.REF_LENGTH),
        metadata={"description": "The bank's, gateway's or mandate's reference: unique"},
    )
    reference = Text(validate=at_most(payments.TEXT_LENGTH))
    payer = Text(validate=at_most(payments.TEXT_LENGTH))
    invoices = INVOICE_IDS


class AllocateInput(Body):
    """Invoices to settle with what a payment has left."""

    invoices = ListOf(
        Whole(1, LARGEST_INTEGER), _l("a list of invoice ids is expected"), required=True
    )


class RefundInput(Body):
    """Money given back from what a payment left unallocated."""

    amount = Amount(required=True)
    reason = Text(required=True, validate=REASON)
    method = Text(validate=OneOf(PaymentMethod))


class ReverseInput(Body):
    """Why a payment is taken back (a chargeback, a direct debit returned)."""

    reason = Text(required=True, validate=REASON)


class AllocationOutput(Schema):
    """Part of the payment settling an invoice (negative: taken back)."""

    invoice_id = fields.Integer()
    invoice = fields.String(attribute="invoice.number")
    amount = Money(currency="payment.currency")
    created_at = fields.DateTime()


class RefundOutput(Schema):
    id = fields.Integer()
    amount = Money()
    method = fields.String()
    reason = fields.String()
    username = fields.String()
    created_at = fields.DateTime()


class PaymentOutput(Schema):
    """A payment, what it settled and what it gave back."""

    id = fields.Integer()
    account = fields.Integer(attribute="account_id")
    account_ref = fields.String(attribute="account.ref")
    method = fields.String()
    purpose = fields.String()
    status = fields.String()
    amount = Money()
    currency = fields.String()
    received_on = fields.Date()
    external_ref = fields.String(allow_none=True)
    reference = fields.String()
    payer = fields.String()
    source = fields.String()
    username = fields.String()
    created_at = fields.DateTime()
    allocated = Money()
    refunded = Money()
    unallocated = Money()
    reversed_at = fields.DateTime(allow_none=True)
    reversal_reason = fields.String(allow_none=True)
    allocations = fields.List(fields.Nested(AllocationOutput))
    refunds = fields.List(fields.Nested(RefundOutput))


class PaymentAnswer(Schema):
    """The payment"""

    id = fields.Integer()
    duplicate = fields.Boolean(metadata={"description": "Recorded before: nothing moved"})
    result = fields.Nested(PaymentOutput)


class PaymentPage(Schema):
    """A page of payments and how many match in all"""

    count = fields.Integer()
    result = fields.List(fields.Nested(PaymentOutput))


class PaymentApi(ServiceCallApi):
    resource_name = "payment"
    class_permission_name = PAYMENTS
    openapi_spec_tag = "Payments"
    method_permission_name = {
        "get_list": "read",
        "get": "read",
        "post": "write",
        "allocate": "write",
        "refund": "write",
        "reverse": "write",
    }

    find = staticmethod(payments.get)
    staff_resource = PAYMENT_CORRECTIONS

    def _changed(self, pk: int, change, *, staff: bool = False):
        """The answer once `change(payment)` is done, or the refusal (403 when `staff` and
        the user is not billing staff, 404, or the rule the service refused by)."""
        refused = self._billing_staff() if staff else None
        if refused:
            return refused
        payment, refused = self._visible(pk)
        if refused:
            return refused
        try:
            change(payment)
        except DomainError as exc:
            return self.refused(exc)
        return 200, {"id": payment.id, "duplicate": False, "result": payment}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @operation(args=PaymentListArgs, answers={200: PaymentPage})
    def get_list(self, args):
        """List payments

        Payments of the user's regions, newest first.
        """
        count, found = payments.search(
            current_region_ids(),
            account_ref=args.get("account"),
            status=args.get("status"),
            method=args.get("method"),
            external_ref=args.get("external_ref"),
            received_from=args.get("received_from"),
            received_to=args.get("received_to"),
            page=args["page"],
            page_size=args["page_size"],
        )
        return 200, {"count": count, "result": found}

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @operation(answers={200: PaymentAnswer})
    def get(self, pk):
        """Show a payment

        One payment with its allocations and refunds.
        """
        payment, refused = self._visible(pk)
        return refused or (200, {"id": payment.id, "duplicate": False, "result": payment})

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @operation(body=PaymentInput, answers={201: PaymentAnswer, 200: PaymentAnswer})
    def post(self, body):
        """Record a payment

        Settles the chosen invoices, else the account's oldest open ones; what is left is
        credit for the next bill. The same `external_ref` again answers 200 with the first
        payment and `duplicate: true`.
        """
        try:
            account = customers.get_account(body["account"], current_region_ids())
        except NotFound:
            return self.refused(DomainError("account", _l("no such account")), 422)
        try:
            recorded = payments.record(
                account,
                body["amount"],
                body["currency"],
                body["method"],
                purpose=body.get("purpose"),
                received_on=body.get("received_on"),
                external_ref=body.get("external_ref"),
                reference=body.get("reference") or "",
                payer=body.get("payer") or "",
                source="api",
                invoice_ids=body.get("invoices"),
            )
        except DomainError as exc:
            return self.refused(exc)
        payment = recorded.payment
        status = 200 if recorded.duplicate else 201
        return status, {"id": payment.id, "duplicate": recorded.duplicate, "result": payment}

    @expose("/<int:pk>/allocate", methods=["POST"])
    @protect()
    @safe
    @operation(body=AllocateInput, answers={200: PaymentAnswer})
    def allocate(self, pk, body):
        """Settle chosen invoices

        With what the payment (or a deposit) has left, in the order given.
        """
        return self._changed(pk, lambda payment: payments.allocate_to(payment, body["invoices"]))

    @expose("/<int:pk>/refund", methods=["POST"])
    @protect()
    @safe
    @operation(body=RefundInput, answers={200: PaymentAnswer})
    def refund(self, pk, body):
        """Refund a payment

        Gives back part or all of what the payment left unallocated (Billing staff).
        """
        return self._changed(
            pk,
            lambda payment: refunds.refund(
                payment, body["amount"], body["reason"], body.get("method")
            ),
            staff=True,
        )

    @expose("/<int:pk>/reverse", methods=["POST"])
    @protect()
    @safe
    @operation(body=ReverseInput, answers={200: PaymentAnswer})
    def reverse(self, pk, body):
        """Reverse a payment

        A chargeback or a returned debit: the invoices it paid ask for the money again
        (Billing staff).
        """
        return self._changed(
            pk, lambda payment: reversals.reverse(payment, body["reason"]), staff=True
        )


def register(appbuilder) -> None:
    appbuilder.add_api(PaymentApi)
