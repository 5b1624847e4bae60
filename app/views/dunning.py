"""Dunning screens (docs/dunning.md, "Screens"): the cases of the user's regions and what
was done in each, pausing and resuming a case, the customer's promise to pay; the policies
supervisors edit; the effectiveness figures; the hand-over to collection. The rules live
in app/services/dunning/; these pages collect input and show the outcome."""

from datetime import timedelta

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l

from app.models.crm import CREDIT_CLASS_CODES, LANGUAGE_CODES
from app.models.dunning import DEFAULT_CLASS, MESSAGES, CaseStatus, DunningAction
from app.models.types import utcnow
from app.security import (
    DUNNING_CASES,
    DUNNING_COLLECTION,
    DUNNING_EFFECTIVENESS,
    DUNNING_MENU,
    DUNNING_POLICIES,
)
from app.services.dunning import cases, collection, effectiveness, policies, templates
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import posted_change
from app.views.display import DUNNING_ACTION_LABELS, DUNNING_CASE_STATUS_LABELS, LANGUAGE_NAMES

PAGE_SIZE = 50
# the effectiveness page opens on this many days up to today
DEFAULT_PERIOD = timedelta(days=90)


def _case(pk: int):
    try:
        return cases.get(pk, current_region_ids())
    except NotFound:
        abort(404)


def _policy(pk: int):
    try:
        return policies.get(pk)
    except NotFound:
        abort(404)


def _step(step_id: int):
    try:
        return policies.get_step(step_id)
    except NotFound:
        abort(404)


