"""Bank statement screens (docs/reconciliation.md): the unmatched queue, where Billing staff
find an entry no rule placed and assign it to an account (and one of its invoices) or send
it back to the payer; and the statements read, with their counts and entries. The rules
live in app/services/reconciliation/; these pages collect input and show the outcome."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l

from app.models.reconciliation import EntryStatus
from app.security import BANK_STATEMENTS, PAYMENTS_MENU, STATEMENT_IMPORTS_MENU
from app.services.billing import settlement
from app.services.crm import customers
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.services.reconciliation import queue
from app.views.display import local_amount

ENTRY_STATUS_LABELS = {
    EntryStatus.UNMATCHED: _l("Waiting"),
    EntryStatus.MATCHED: _l("Matched"),
    EntryStatus.RETURNED: _l("Returned to sender"),
}
MATCH_RULE_LABELS = {
    "invoice": _l("Invoice number"),
    "payment_reference": _l("Payment reference"),
    "account": _l("Account reference"),
    "staff": _l("Assigned by staff"),
}
SEARCH_FIELDS = ("text", "amount", "booked_from", "booked_to")


def _number(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


class BankStatementView(BaseView):
    """The unmatched queue, an entry's page, and the statements read."""

    route_base = "/payments/statements"
    class_permission_name = BANK_STATEMENTS
    method_permission_name = {
        "entries": "read",
        "entry": "read",
        "imports": "read",
        "assign": "write",
        "send_back": "write",
    }
    base_permissions = ["can_read", "can_write"]
    default_view = "entries"

    def _render(self, template: str, **context):
        return self.render_template(
            template,
            status_labels=ENTRY_STATUS_LABELS,
            rule_labels=MATCH_RULE_LABELS,
            can_write=self.appbuilder.sm.has_access("can_write", BANK_STATEMENTS),
            **context,
        )

    @expose("/", methods=["GET"])
    @has_access
    def entries(self):
        args = request.args
        status = args.get("status", EntryStatus.UNMATCHED) or None
        import_id = _number("import")
        statement = None
        page = _number("page") or 0
        try:
            if import_id is not None:
                statement = queue.get_import(import_id)
            criteria = queue.criteria(
                *(args.get(name, "") for name in SEARCH_FIELDS), status, import_id
            )
            found = queue.search(criteria, current_region_ids(), page)
        except NotFound:
            abort(404)
        except DomainError as exc:
            flash(exc.message, "danger")
            found = []
        return self._render(
            "statement_entries.html",
            entries=found,
            statement=statement,
            args={name: args.get(name, "") for name in SEARCH_FIELDS},
            status=status or "",
            import_id=import_id,
            page=page,
            more=len(found) == queue.PAGE,
            statuses=list(EntryStatus),
            title=_l("Bank statements"),
        )

    @expose("/entry/<int:pk>", methods=["GET"])
    @has_access
    def entry(self, pk):
        region_ids = current_region_ids()
        entry = self._entry(pk)
        text = request.args.get("account", "").strip()
        chosen, invoices = None, []
        if (account_id := _number("account_id")) is not None:
            try:
                chosen = customers.get_account(account_id, region_ids)
            except NotFound:
                abort(404)
            invoices = settlement.open_invoices(chosen.id)
        return self._render(
            "statement_entry.html",
            entry=entry,
            waiting=entry.status == EntryStatus.UNMATCHED,
            account_text=text,
            accounts=queue.accounts(text, region_ids),
            chosen=chosen,
            invoices=invoices,
            title=str(_l("Statement entry %(ref)s", ref=entry.bank_ref)),
        )

    @expose("/entry/<int:pk>/assign", methods=["POST"])
    @has_access
    def assign(self, pk):
        self._checked_form()
        form = request.form
        account_id, invoice_id = form.get("account_id", ""), form.get("invoice_id", "")
        try:
            if not account_id.isdigit():
                raise DomainError("account", _l("choose an account"))
            payment = queue.assign(
                pk,
                int(account_id),
                current_region_ids(),
                invoice_id=int(invoice_id) if invoice_id.isdigit() else None,
            )
        except NotFound:
            abort(404)
        except DomainError as exc:
            flash(exc.message, "danger")
            target = {"account_id": account_id} if account_id.isdigit() else {}
            return redirect(url_for("BankStatementView.entry", pk=pk, **target))
        flash(
            str(_l("Payment %(id)s of %(amount)s is recorded", id=payment.id,
                   amount=local_amount(payment.amount))),
            "success",
        )  # fmt: skip
        return redirect(url_for("BankStatementView.entry", pk=pk))

    @expose("/entry/<int:pk>/return", methods=["POST"])
    @has_access
    def send_back(self, pk):
        self._checked_form()
        try:
            queue.mark_returned(pk, request.form.get("note", ""), current_region_ids())
        except NotFound:
            abort(404)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(str(_l("The entry is marked returned to sender")), "success")
        return redirect(url_for("BankStatementView.entry", pk=pk))

    @expose("/imports", methods=["GET"])
    @has_access
    def imports(self):
        return self._render(
            "statement_imports.html", imports=queue.imports(), title=_l("Statement imports")
        )

    def _entry(self, pk):
        try:
            return queue.get(pk, current_region_ids())
        except NotFound:
            abort(404)

    @staticmethod
    def _checked_form():
        if not DynamicForm().validate_on_submit():
            abort(400)


def register(appbuilder) -> None:
    appbuilder.add_view(
        BankStatementView,
        BANK_STATEMENTS,
        label=_l("Bank statements"),
        icon="fa-building-columns",
        category=PAYMENTS_MENU,
    )
    appbuilder.add_link(
        STATEMENT_IMPORTS_MENU,
        label=_l("Statement imports"),
        href="/payments/statements/imports",
        icon="fa-file-import",
        category=PAYMENTS_MENU,
    )
