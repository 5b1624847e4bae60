"""Billing screens: invoices and their credit notes, bill runs, and an account's billing
page (its next bill, adjustments, discounts). The rules live in app/services/billing/
(invoices.py, adjustments.py, runs.py); these pages collect input and show the outcome."""

import logging

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.billing import (
    Adjustment,
    AdjustmentLimit,
    AdjustmentStatus,
    BillRun,
    BillRunError,
    CreditNote,
    Invoice,
)
from app.models.communications import Communication, PrintBatch
from app.models.crm import BillingAccount
from app.models.types import utcnow
from app.security import (
    ADJUSTMENT_LIMITS,
    ADJUSTMENTS,
    BILL_RUNS,
    BILLING_MENU,
    COMMUNICATIONS,
    CREDIT_NOTES,
    INVOICES,
    PRINT_BATCHES,
    VIEW_METHOD_PERMISSIONS,
)
from app.services.billing import (
    adjustments,
    balance_forward,
    delivery,
    invoice_status,
    invoices,
    payment_reference,
    pdf,
    runs,
    settlement,
)
from app.services.billing.bills import BillRefused
from app.services.crm import bill_frequency
from app.services.dunning import letters
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import AbonentModelView, ScopedModelView, posted_change, visible_account
from app.views.display import (
    ADJUSTMENT_STATUS_LABELS,
    BILL_RUN_STATUS_LABELS,
    CHANNEL_LABELS,
    COMMUNICATION_KIND_LABELS,
    COMMUNICATION_STATUS_LABELS,
    CREDIT_NOTE_STATUS_LABELS,
    ENUM_FORMATTERS,
    INVOICE_STATUS_LABELS,
    label_for,
    local_amount,
    local_date,
    local_datetime,
)
from app.views.fields import ExactDecimalField

log = logging.getLogger(__name__)

LABELS = {
    "number": _l("Number"),
    "account": _l("Account"),
    "account.ref": _l("Account"),
    "customer": _l("Customer"),
    "period_start": _l("Period from"),
    "period_end": _l("Period to"),
    "months": _l("Bill frequency"),
    "issue_date": _l("Issue date"),
    "due_date": _l("Due date"),
    "currency": _l("Currency"),
    "subtotal": _l("Subtotal"),
    "tax": _l("VAT"),
    "total": _l("Total"),
    "balance_due": _l("Balance due"),
    "status": _l("Status"),
    "invoice": _l("Invoice"),
    "invoice.number": _l("Invoice"),
    "reason": _l("Reason"),
    "requested_by": _l("Requested by"),
    "requested_at": _l("Requested"),
    "decided_by": _l("Decided by"),
    "decided_at": _l("Decided"),
    "run_date": _l("Bill date"),
    "username": _l("User"),
    "started_at": _l("Started"),
    "finished_at": _l("Finished"),
    "created": _l("Invoices created"),
    "already_billed": _l("Already billed"),
    "failed": _l("Not billed"),
    "run": _l("Bill run"),
    "kind": _l("Kind"),
    "channel": _l("Channel"),
    "language": _l("Language"),
    "subject": _l("Subject"),
    "body": _l("Message text"),
    "recipient": _l("Recipient"),
    "attempts": _l("Attempts"),
    "next_attempt_at": _l("Next attempt"),
    "last_error": _l("Last error"),
    "created_at": _l("Created"),
    "sent_at": _l("Sent"),
    "print_batch": _l("Print batch"),
    "documents": _l("Documents"),
    "pages": _l("Pages"),
    "amount": _l("Amount"),
    "decision_note": _l("Decision note"),
    "carried_from": _l("Rest of"),
    "approval": _l("Approval above"),
    "maximum": _l("Maximum"),
}


