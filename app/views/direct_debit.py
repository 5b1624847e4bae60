"""Direct debit screens (docs/direct-debit.md): an account's mandates (add, revoke) and its
debits, the mandates of every account, the collection runs with their pain.008 files and a
button to run one, and each debit with its "returned" action. The rules live in
app/services/direct_debit/; these pages collect input and show the outcome."""

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.direct_debit import CollectionItem, CollectionRun, ItemStatus, Mandate
from app.models.types import utcnow
from app.security import (
    COLLECTIONS,
    MANDATES,
    PAYMENTS_MENU,
    VIEW_METHOD_PERMISSIONS,
)
from app.services.direct_debit import collections, mandates, returns
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import ScopedModelView, posted_change, visible_account
from app.views.display import label_for, local_amount, local_date, local_datetime

MANDATE_STATUS_LABELS = {"active": _l("Active"), "revoked": _l("Revoked")}
ITEM_STATUS_LABELS = {"collected": _l("Collected"), "returned": _l("Returned")}
SEQUENCE_LABELS = {"FRST": _l("First"), "RCUR": _l("Recurring")}

LABELS = {
    "account": _l("Account"),
    "account.ref": _l("Account"),
    "reference": _l("Mandate reference"),
    "iban": _l("IBAN"),
    "bic": _l("BIC"),
    "debtor_name": _l("Debtor"),
    "signed_on": _l("Signed on"),
    "status": _l("Status"),
    "username": _l("User"),
    "created_at": _l("Created"),
    "revoked_on": _l("Revoked on"),
    "revoked_by": _l("Revoked by"),
    "revocation_reason": _l("Reason"),
    "region": _l("Region"),
    "collection_date": _l("Collection date"),
    "message_id": _l("Message id"),
    "debits": _l("Debits"),
    "total": _l("Total"),
    "currency": _l("Currency"),
    "run": _l("Collection run"),
    "mandate": _l("Mandate"),
    "end_to_end_id": _l("End-to-end id"),
    "sequence": _l("Sequence"),
    "amount": _l("Amount"),
    "payment": _l("Payment"),
    "return_code": _l("Return reason"),
    "returned_at": _l("Returned"),
    "returned_by": _l("Returned by"),
}
FORMATTERS = {
    "signed_on": local_date,
    "revoked_on": local_date,
    "collection_date": local_date,
    "created_at": local_datetime,
    "returned_at": local_datetime,
    "total": local_amount,
    "amount": local_amount,
    "sequence": label_for(SEQUENCE_LABELS),
    "return_code": lambda code: returns.reason_of(code) if code else "—",
}


class MandateView(ScopedModelView):
    datamodel = SQLAInterface(Mandate)
    class_permission_name = MANDATES
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Mandates")
    label_columns = LABELS
    formatters_columns = {**FORMATTERS, "status": label_for(MANDATE_STATUS_LABELS)}
    list_columns = [
        "account.ref",
        "reference",
        "debtor_name",
        "iban",
        "signed_on",
        "status",
        "revoked_on",
    ]
    show_columns = [
        "account",
        "reference",
        "debtor_name",
        "iban",
        "bic",
        "signed_on",
        "status",
        "username",
        "created_at",
        "revoked_on",
        "revoked_by",
        "revocation_reason",
    ]
    search_columns = ["reference", "debtor_name", "iban", "status", "signed_on"]
    base_order = ("id", "desc")
    include_route_methods = {"list", "show"}


class CollectionItemView(ScopedModelView):
    datamodel = SQLAInterface(CollectionItem)
    class_permission_name = COLLECTIONS
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "returned": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Debits")
    label_columns = LABELS
    formatters_columns = {**FORMATTERS, "status": label_for(ITEM_STATUS_LABELS)}
    list_columns = [
        "account.ref",
        "end_to_end_id",
        "sequence",
        "amount",
        "status",
        "return_code",
    ]
    show_columns = [
        "run",
        "account",
        "mandate",
        "end_to_end_id",
        "sequence",
        "amount",
        "currency",
        "payment",
        "status",
        "return_code",
        "returned_at",
        "returned_by",
    ]
    search_columns = ["end_to_end_id", "status", "return_code"]
    base_order = ("id", "desc")
    show_template = "collection_item_show.html"
    include_route_methods = {"list", "show", "returned"}

    def render_template(self, template, **kwargs):
        if template == self.show_template:
            kwargs["reasons"] = returns.REASONS
        return super().render_template(template, **kwargs)

    @expose("/returned/<int:pk>", methods=["POST"])
    @has_access
    def returned(self, pk):
        """The debtor's bank sent the debit back, with the reason code staff picked."""
        if not DynamicForm().validate_on_submit():
            abort(400)
        try:
            item = collections.get_item(pk, current_region_ids())
        except NotFound:
            abort(404)
        try:
            done = returns.apply(item, request.form.get("code", ""))
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            if done.duplicate:
                flash(str(_l("The debit was returned already")), "warning")
            else:
                flash(str(_l("The debit is returned: its payment is reversed")), "success")
            if done.revoked:
                flash(str(_l("The mandate is revoked")), "warning")
        return redirect(request.referrer or url_for("CollectionItemView.show", pk=pk))