class DunningCaseView(BaseView):
    """The cases of the user's regions, and one case's page with its decisions."""

    route_base = "/dunning/cases"
    class_permission_name = DUNNING_CASES
    method_permission_name = {
        "list": "read",
        "show": "read",
        "pause": "write",
        "resume": "write",
        "promise": "write",
        "cancel_promise": "write",
    }
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        args = request.args
        status = args.get("status", "")
        if status not in DUNNING_CASE_STATUS_LABELS:
            status = ""
        account_ref = args.get("account", "").strip()
        try:
            page = validation.check_whole_between("page", args.get("page") or "0", 0, 1_000_000)
        except DomainError as exc:
            abort(400, description=exc.message)
        found, total = cases.search(
            current_region_ids(), status or None, account_ref or None, page, PAGE_SIZE
        )
        return self.render_template(
            "dunning_case_list.html",
            cases=found,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            status=status,
            account_ref=account_ref,
            statuses=DUNNING_CASE_STATUS_LABELS,
            today=utcnow().date(),
            title=_l("Dunning cases"),
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        case = _case(pk)
        active = case.status in (CaseStatus.OPEN, CaseStatus.PAUSED)
        return self.render_template(
            "dunning_case.html",
            case=case,
            promise=cases.open_promise(case),
            can_write=self.appbuilder.sm.has_access("can_write", DUNNING_CASES),
            can_promise=active,
            today=utcnow().date(),
            title=str(case),
        )

    def _decide(self, pk, change, done):
        case = _case(pk)
        return posted_change(
            lambda: change(case, request.form),
            lambda _made: done,
            url_for("DunningCaseView.show", pk=case.id),
        )

    @expose("/<int:pk>/pause", methods=["POST"])
    @has_access
    def pause(self, pk):
        return self._decide(
            pk, lambda case, form: cases.pause(case, form.get("reason", "")), _l("Case paused")
        )

    @expose("/<int:pk>/resume", methods=["POST"])
    @has_access
    def resume(self, pk):
        return self._decide(
            pk, lambda case, form: cases.resume(case, form.get("reason", "")), _l("Case resumed")
        )

    @expose("/<int:pk>/promise", methods=["POST"])
    @has_access
    def promise(self, pk):
        return self._decide(
            pk,
            lambda case, form: cases.promise(
                case, form.get("pay_by", ""), form.get("amount", ""), form.get("note", "")
            ),
            _l("The promise to pay is recorded"),
        )

    @expose("/<int:pk>/promise/cancel", methods=["POST"])
    @has_access
    def cancel_promise(self, pk):
        return self._decide(
            pk,
            lambda case, form: cases.cancel_promise(case, form.get("reason", "")),
            _l("The promise to pay is cancelled"),
        )


class DunningPolicyView(BaseView):
    """The policies, read by staff who talk to customers and edited by supervisors."""

    route_base = "/dunning/policies"
    class_permission_name = DUNNING_POLICIES
    method_permission_name = {
        "list": "read",
        "show": "read",
        "create": "write",
        "update": "write",
        "delete": "write",
        "add_step": "write",
        "update_step": "write",
        "delete_step": "write",
        "set_template": "write",
        "delete_template": "write",
    }
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    def _can_write(self) -> bool:
        return self.appbuilder.sm.has_access("can_write", DUNNING_POLICIES)

    @expose("/")
    @has_access
    def list(self):
        return self.render_template(
            "dunning_policy_list.html",
            policies=policies.all_policies(),
            ordered=policies.ordered,
            classes=[DEFAULT_CLASS, *CREDIT_CLASS_CODES],
            can_write=self._can_write(),
            title=_l("Dunning policies"),
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        policy = _policy(pk)
        return self.render_template(
            "dunning_policy.html",
            policy=policy,
            steps=policies.ordered(policy.steps),
            minimums=policies.amounts_text(policy.minimums),
            fees_text=policies.amounts_text,
            missing=policies.missing_templates(policy),
            placeholders=templates.PLACEHOLDERS,
            actions=DUNNING_ACTION_LABELS,
            messages=MESSAGES,
            late_fee=DunningAction.LATE_FEE,
            languages=LANGUAGE_CODES,
            language_names=LANGUAGE_NAMES,
            default_class=DEFAULT_CLASS,
            can_write=self._can_write(),
            title=policy.name,
        )

    def _change(self, change, done, back):
        return posted_change(lambda: change(request.form), lambda _made: done, back)

    def _back(self, policy_id: int) -> str:
        return url_for("DunningPolicyView.show", pk=policy_id)

    @expose("/new", methods=["POST"])
    @has_access
    def create(self):
        if not DynamicForm().validate_on_submit():
            abort(400)
        form = request.form
        try:
            policy = policies.create(
                form.get("name", ""), form.get("credit_class", ""), form.get("minimums", "")
            )
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("DunningPolicyView.list"))
        flash(str(_l("Policy %(name)s created", name=policy.name)), "success")
        return redirect(self._back(policy.id))

    @expose("/<int:pk>/update", methods=["POST"])
    @has_access
    def update(self, pk):
        policy = _policy(pk)
        return self._change(
            lambda form: policies.update_policy(
                policy, form.get("name", ""), form.get("minimums", "")
            ),
            _l("Policy saved"),
            self._back(policy.id),
        )

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk):
        policy = _policy(pk)
        if not DynamicForm().validate_on_submit():
            abort(400)
        try:
            policies.delete(policy)
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(self._back(policy.id))
        flash(str(_l("Policy deleted")), "success")
        return redirect(url_for("DunningPolicyView.list"))

    @expose("/<int:pk>/steps", methods=["POST"])
    @has_access
    def add_step(self, pk):
        policy = _policy(pk)
        return self._change(
            lambda form: policies.add_step(
                policy,
                form.get("days", ""),
                form.get("action", ""),
                fees=form.get("fees", ""),
                subject=form.get("subject", ""),
                body=form.get("body", ""),
            ),
            _l("Step added"),
            self._back(policy.id),
        )

    @expose("/steps/<int:step_id>/update", methods=["POST"])
    @has_access
    def update_step(self, step_id):
        step = _step(step_id)
        return self._change(
            lambda form: policies.update_step(
                step, form.get("days", ""), form.get("action", ""), form.get("fees", "")
            ),
            _l("Step saved"),
            self._back(step.policy_id),
        )

    @expose("/steps/<int:step_id>/delete", methods=["POST"])
    @has_access
    def delete_step(self, step_id):
        step = _step(step_id)
        policy_id = step.policy_id
        return self._change(
            lambda _form: policies.delete_step(step), _l("Step deleted"), self._back(policy_id)
        )

    @expose("/steps/<int:step_id>/texts", methods=["POST"])
    @has_access
    def set_template(self, step_id):
        step = _step(step_id)
        return self._change(
            lambda form: policies.set_template(
                step, form.get("language", ""), form.get("subject", ""), form.get("body", "")
            ),
            _l("Text saved"),
            self._back(step.policy_id),
        )

    @expose("/steps/<int:step_id>/texts/<language>/delete", methods=["POST"])
    @has_access
    def delete_template(self, step_id, language):
        step = _step(step_id)
        return self._change(
            lambda _form: policies.delete_template(step, language),
            _l("Text deleted"),
            self._back(step.policy_id),
        )


