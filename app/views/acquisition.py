"""Customer acquisition screens: the application form, an application's page (checks,
credit decision, history, review and acceptance), the review queue, and the policy
supervisors keep: blacklist, credit rules and the terms of each credit class. The rules
live in app/services/acquisition/applications.py and app/services/acquisition/policy.py."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fieldwidgets import Select2ManyWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import format_currency
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField, SelectField, SelectMultipleField

from app.models.acquisition import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    BlacklistEntry,
    CreditClass,
    CreditRule,
    CreditTerms,
)
from app.security import (
    ACQUISITION_MENU,
    APPLICATION_REVIEW,
    APPLICATIONS,
    CREDIT_POLICY,
    VIEW_METHOD_PERMISSIONS,
)
from app.services.acquisition import applications, policy
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import AbonentModelView, ScopedModelView
from app.views.display import (
    APPLICATION_STATUS_LABELS,
    BLACKLIST_LABELS,
    DOCUMENT_LABELS,
    HISTORY_LABELS,
    KIND_LABELS,
    LANGUAGE_NAMES,
    MODE_LABELS,
    SEX_LABELS,
    label_for,
    local_datetime,
)
from app.views.fields import choices, text_field

LABELS = {
    "ref": _l("Application"),
    "name": _l("Name"),
    "kind": _l("Kind"),
    "region": _l("Region"),
    "status": _l("Status"),
    "credit_class": _l("Credit class"),
    "created_at": _l("Created"),
    "created_by": _l("Created by"),
    "document_number": _l("Document number"),
    "phone": _l("Phone"),
    "email": _l("Email"),
    "value": _l("Value"),
    "reason": _l("Reason"),
    "position": _l("Position"),
    "customer_kind": _l("Customer kind"),
    "credit_history": _l("Credit history"),
    "currency": _l("Currency"),
    "min_income": _l("Income from"),
    "max_income": _l("Income up to"),
    "min_debt_ratio": _l("Debt/income from"),
    "max_debt_ratio": _l("Debt/income up to"),
    "description": _l("Description"),
    "credit_limit": _l("Credit limit"),
    "deposit": _l("Deposit"),
    "updated_at": _l("Updated"),
    "code": _l("Credit class"),
    "max_lines": _l("Open lines allowed per account"),
    "payment_modes": _l("Payment modes"),
    "accepts": _l("Accepts customers"),
    "terms": _l("Credit limit / deposit"),
}


class ApplicationForm(DynamicForm):
    kind = SelectField(_l("Kind"), choices=choices(KIND_LABELS), widget=Select2Widget())
    name = text_field(_l("Name"), _l("The person's full name, or the company's"))
    birth_date = text_field(_l("Birth date"), _l("YYYY-MM-DD; individuals"))
    sex = SelectField(
        _l("Sex"),
        description=_l("As on the identity document; individuals"),
        choices=choices(SEX_LABELS, blank=True),
        widget=Select2Widget(),
    )
    country = text_field(_l("Country"), _l("ISO code of the document's country: IT, KR, RU, …"))
    document_type = SelectField(
        _l("Document"), choices=choices(DOCUMENT_LABELS), widget=Select2Widget()
    )
    document_number = text_field(_l("Document number"))
    email = text_field(_l("Email"))
    phone = text_field(_l("Phone"))
    street = text_field(_l("Street"))
    city = text_field(_l("City"))
    postcode = text_field(_l("Postcode"))
    iban = text_field(_l("IBAN"), _l("Optional: the account direct debits would come from"))
    region = SelectField(_l("Region"), widget=Select2Widget(), validate_choice=False)
    monthly_income = text_field(_l("Monthly income"), _l("Declared, in the region's currency"))
    existing_debt = text_field(_l("Existing debt"), _l("Declared, in the region's currency"))
    credit_history = SelectField(
        _l("Credit history"), choices=choices(HISTORY_LABELS), widget=Select2Widget()
    )
    language = SelectField(_l("Language"), widget=Select2Widget(), validate_choice=False)
    product_codes = SelectMultipleField(
        _l("Products"),
        description=_l("What the applicant asks for; the offer may hold others"),
        widget=Select2ManyWidget(),
        validate_choice=False,  # the service names a product it does not know
    )
    consent = BooleanField(_l("The applicant agrees to the checks"))


class ApplicationView(ScopedModelView):
    datamodel = SQLAInterface(Application)
    class_permission_name = APPLICATIONS
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "new": "write", "accept": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = _l("Applications")
    label_columns = LABELS
    formatters_columns = {
        "status": label_for(APPLICATION_STATUS_LABELS),
        "kind": label_for(KIND_LABELS),
        "created_at": local_datetime,
    }
    list_columns = ["ref", "name", "kind", "region", "status", "credit_class", "created_at"]
    # indexed columns only
    search_columns = ["ref", "status", "document_number", "phone", "email"]
    base_order = ("id", "desc")
    # applications change only through their page's decisions, never by editing
    include_route_methods = {"list", "show", "new", "accept"}

    def _application(self, pk) -> Application:
        try:
            return applications.get(int(pk), current_region_ids())
        except (NotFound, ValueError):
            abort(404)

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        form = ApplicationForm()
        regions, products = applications.form_choices(current_region_ids())
        form.region.choices = [(r.code, f"{r.code} · {r.name}") for r in regions]
        form.product_codes.choices = [
            (p.code, f"{p.code} · {p.name} ({p.currency})") for p in products
        ]
        form.language.choices = choices(LANGUAGE_NAMES)
        if request.method == "POST" and form.validate_on_submit():
            try:
                application = applications.submit(_form_data(form), ApplicationSource.STAFF)
            except applications.InvalidApplication as exc:
                for field, reason in exc.errors.items():
                    if field in form:
                        form[field].errors = [reason]
                    else:
                        flash(f"{field}: {reason}", "danger")
            else:
                return redirect(url_for("ApplicationView.show", pk=application.id))
        return self.render_template("application_new.html", form=form, title=_l("New application"))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        application = self._application(pk)
        sm = self.appbuilder.sm
        return self.render_template(
            "application.html",
            application=application,
            offer=applications.offer(application),
            mode_labels=MODE_LABELS,
            can_accept=sm.has_access("can_write", APPLICATIONS)
            and application.status == ApplicationStatus.PASSED,
            can_review=sm.has_access("can_write", APPLICATION_REVIEW)
            and application.status == ApplicationStatus.REVIEW,
            title=application.ref,
        )

    @expose("/accept/<pk>", methods=["POST"])
    @has_access
    def accept(self, pk):
        application = self._application(pk)
        try:
            applications.accept(
                application,
                request.form.getlist("product_codes"),
                request.form.get("payment_mode") or None,
            )
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("ApplicationView.show", pk=application.id))
        flash(_l("Customer, account and draft order are open"), "success")
        return redirect(url_for("OrderView.show", pk=application.order_id))


def _form_data(form: ApplicationForm) -> dict:
    """What the form says, as the API would send it: blanks left out."""
    data = {}
    for name in applications.FIELDS:
        value = form[name].data
        if isinstance(value, str):
            value = value.strip()
        if value not in ("", None, []):
            data[name] = value
    return data


class ApplicationReviewView(BaseView):
    """Applications waiting for a supervisor, and the decision on one."""

    route_base = "/acquisition/review"
    class_permission_name = APPLICATION_REVIEW
    method_permission_name = {"queue": "write", "decide": "write"}
    base_permissions = ["can_write"]
    default_view = "queue"

    @expose("/", methods=["GET"])
    @has_access
    def queue(self):
        waiting = applications.waiting_for_review(current_region_ids())
        return self.render_template(
            "application_queue.html", applications=waiting, title=_l("Review queue")
        )

    @expose("/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        try:
            application = applications.get(pk, current_region_ids())
            approve = request.form.get("decision") == "approve"
            applications.decide(application, approve, request.form.get("comment", ""))
        except NotFound:
            abort(404)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(_l("Approved") if approve else _l("Rejected"), "success")
        return redirect(url_for("ApplicationView.show", pk=pk))


class PolicyView(AbonentModelView):
    """Part of the acquisition policy: read by staff, written by supervisors."""

    class_permission_name = CREDIT_POLICY
    base_permissions = ["can_read", "can_write"]
    label_columns = LABELS
    include_route_methods = {"list", "show", "add", "edit", "delete"}


def _terms_text(terms: list[CreditTerms]) -> Markup:
    """A line per currency: credit limit / deposit."""
    lines = [
        f"{format_currency(t.credit_limit, t.currency)} / {format_currency(t.deposit, t.currency)}"
        for t in terms
    ]
    return Markup("<br>").join(lines) if lines else "—"


class CreditClassView(PolicyView):
    """The five classes are fixed (rules and products name them); what each allows is not."""

    datamodel = SQLAInterface(CreditClass)
    list_title = show_title = _l("Credit classes")
    edit_title = _l("Edit credit class")
    formatters_columns = {
        "accepts": lambda value: _l("Yes") if value else _l("No"),
        "payment_modes": lambda modes: ", ".join(str(MODE_LABELS[m]) for m in modes) or "—",
        "terms": _terms_text,
    }
    list_columns = ["code", "accepts", "payment_modes", "max_lines", "terms", "description"]
    show_columns = list_columns
    edit_columns = ["accepts", "payment_modes", "max_lines", "description"]
    edit_form_extra_fields = {
        "payment_modes": SelectMultipleField(
            _l("Payment modes"),
            description=_l("What an applicant given this class may choose"),
            choices=choices(MODE_LABELS),
            widget=Select2ManyWidget(),
        )
    }
    base_order = ("code", "asc")
    include_route_methods = {"list", "show", "edit"}

    def apply_rules(self, item):
        policy.prepare_credit_class(item)


class BlacklistView(PolicyView):
    datamodel = SQLAInterface(BlacklistEntry)
    list_title = _l("Blacklist")
    add_title = _l("Add to the blacklist")
    edit_title = _l("Edit blacklist entry")
    formatters_columns = {"kind": label_for(BLACKLIST_LABELS), "created_at": local_datetime}
    list_columns = ["kind", "value", "reason", "created_at"]
    show_columns = ["kind", "value", "reason", "created_at", "updated_at"]
    add_columns = edit_columns = ["kind", "value", "reason"]
    search_columns = ["kind", "value"]
    base_order = ("id", "desc")

    def apply_rules(self, item):
        policy.prepare_blacklist_entry(item)


class CreditRuleView(PolicyView):
    datamodel = SQLAInterface(CreditRule)
    list_title = _l("Credit rules")
    add_title = _l("Add credit rule")
    edit_title = _l("Edit credit rule")
    formatters_columns = {
        "customer_kind": label_for(KIND_LABELS),
        "credit_history": label_for(HISTORY_LABELS),
    }
    list_columns = [
        "position", "customer_kind", "credit_history", "min_income", "max_income",
        "currency", "min_debt_ratio", "max_debt_ratio", "credit_class", "description",
    ]  # fmt: skip
    show_columns = add_columns = edit_columns = list_columns
    base_order = ("position", "asc")

    def apply_rules(self, item):
        policy.prepare_credit_rule(item)


class CreditTermsView(PolicyView):
    datamodel = SQLAInterface(CreditTerms)
    list_title = _l("Credit terms")
    add_title = _l("Add credit terms")
    edit_title = _l("Edit credit terms")
    list_columns = ["credit_class", "currency", "credit_limit", "deposit"]
    show_columns = add_columns = edit_columns = list_columns
    base_order = ("credit_class_id", "asc")

    def apply_rules(self, item):
        policy.prepare_credit_terms(item)


def register(appbuilder) -> None:
    appbuilder.add_view(
        ApplicationView,
        APPLICATIONS,
        label=_l("Applications"),
        icon="fa-user-plus",
        category=ACQUISITION_MENU,
        category_label=_l("Acquisition"),
        category_icon="fa-user-plus",
    )
    appbuilder.add_link(
        "NewApplication",
        label=_l("New application"),
        href="/applicationview/new",
        icon="fa-plus",
        category=ACQUISITION_MENU,
    )
    appbuilder.add_view(
        ApplicationReviewView,
        "ReviewQueue",
        label=_l("Review queue"),
        icon="fa-gavel",
        category=ACQUISITION_MENU,
    )
    appbuilder.add_view(
        BlacklistView, "Blacklist", label=_l("Blacklist"), icon="fa-ban", category=ACQUISITION_MENU
    )
    appbuilder.add_view(
        CreditRuleView,
        "CreditRules",
        label=_l("Credit rules"),
        icon="fa-list",
        category=ACQUISITION_MENU,
    )
    appbuilder.add_view(
        CreditClassView,
        "CreditClasses",
        label=_l("Credit classes"),
        icon="fa-balance-scale",
        category=ACQUISITION_MENU,
    )
    appbuilder.add_view(
        CreditTermsView,
        "CreditTerms",
        label=_l("Credit terms"),
        icon="fa-coins",
        category=ACQUISITION_MENU,
    )