class CollectionRunView(ScopedModelView):
    datamodel = SQLAInterface(CollectionRun)
    class_permission_name = COLLECTIONS
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "collect": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Collection runs")
    label_columns = LABELS
    formatters_columns = FORMATTERS
    list_columns = ["collection_date", "region", "debits", "total", "currency", "username"]
    show_columns = [*list_columns, "message_id", "created_at"]
    search_columns = ["collection_date", "username"]
    related_views = [CollectionItemView]
    base_order = ("id", "desc")
    list_template = "collection_run_list.html"
    show_template = "collection_run_show.html"
    include_route_methods = {"list", "show", "download", "collect"}
    # its own download: the run's pain.008 file
    exclude_route_methods = set()

    @expose("/collect", methods=["POST"])
    @has_access
    def collect(self):
        if not DynamicForm().validate_on_submit():
            abort(400)
        try:
            on = validation.required(
                "collection_date",
                validation.check_date("collection_date", request.form.get("collection_date")),
            )
            collected = collections.collect(on, current_region_ids())
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("CollectionRunView.list"))
        flash(
            str(_l("Debits collected: %(debits)s, files: %(files)s",
                   debits=collected.debits, files=len(collected.runs))),
            "success",
        )  # fmt: skip
        for where, reason in collected.skipped:
            flash(f"{where}: {reason}", "danger")
        return redirect(url_for("CollectionRunView.list"))

    @expose("/download/<int:pk>", methods=["GET"])
    @has_access
    def download(self, pk):
        try:
            run = collections.get(pk, current_region_ids())
        except NotFound:
            abort(404)
        return Response(
            run.file,
            mimetype="application/xml",
            headers={
                "Content-Disposition": f'attachment; filename="{run.message_id}.xml"',
            },
        )


class AccountMandatesView(BaseView):
    """One account's direct debit: its mandates (the revoked ones as history) and debits."""

    route_base = "/debit/account"
    class_permission_name = MANDATES
    method_permission_name = {"show": "read", "add": "write", "revoke": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "show"

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        account = visible_account(pk)
        return self.render_template(
            "account_mandates.html",
            account=account,
            mandates=mandates.of_account(account.id),
            debits=collections.debits_of_account(account.id),
            today=utcnow().date(),
            can_write=self.appbuilder.sm.has_access("can_write", MANDATES),
            can_return=self.appbuilder.sm.has_access("can_write", COLLECTIONS),
            reasons=returns.REASONS,
            mandate_status_label=label_for(MANDATE_STATUS_LABELS),
            item_status_label=label_for(ITEM_STATUS_LABELS),
            sequence_label=label_for(SEQUENCE_LABELS),
            collected=ItemStatus.COLLECTED,
            title=account.ref,
        )

    @expose("/<int:pk>/add", methods=["POST"])
    @has_access
    def add(self, pk):
        account = visible_account(pk)
        form = request.form
        return self._done(
            account,
            lambda: mandates.add(
                account,
                reference=form.get("reference", ""),
                iban=form.get("iban", ""),
                bic=form.get("bic", ""),
                debtor_name=form.get("debtor_name", ""),
                signed_on=form.get("signed_on", ""),
            ),
            _l("The mandate is recorded"),
        )

    @expose("/<int:pk>/revoke/<int:mandate_id>", methods=["POST"])
    @has_access
    def revoke(self, pk, mandate_id):
        account = visible_account(pk)
        try:
            mandate = mandates.get(mandate_id, current_region_ids())
        except NotFound:
            abort(404)
        if mandate.account_id != account.id:
            abort(404)
        form = request.form
        return self._done(
            account,
            lambda: mandates.revoke(
                mandate,
                form.get("reason", ""),
                validation.check_date("revoked_on", form.get("revoked_on", "")),
            ),
            _l("The mandate is revoked"),
        )

    def _done(self, account, change, message):
        return posted_change(
            change, lambda _made: message, url_for("AccountMandatesView.show", pk=account.id)
        )


def register(appbuilder) -> None:
    appbuilder.add_view(
        MandateView,
        MANDATES,
        label=_l("Mandates"),
        icon="fa-file-signature",
        category=PAYMENTS_MENU,
        category_label=_l("Payments"),
        category_icon="fa-money-bill",
    )
    appbuilder.add_view(
        CollectionRunView,
        COLLECTIONS,
        label=_l("Direct debit runs"),
        icon="fa-building-columns",
        category=PAYMENTS_MENU,
    )
    appbuilder.add_view_no_menu(CollectionItemView)
    appbuilder.add_view_no_menu(AccountMandatesView)