class DunningEffectivenessView(BaseView):
    """Which steps get customers to pay: supervisors'."""

    route_base = "/dunning/effectiveness"
    class_permission_name = DUNNING_EFFECTIVENESS
    method_permission_name = {"report": "read"}
    base_permissions = ["can_read"]
    default_view = "report"

    @expose("/")
    @has_access
    def report(self):
        today = utcnow().date()
        args = request.args
        error = found = None
        start_text = args.get("from", (today - DEFAULT_PERIOD).isoformat())
        end_text = args.get("to", today.isoformat())
        try:
            start = validation.check_date("from", start_text.strip()) or today - DEFAULT_PERIOD
            last = validation.check_date("to", end_text.strip()) or today
            # the page asks for the last day included; the report's end is exclusive
            found = effectiveness.report(current_region_ids(), start, last + timedelta(days=1))
        except DomainError as exc:
            error = exc.message
        return self.render_template(
            "dunning_effectiveness.html",
            report=found,
            error=error,
            start=start_text,
            end=end_text,
            title=_l("Dunning effectiveness"),
        ), (200 if error is None else 400)


class DunningCollectionView(BaseView):
    """The cases whose lines were terminated, and their hand-over to the collection agency
    as a CSV download: billing staff's."""

    route_base = "/dunning/collection"
    class_permission_name = DUNNING_COLLECTION
    method_permission_name = {"waiting": "read", "hand_over": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "waiting"

    @expose("/")
    @has_access
    def waiting(self):
        return self.render_template(
            "dunning_collection.html",
            cases=collection.waiting(current_region_ids()),
            can_write=self.appbuilder.sm.has_access("can_write", DUNNING_COLLECTION),
            title=_l("Hand-over to collection"),
        )

    @expose("/hand-over", methods=["POST"])
    @has_access
    def hand_over(self):
        if not DynamicForm().validate_on_submit():
            abort(400)
        delivered: list[str] = []
        try:
            collection.hand_over(current_region_ids(), delivered.append)
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("DunningCollectionView.waiting"))
        filename = f"collection-{utcnow():%Y%m%d-%H%M%S}.csv"
        return Response(
            delivered[0],
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={filename}"},
        )


def register(appbuilder) -> None:
    appbuilder.add_view(
        DunningCaseView,
        DUNNING_CASES,
        label=_l("Dunning cases"),
        icon="fa-bell",
        category=DUNNING_MENU,
        category_label=_l("Dunning"),
        category_icon="fa-exclamation-triangle",
    )
    appbuilder.add_view(
        DunningPolicyView,
        DUNNING_POLICIES,
        label=_l("Dunning policies"),
        icon="fa-list-ol",
        category=DUNNING_MENU,
    )
    appbuilder.add_view(
        DunningEffectivenessView,
        DUNNING_EFFECTIVENESS,
        label=_l("Dunning effectiveness"),
        icon="fa-chart-bar",
        category=DUNNING_MENU,
    )
    appbuilder.add_view(
        DunningCollectionView,
        DUNNING_COLLECTION,
        label=_l("Hand-over to collection"),
        icon="fa-handshake",
        category=DUNNING_MENU,
    )
