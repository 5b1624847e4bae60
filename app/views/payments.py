"""Payment screens (docs/payments.md): the payments list and a payment's page (what it
settled, its refunds, reversal), and an account's money page (where it stands, its ledger,
recording a payment). The rules live in app/services/payments/; these pages collect input
and show the outcome."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.payments import Payment, PaymentMethod, PaymentPurpose, PaymentStatus
from app.models.types import utcnow
from app.security import (
    PAYMENT_CORRECTIONS,
    PAYMENTS,
    PAYMENTS_MENU,
    VIEW_METHOD_PERMISSIONS,
)
from app.services.billing import settlement
from app.services.ledger import history
from app.services.payments import payments, refunds, reversals, standing
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import ScopedModelView, posted_change, visible_account
from app.views.display import (
    PAYMENT_METHOD_LABELS,
    PAYMENT_PURPOSE_LABELS,
    PAYMENT_STATUS_LABELS,
    label_for,
    local_amount,
    local_date,
    local_datetime,
)

LABELS = {
    "id": _l("Payment"),
    "account": _l("Account"),
    "account.ref": _l("Account"),
    "method": _l("Method"),
    "purpose": _l("For"),
    "status": _l("Status"),
    "amount": _l("Amount"),
    "currency": _l("Currency"),
    "received_on": _l("Received on"),
    "external_ref": _l("External reference"),
    "reference": _l("Reference"),
    "payer": _l("Payer"),
    "source": _l("Source"),
    "username": _l("User"),
    "created_at": _l("Recorded"),
    "allocated": _l("Allocated"),
    "refunded": _l("Refunded"),
    "unallocated": _l("Left as credit"),
}


def _payment(pk) -> Payment:
    try:
        return payments.get(int(pk), current_region_ids())
    except (NotFound, ValueError):
        abort(404)


def _invoice_ids(form) -> list[int]:
    return [int(value) for value in form.getlist("invoice") if value.isdigit()]


class PaymentView(ScopedModelView):
    datamodel = SQLAInterface(Payment)
    class_permission_name = PAYMENTS
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "allocate": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = _l("Payments")
    show_title = _l("Payment")
    label_columns = LABELS
    formatters_columns = {
        "method": label_for(PAYMENT_METHOD_LABELS),
        "purpose": label_for(PAYMENT_PURPOSE_LABELS),
        "status": label_for(PAYMENT_STATUS_LABELS),
        "received_on": local_date,
        "created_at": local_datetime,
        "amount": local_amount,
        "allocated": local_amount,
    }
    list_columns = [
        "id",
        "received_on",
        "account.ref",
        "method",
        "purpose",
        "currency",
        "amount",
        "allocated",
        "status",
        "external_ref",
        "payer",
    ]
    order_columns = ["id", "received_on", "amount", "status"]
    # indexed columns only: payments grow by every account every month
    search_columns = ["external_ref", "status", "received_on"]
    base_order = ("id", "desc")
    # payments are history: recorded on the account's page, never edited or deleted
    include_route_methods = {"list", "show", "allocate"}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        payment = _payment(pk)
        sm = self.appbuilder.sm
        return self.render_template(
            "payment.html",
            payment=payment,
            title=str(_l("Payment %(id)s", id=payment.id)),
            open_invoices=settlement.open_invoices(payment.account_id),
            can_write=sm.has_access("can_write", PAYMENTS),
            can_correct=sm.has_access("can_write", PAYMENT_CORRECTIONS),
            methods=list(PaymentMethod),
            method_labels=PAYMENT_METHOD_LABELS,
        )

    @expose("/allocate/<pk>", methods=["POST"])
    @has_access
    def allocate(self, pk):
        payment = _payment(pk)

        def allocate():
            chosen = _invoice_ids(request.form)
            if not chosen:
                raise DomainError("invoices", _l("choose at least one invoice"))
            return payments.allocate_to(payment, chosen)

        return posted_change(
            allocate,
            lambda allocated: _l("%(amount)s allocated", amount=local_amount(allocated)),
            url_for("PaymentView.show", pk=payment.id),
        )


class PaymentCorrectionView(BaseView):
    """Refunds and reversals: billing staff's, from a payment's page."""

    route_base = "/payments/correction"
    class_permission_name = PAYMENT_CORRECTIONS
    method_permission_name = {"refund": "write", "reverse": "write"}
    base_permissions = ["can_write"]

    def _correct(self, pk, correct, done):
        payment = _payment(pk)
        return posted_change(
            lambda: correct(payment, request.form),
            lambda _made: done,
            url_for("PaymentView.show", pk=payment.id),
        )

    @expose("/<int:pk>/refund", methods=["POST"])
    @has_access
    def refund(self, pk):
        return self._correct(
            pk,
            lambda payment, form: refunds.refund(
                payment, form.get("amount", ""), form.get("reason", ""), form.get("method")
            ),
            _l("The refund is recorded"),
        )

    @expose("/<int:pk>/reverse", methods=["POST"])
    @has_access
    def reverse(self, pk):
        return self._correct(
            pk,
            lambda payment, form: reversals.reverse(payment, form.get("reason", "")),
            _l("The payment is reversed: the invoices it paid are open again"),
        )


class AccountPaymentsView(BaseView):
    """One account's money: where it stands, its ledger, its payments, and the form that
    records money received."""

    route_base = "/payments/account"
    class_permission_name = PAYMENTS
    method_permission_name = {"show": "read", "record": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "show"

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        account = visible_account(pk)
        before = request.args.get("before", "")
        entries = history.entries([account.id], before=int(before) if before.isdigit() else None)
        found_count, found = payments.search(current_region_ids(), account_ref=account.ref)
        return self.render_template(
            "account_payments.html",
            account=account,
            standing=standing.standings([account])[account.id],
            entries=entries,
            older=entries[-1].id if len(entries) == history.PAGE else None,
            payments=found,
            payment_count=found_count,
            open_invoices=settlement.open_invoices(account.id),
            methods=list(PaymentMethod),
            method_labels=PAYMENT_METHOD_LABELS,
            purposes=list(PaymentPurpose),
            purpose_labels=PAYMENT_PURPOSE_LABELS,
            today=utcnow().date(),
            can_write=self.appbuilder.sm.has_access("can_write", PAYMENTS),
            reversed_status=PaymentStatus.REVERSED,
            title=account.ref,
        )

    @expose("/<int:pk>/record", methods=["POST"])
    @has_access
    def record(self, pk):
        account = visible_account(pk)
        if not DynamicForm().validate_on_submit():
            abort(400)
        form = request.form
        try:
            recorded = payments.record(
                account,
                form.get("amount", ""),
                form.get("currency", ""),
                form.get("method", ""),
                purpose=form.get("purpose") or None,
                received_on=validation.check_date("received_on", form.get("received_on", "")),
                external_ref=form.get("external_ref"),
                reference=form.get("reference", ""),
                payer=form.get("payer", ""),
                invoice_ids=_invoice_ids(form),
            )
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("AccountPaymentsView.show", pk=account.id))
        payment = recorded.payment
        if recorded.duplicate:
            flash(str(_l("Payment %(id)s has this external reference already: nothing was "
                         "recorded again", id=payment.id)), "warning")  # fmt: skip
        else:
            flash(str(_l("Payment %(id)s of %(amount)s is recorded", id=payment.id,
                         amount=local_amount(payment.amount))), "success")  # fmt: skip
        return redirect(url_for("PaymentView.show", pk=payment.id))


def register(appbuilder) -> None:
    appbuilder.add_view(
        PaymentView,
        PAYMENTS,
        label=_l("Payments"),
        icon="fa-money-bill",
        category=PAYMENTS_MENU,
        category_label=_l("Payments"),
        category_icon="fa-cash-register",
    )
    appbuilder.add_view_no_menu(PaymentCorrectionView)
    appbuilder.add_view_no_menu(AccountPaymentsView)