class InvoiceView(ScopedModelView):
    datamodel = SQLAInterface(Invoice)
    class_permission_name = INVOICES
    method_permission_name = {
        **VIEW_METHOD_PERMISSIONS,
        "pdf": "read",
        "credit": "write",
        "void": "write",
    }
    base_permissions = ["can_read", "can_write"]
    list_title = _l("Invoices")
    show_title = _l("Invoice")
    label_columns = LABELS
    formatters_columns = {
        "status": label_for(INVOICE_STATUS_LABELS),
        "issue_date": local_date,
        "due_date": local_date,
        "period_start": local_date,
        "months": ENUM_FORMATTERS["bill_every"],
        "total": local_amount,
        "balance_due": local_amount,
    }
    list_columns = [
        "number",
        "account.ref",
        "period_start",
        "months",
        "issue_date",
        "due_date",
        "currency",
        "total",
        "balance_due",
        "status",
    ]
    order_columns = ["number", "period_start", "issue_date", "due_date", "total", "status"]
    # indexed columns only: the invoice table grows by every account every month
    search_columns = ["number", "status", "issue_date", "due_date", "currency"]
    base_order = ("id", "desc")
    # invoices are made by bill runs and corrected by credit notes, never edited
    include_route_methods = {"list", "show", "pdf", "credit", "void"}

    def _invoice(self, pk) -> Invoice:
        try:
            return invoices.get(int(pk), current_region_ids())
        except (NotFound, ValueError):
            abort(404)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        invoice = self._invoice(pk)
        sm = self.appbuilder.sm
        can_decide = sm.has_access("can_write", CREDIT_NOTES)
        return self.render_template(
            "invoice.html",
            invoice=invoice,
            sections=_sections(invoice),
            title=invoice.number,
            can_write=sm.has_access("can_write", INVOICES),
            can_decide=can_decide,
            creditable=invoice.status in invoice_status.SETTLED,
            allocations=settlement.invoice_allocations(invoice.id),
            voidable=can_decide and invoice.status in invoices.VOIDABLE,
            pdf_url=url_for("InvoiceView.pdf", pk=invoice.id),
            forward=balance_forward.of_invoice(invoice),
            movement_label=balance_forward.label,
            reference=payment_reference.formatted(payment_reference.for_invoice(invoice.number)),
            payment_details=pdf.payment_details(invoice.customer.region, invoice.account_id),
        )

    @expose("/pdf/<pk>", methods=["GET"])
    @has_access
    def pdf(self, pk):
        """The bill as the customer got it: the stored PDF, checked against its checksum
        (marked VOID when the invoice is)."""
        invoice = self._invoice(pk)
        return _document(
            lambda: pdf.download_content(invoice),
            invoice.number,
            url_for("InvoiceView.show", pk=invoice.id),
        )

    @expose("/credit/<pk>", methods=["POST"])
    @has_access
    def credit(self, pk):
        invoice = self._invoice(pk)
        if not DynamicForm().validate_on_submit():
            abort(400)
        amounts = None
        if request.form.get("scope") == "lines":
            amounts = {
                int(key.removeprefix("amount-")): value
                for key, value in request.form.items()
                if key.startswith("amount-") and value.strip()
            }
            if not amounts:
                flash(str(_l("lines: give an amount for at least one line")), "danger")
                return redirect(url_for("InvoiceView.show", pk=invoice.id))
        try:
            note = invoices.request_credit(invoice, request.form.get("reason", ""), amounts)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(str(_l("Credit note of %(total)s asked for: it awaits approval",
                         total=local_amount(note.total))), "success")  # fmt: skip
        return redirect(url_for("InvoiceView.show", pk=invoice.id))

    @expose("/void/<pk>", methods=["POST"])
    @has_access
    def void(self, pk):
        invoice = self._invoice(pk)
        # voiding is billing staff's decision, like approving credit notes
        if not self.appbuilder.sm.has_access("can_write", CREDIT_NOTES):
            abort(403)
        return posted_change(
            lambda: invoices.void(invoice, request.form.get("reason", "")),
            lambda _void: _l("Invoice %(number)s is void", number=invoice.number),
            url_for("InvoiceView.show", pk=invoice.id),
        )


def _decision(decision: str, approve, reject) -> None:
    """A posted approve or reject (with its note) carried out, its outcome flashed."""
    if decision not in ("approve", "reject"):
        abort(404)
    if not DynamicForm().validate_on_submit():
        abort(400)
    text = request.form.get("note", "")
    try:
        done = approve(text) if decision == "approve" else reject(text)
    except DomainError as exc:
        flash(exc.message, "danger")
    else:
        flash(str(done), "success")


def _document(content, number: str, back: str) -> Response:
    """A stored document as a download; one that cannot be handed out (no longer matching
    its checksum, or drawn with errors) is withheld with the reason, back on its page."""
    try:
        return _pdf(content(), f"{number}.pdf")
    except pdf.DocumentTampered:
        # never hand out a document that is not the one the customer was sent
        log.error("%s: stored PDF does not match its SHA-256", number)
        flash(str(_l("The stored PDF does not match its checksum: it is withheld.")), "danger")
    except pdf.RenderFailed as exc:
        log.error("%s", exc)
        flash(str(_l("The PDF could not be drawn without errors: it is withheld.")), "danger")
    return redirect(back)


