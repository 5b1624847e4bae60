"""Prepaid screens (docs/prepaid.md): voucher batches (made, their PINs downloaded once as
the printer's CSV, cancelled) and an account's prepaid page, where staff redeem a voucher
on one of its lines. The rules live in app/services/prepaid/."""

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.crm import PaymentMode
from app.models.prepaid import VoucherBatch
from app.security import PAYMENTS, PAYMENTS_MENU, VIEW_METHOD_PERMISSIONS, VOUCHERS
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.prepaid import redemption, vouchers
from app.views.base import AbonentModelView, visible_account
from app.views.display import local_amount, local_date, local_datetime

LABELS = {
    "id": _l("Batch"),
    "created_at": _l("Created"),
    "username": _l("User"),
    "quantity": _l("Vouchers"),
    "face_value": _l("Face value"),
    "currency": _l("Currency"),
    "expires_on": _l("Valid until"),
    "note": _l("Note"),
    "cancelled_at": _l("Cancelled"),
    "cancelled_by": _l("Cancelled by"),
}
OUTCOME_LABELS = {
    "redeemed": _l("redeemed"),
    "wrong": _l("wrong PIN"),
    "used": _l("used already"),
    "expired": _l("expired"),
    "void": _l("cancelled"),
    "blocked": _l("blocked"),
}


class VoucherBatchView(AbonentModelView):
    datamodel = SQLAInterface(VoucherBatch)
    class_permission_name = VOUCHERS
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "generate": "write", "cancel": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Voucher batches")
    label_columns = LABELS
    formatters_columns = {
        "created_at": local_datetime,
        "cancelled_at": local_datetime,
        "expires_on": local_date,
        "face_value": local_amount,
    }
    list_columns = ["id", "created_at", "quantity", "face_value", "currency", "expires_on",
                    "note", "cancelled_at"]  # fmt: skip
    show_columns = [*list_columns, "username", "cancelled_by"]
    search_columns = ["currency", "expires_on", "created_at", "note"]
    base_order = ("id", "desc")
    list_template = "voucher_batch_list.html"
    show_template = "voucher_batch_show.html"
    include_route_methods = {"list", "show", "generate", "cancel"}

    def render_template(self, template, **kwargs):
        if template == self.show_template:
            kwargs["counts"] = vouchers.counts(int(kwargs["pk"]))
        return super().render_template(template, **kwargs)

    @expose("/generate", methods=["POST"])
    @has_access
    def generate(self):
        """The batch is made and its PINs answered as the printer's CSV: the one time they
        are shown."""
        if not DynamicForm().validate_on_submit():
            abort(400)
        form = request.form
        try:
            generated = vouchers.generate(
                form.get("quantity", ""),
                form.get("face_value", ""),
                form.get("currency", ""),
                validation.check_date("expires_on", form.get("expires_on", "")),
                form.get("note", ""),
            )
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("VoucherBatchView.list"))
        filename = f"vouchers-{generated.batch.id}.csv"
        return Response(
            vouchers.printer_csv(generated),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk):
        if not DynamicForm().validate_on_submit():
            abort(400)
        try:
            voided = vouchers.cancel(vouchers.get(pk))
        except NotFound:
            abort(404)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(str(_l("Batch cancelled: %(n)s unused vouchers void", n=voided)), "success")
        return redirect(url_for("VoucherBatchView.show", pk=pk))


class AccountPrepaidView(BaseView):
    """A prepaid account's balance and the voucher form for its lines."""

    route_base = "/prepaid/account"
    class_permission_name = PAYMENTS
    method_permission_name = {"show": "read", "redeem": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "show"

    def _account(self, pk):
        account = visible_account(pk)
        if account.payment_mode != PaymentMode.PREPAID:
            abort(404)
        return account

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        account = self._account(pk)
        lines = sorted(account.services, key=lambda s: s.id)
        return self.render_template(
            "account_prepaid.html",
            account=account,
            lines=lines,
            attempts={s.id: redemption.attempts(s.id, 5) for s in lines},
            outcome_labels=OUTCOME_LABELS,
            can_redeem=self.appbuilder.sm.has_access("can_write", PAYMENTS),
            title=account.ref,
        )

    @expose("/<int:pk>/redeem", methods=["POST"])
    @has_access
    def redeem(self, pk):
        account = self._account(pk)
        if not DynamicForm().validate_on_submit():
            abort(400)
        service = next(
            (s for s in account.services if str(s.id) == request.form.get("service", "")), None
        )
        if service is None:
            flash(str(_l("service: choose one of the account's lines")), "danger")
            return redirect(url_for("AccountPrepaidView.show", pk=account.id))
        try:
            done = redemption.redeem(service, request.form.get("pin", ""))
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(str(_l("Voucher %(serial)s: %(amount)s added to the balance",
                         serial=done.voucher.serial,
                         amount=local_amount(done.payment.amount))), "success")  # fmt: skip
        return redirect(url_for("AccountPrepaidView.show", pk=account.id))


def register(appbuilder) -> None:
    appbuilder.add_view(
        VoucherBatchView,
        VOUCHERS,
        label=_l("Voucher batches"),
        icon="fa-ticket",
        category=PAYMENTS_MENU,
        category_label=_l("Payments"),
        category_icon="fa-money-bill",
    )
    appbuilder.add_view_no_menu(AccountPrepaidView)
