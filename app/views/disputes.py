"""Bill dispute screens: the disputes of the user's regions, one dispute's page with its
decision form, and opening a dispute from an invoice's page. The rules live in
app/services/care/disputes.py; these pages collect input and show the outcome."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l

from app.models.types import LARGEST_INTEGER
from app.security import CARE_MENU, DISPUTE_DECISIONS, DISPUTES
from app.services.billing import invoices
from app.services.care import disputes
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import posted_change
from app.views.display import DISPUTE_STATUS_LABELS

PAGE_SIZE = 50
OUTCOME_LABELS = {
    "accepted": _l("Accept in full"),
    "partial": _l("Accept in part"),
    "rejected": _l("Reject"),
}


def _dispute(pk: int):
    try:
        return disputes.get(pk, current_region_ids())
    except NotFound:
        abort(404)


def _invoice(value):
    try:
        invoice_id = validation.check_whole_between("invoice", value, 1, LARGEST_INTEGER)
        return invoices.get(invoice_id, current_region_ids())
    except DomainError:
        abort(404)


class DisputeView(BaseView):
    """The disputes of the user's regions; customer care opens them from an invoice."""

    route_base = "/disputes"
    class_permission_name = DISPUTES
    method_permission_name = {"list": "read", "show": "read", "new": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        args = request.args
        status = args.get("status", "")
        if status not in DISPUTE_STATUS_LABELS:
            status = ""
        try:
            page = validation.check_whole_between("page", args.get("page") or "0", 0, 1_000_000)
        except DomainError as exc:
            abort(400, description=exc.message)
        total, found = disputes.search(
            current_region_ids(), disputes.Filters(status=status or None), page, PAGE_SIZE
        )
        return self.render_template(
            "dispute_list.html",
            disputes=found,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            status=status,
            statuses=DISPUTE_STATUS_LABELS,
            title=_l("Disputes"),
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        dispute = _dispute(pk)
        return self.render_template(
            "dispute.html",
            dispute=dispute,
            statuses=DISPUTE_STATUS_LABELS,
            outcomes=OUTCOME_LABELS,
            can_decide=self.appbuilder.sm.has_access("can_write", DISPUTE_DECISIONS),
            title=str(dispute),
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        form = request.form if request.method == "POST" else request.args
        invoice = _invoice(form.get("invoice"))
        if request.method == "POST":
            if not DynamicForm().validate_on_submit():
                abort(400)
            lines = {
                key.removeprefix("line-"): value
                for key, value in request.form.items()
                if key.startswith("line-") and value.strip()
            }
            try:
                dispute = disputes.open_dispute(
                    invoice, form.get("amount", ""), form.get("reason", ""), lines or None
                )
            except DomainError as exc:
                flash(exc.message, "danger")
            else:
                flash(str(_l("Dispute %(ref)s is open", ref=dispute.ref)), "success")
                return redirect(url_for("DisputeView.show", pk=dispute.id))
        return self.render_template(
            "dispute_new.html",
            invoice=invoice,
            open_amount=disputes.open_amount(invoice),
            form=form,
            title=_l("Open a dispute"),
        )


class DisputeDecisionView(BaseView):
    """Deciding a dispute: billing staff's, from the dispute's page."""

    route_base = "/disputes/decision"
    class_permission_name = DISPUTE_DECISIONS
    method_permission_name = {"resolve": "write"}
    base_permissions = ["can_write"]

    @expose("/<int:pk>", methods=["POST"])
    @has_access
    def resolve(self, pk):
        dispute = _dispute(pk)
        form = request.form
        return posted_change(
            lambda: disputes.resolve(
                dispute, form.get("outcome", ""), form.get("amount"), form.get("reason")
            ),
            lambda decided: _l(
                "Dispute %(ref)s: %(status)s",
                ref=decided.ref,
                status=DISPUTE_STATUS_LABELS[decided.status],
            ),
            url_for("DisputeView.show", pk=dispute.id),
        )


def register(appbuilder) -> None:
    appbuilder.add_view(
        DisputeView,
        DISPUTES,
        label=_l("Disputes"),
        icon="fa-balance-scale",
        category=CARE_MENU,
        category_label=_l("Care"),
        category_icon="fa-headset",
    )
    appbuilder.add_view_no_menu(DisputeDecisionView)