def _sections(invoice: Invoice) -> list[tuple[BillingAccount, list]]:
    """The invoice's lines by the account they bill, the paying account first."""
    sections: dict[int, tuple[BillingAccount, list]] = {}
    for line in invoice.lines:
        sections.setdefault(line.account_id, (line.account, []))[1].append(line)
    return list(sections.values())


class CreditNoteView(ScopedModelView):
    datamodel = SQLAInterface(CreditNote)
    class_permission_name = CREDIT_NOTES
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "decide": "write", "pdf": "read"}
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Credit notes")
    show_template = "credit_note_show.html"
    label_columns = LABELS
    formatters_columns = {
        "status": label_for(CREDIT_NOTE_STATUS_LABELS),
        "total": local_amount,
        "subtotal": local_amount,
        "tax": local_amount,
        "requested_at": local_datetime,
        "decided_at": local_datetime,
    }
    list_columns = [
        "number",
        "invoice.number",
        "status",
        "currency",
        "total",
        "reason",
        "requested_by",
        "requested_at",
        "decided_by",
    ]
    show_columns = [
        "number",
        "invoice",
        "status",
        "currency",
        "subtotal",
        "tax",
        "total",
        "reason",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    search_columns = ["number", "status", "requested_by"]
    base_order = ("id", "desc")
    include_route_methods = {"list", "show", "decide", "pdf"}

    def _note(self, pk) -> CreditNote:
        try:
            return invoices.credit_note(int(pk), current_region_ids())
        except (NotFound, ValueError):
            abort(404)

    def render_template(self, template, **kwargs):
        if template == self.show_template:
            note = self._note(kwargs["pk"])
            if note.number:
                kwargs["pdf_url"] = url_for("CreditNoteView.pdf", pk=note.id)
        return super().render_template(template, **kwargs)

    @expose("/pdf/<pk>", methods=["GET"])
    @has_access
    def pdf(self, pk):
        """An approved credit note's document, in its account's language."""
        note = self._note(pk)
        if not note.number:
            abort(404)
        return _document(
            lambda: pdf.credit_note_content(note),
            note.number,
            url_for("CreditNoteView.show", pk=note.id),
        )

    @expose("/decide/<pk>/<decision>", methods=["POST"])
    @has_access
    def decide(self, pk, decision):
        note = self._note(pk)

        def approve(text):
            invoices.approve_credit(note, text or None)
            return _l("Credit note %(number)s approved", number=note.number)

        def reject(text):
            invoices.reject_credit(note, text)
            return _l("Credit note rejected")

        _decision(decision, approve, reject)
        return redirect(url_for("InvoiceView.show", pk=note.invoice_id))


class AdjustmentView(ScopedModelView):
    """Adjustments of every account in the user's regions, those awaiting approval first to
    find; each is decided on its account's billing page."""

    datamodel = SQLAInterface(Adjustment)
    class_permission_name = ADJUSTMENTS
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "decide": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Adjustments")
    label_columns = {**LABELS, "created_at": _l("When")}
    formatters_columns = {
        "status": label_for(ADJUSTMENT_STATUS_LABELS),
        "amount": local_amount,
        "created_at": local_datetime,
        "decided_at": local_datetime,
    }
    list_columns = [
        "created_at",
        "account.ref",
        "currency",
        "amount",
        "reason",
        "username",
        "status",
        "decided_by",
        "invoice.number",
    ]
    show_columns = [
        "account",
        "currency",
        "amount",
        "reason",
        "username",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
        "invoice",
        "carried_from",
    ]
    search_columns = ["status", "username", "currency", "created_at"]
    base_order = ("id", "desc")
    include_route_methods = {"list", "show", "decide"}

    @expose("/decide/<int:pk>/<decision>", methods=["POST"])
    @has_access
    def decide(self, pk, decision):
        try:
            adjustment = adjustments.get_adjustment(pk, current_region_ids())
        except NotFound:
            abort(404)

        def approve(text):
            adjustments.approve_adjustment(adjustment, text)
            return _l("Adjustment approved: it is on the next bill")

        def reject(text):
            adjustments.reject_adjustment(adjustment, text)
            return _l("Adjustment rejected")

        _decision(decision, approve, reject)
        return redirect(url_for("AccountBillingView.show", pk=adjustment.account_id))


class AdjustmentLimitView(AbonentModelView):
    """Per currency, set by supervisors: above `approval` an adjustment waits for a second
    person, above `maximum` it is refused."""

    datamodel = SQLAInterface(AdjustmentLimit)
    class_permission_name = ADJUSTMENT_LIMITS
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Adjustment limits")
    add_title = _l("Add adjustment limits")
    edit_title = _l("Edit adjustment limits")
    label_columns = LABELS
    formatters_columns = {"approval": local_amount, "maximum": local_amount}
    list_columns = ["currency", "approval", "maximum"]
    show_columns = add_columns = edit_columns = list_columns
    add_form_extra_fields = edit_form_extra_fields = {
        "approval": ExactDecimalField(_l("Approval above")),
        "maximum": ExactDecimalField(_l("Maximum")),
    }
    base_order = ("currency", "asc")
    include_route_methods = {"list", "show", "add", "edit", "delete"}

    def apply_rules(self, item):
        adjustments.prepare_limit(item)


class BillRunErrorView(ScopedModelView):
    datamodel = SQLAInterface(BillRunError)
    class_permission_name = BILL_RUNS
    base_permissions = ["can_read"]
    list_title = show_title = _l("Accounts not billed")
    label_columns = LABELS
    list_columns = ["account.ref", "reason"]
    # not the accounts as a drop-down: it would hold every account
    search_columns = ["reason"]
    include_route_methods = {"list"}


class BillRunView(AbonentModelView):
    datamodel = SQLAInterface(BillRun)
    class_permission_name = BILL_RUNS
    base_permissions = ["can_read"]
    list_title = show_title = _l("Bill runs")
    label_columns = LABELS
    formatters_columns = {
        "status": label_for(BILL_RUN_STATUS_LABELS),
        "run_date": local_date,
        "started_at": local_datetime,
        "finished_at": local_datetime,
    }
    list_columns = [
        "run_date",
        "status",
        "username",
        "started_at",
        "finished_at",
        "created",
        "already_billed",
        "failed",
    ]
    show_columns = [*list_columns, "reason"]
    search_columns = ["run_date", "status", "username"]
    related_views = [BillRunErrorView, InvoiceView]
    base_order = ("id", "desc")
    include_route_methods = {"list", "show"}


class AccountBillingView(BaseView):
    """One account's billing: its next bill as it stands, its invoices, what staff put on
    its next bill."""

    route_base = "/billing/account"
    class_permission_name = INVOICES
    method_permission_name = {"show": "read", "adjust": "write", "discount": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "show"

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        account = visible_account(pk)
        today = utcnow().date()
        run_date = runs.next_bill_date(account, today)
        preview, refusal = None, None
        try:
            run_date = validation.check_date("date", request.args.get("date", "")) or run_date
        except DomainError as exc:
            flash(exc.message, "danger")
        try:
            preview = runs.preview(account, run_date)
        except BillRefused as exc:
            refusal = exc.reason
        except DomainError as exc:
            refusal = exc.message
        return self.render_template(
            "account_billing.html",
            account=account,
            run_date=run_date,
            preview=preview,
            refusal=refusal,
            invoices=invoices.account_invoices([account.id]),
            adjustments=adjustments.pending_adjustments([account.id]),
            can_decide=self.appbuilder.sm.has_access("can_write", ADJUSTMENTS),
            discounts=adjustments.account_discounts([account.id]),
            frequency_change=bill_frequency.coming_change(account, today),
            catalog=adjustments.discount_catalog(),
            can_write=self.appbuilder.sm.has_access("can_write", INVOICES),
            title=account.ref,
        )

    @expose("/<int:pk>/adjust", methods=["POST"])
    @has_access
    def adjust(self, pk):
        return self._change(
            pk,
            lambda account, form: adjustments.add_adjustment(
                account, form.get("amount", ""), form.get("reason", "")
            ),
            lambda adjustment: (
                _l("The adjustment is above the limit: it awaits approval by someone else")
                if adjustment.status == AdjustmentStatus.PENDING
                else _l("The adjustment is on the next bill")
            ),
        )

    @expose("/<int:pk>/discount", methods=["POST"])
    @has_access
    def discount(self, pk):
        return self._change(
            pk,
            lambda account, form: adjustments.grant_discount(
                account,
                form.get("discount", ""),
                validation.check_date("starts_on", form.get("starts_on", "")),
            ),
            lambda _grant: _l("The discount is granted"),
        )

    def _change(self, pk, change, done):
        """Apply a form's change to the account, then show its billing page again with the
        outcome (`done` words it from what the change made)."""
        account = visible_account(pk)
        return posted_change(
            lambda: change(account, request.form),
            done,
            url_for("AccountBillingView.show", pk=account.id),
        )


class CommunicationView(ScopedModelView):
    datamodel = SQLAInterface(Communication)
    class_permission_name = COMMUNICATIONS
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Communications")
    label_columns = LABELS
    formatters_columns = {
        "status": label_for(COMMUNICATION_STATUS_LABELS),
        "kind": label_for(COMMUNICATION_KIND_LABELS),
        "channel": label_for(CHANNEL_LABELS),
        "created_at": local_datetime,
        "sent_at": local_datetime,
        "next_attempt_at": local_datetime,
    }
    list_columns = [
        "created_at",
        "account.ref",
        "kind",
        "channel",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    show_columns = [
        "account",
        "invoice",
        "kind",
        "channel",
        "language",
        "subject",
        "body",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "print_batch",
    ]
    search_columns = ["status", "created_at"]
    base_order = ("id", "desc")
    include_route_methods = {"list", "show", "action", "action_post", "letter"}
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "retry": "write", "letter": "read"}

    @expose("/letter/<int:pk>", methods=["GET"])
    @has_access
    def letter(self, pk):
        """A dunning letter's PDF as the customer got it."""
        try:
            return _document(
                lambda: letters.download(pk, current_region_ids()),
                f"letter-{pk}",
                url_for("CommunicationView.show", pk=pk),
            )
        except NotFound:
            abort(404)

    @action("retry", _l("Send again"), _l("Send the selected emails again?"), "fa-refresh")
    def retry(self, items):
        items = items if isinstance(items, list) else [items]
        sent = delivery.retry([item.id for item in items])
        flash(str(_l("Emails to send again: %(n)s", n=sent)), "success")
        return redirect(request.referrer or url_for("CommunicationView.list"))


class PrintBatchView(ScopedModelView):
    datamodel = SQLAInterface(PrintBatch)
    class_permission_name = PRINT_BATCHES
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "make": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = show_title = _l("Print batches")
    label_columns = LABELS
    formatters_columns = {"created_at": local_datetime}
    list_columns = ["id", "created_at", "username", "documents", "pages"]
    show_columns = list_columns
    base_order = ("id", "desc")
    list_template = "print_batch_list.html"
    include_route_methods = {"list", "show", "download", "make"}
    # its own download: the batch's letters as one PDF
    exclude_route_methods = set()

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs["waiting"] = delivery.paper_waiting(current_region_ids())
        return super().render_template(template, **kwargs)

    @expose("/make", methods=["POST"])
    @has_access
    def make(self):
        if not DynamicForm().validate_on_submit():
            abort(400)
        try:
            batch = delivery.print_batch(current_region_ids())
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("PrintBatchView.list"))
        flash(str(_l("Print batch of %(n)s letters made", n=batch.documents)), "success")
        return redirect(url_for("PrintBatchView.download", pk=batch.id))

    @expose("/download/<int:pk>", methods=["GET"])
    @has_access
    def download(self, pk):
        try:
            batch = delivery.get_batch(pk, current_region_ids())
        except NotFound:
            abort(404)
        return _pdf(delivery.batch_content(batch), f"print-batch-{batch.id}.pdf")


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def register(appbuilder) -> None:
    appbuilder.add_view(
        InvoiceView,
        INVOICES,
        label=_l("Invoices"),
        icon="fa-file-invoice",
        category=BILLING_MENU,
        category_label=_l("Billing"),
        category_icon="fa-file-invoice-dollar",
    )
    appbuilder.add_view(
        CreditNoteView,
        CREDIT_NOTES,
        label=_l("Credit notes"),
        icon="fa-undo",
        category=BILLING_MENU,
    )
    appbuilder.add_view(
        AdjustmentView,
        ADJUSTMENTS,
        label=_l("Adjustments"),
        icon="fa-plus-minus",
        category=BILLING_MENU,
    )
    appbuilder.add_view(
        BillRunView,
        BILL_RUNS,
        label=_l("Bill runs"),
        icon="fa-play-circle",
        category=BILLING_MENU,
    )
    appbuilder.add_view_no_menu(BillRunErrorView)
    appbuilder.add_view(
        AdjustmentLimitView,
        ADJUSTMENT_LIMITS,
        label=_l("Adjustment limits"),
        icon="fa-sliders",
        category=BILLING_MENU,
    )
    appbuilder.add_view(
        CommunicationView,
        COMMUNICATIONS,
        label=_l("Communications"),
        icon="fa-envelope",
        category=BILLING_MENU,
    )
    appbuilder.add_view(
        PrintBatchView,
        PRINT_BATCHES,
        label=_l("Print batches"),
        icon="fa-print",
        category=BILLING_MENU,
    )
    appbuilder.add_view_no_menu(AccountBillingView)
