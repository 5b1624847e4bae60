"""Admin screens of the CRM core. Rules live in app/services/crm/customers.py."""

from flask import Response, abort, flash, redirect, stream_with_context, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Optional

from app.models.crm import (
    CREDIT_CLASS_CODES,
    LANGUAGE_CODES,
    BillingAccount,
    Contact,
    Customer,
    CustomerKind,
    CustomerStatus,
    DeliveryChannel,
    PaymentMode,
    Region,
    Service,
    ServiceProductChange,
    ServiceStatusChange,
)
from app.security import (
    ACCOUNTS,
    ADMIN_MENU,
    CONTACTS,
    CRM_MENU,
    CUSTOMERS,
    REGIONS,
    SERVICES,
    VIEW_METHOD_PERMISSIONS,
    RegionScope,
)
from app.services.crm import customers, regions
from app.services.crm.identity import DOCUMENT_TYPES
from app.services.dataio import exports
from app.services.overview import customer360
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.services.portal import accounts as portal_accounts
from app.views.base import AbonentModelView, ScopedModelView
from app.views.display import (
    BILL_EVERY_LABELS,
    CHANNEL_LABELS,
    ENUM_FORMATTERS,
    KIND_LABELS,
    LANGUAGE_NAMES,
    MODE_LABELS,
    STATUS_LABELS,
    local_datetime,
)
from app.views.fields import ExactDecimalField, select_field, text_field
from app.views.interactions import timeline_args, timeline_context
from app.views.usage import UsageView


def typed_refs(fields, refs: dict[str, str]) -> list[str]:
    """Form columns where each relationship is typed as its business reference, so no form
    loads a whole table into a drop-down."""
    return [refs.get(field, field) for field in fields]


COMMON_LABELS = {
    "ref": _l("Reference"),
    "name": _l("Name"),
    "code": _l("Code"),
    "kind": _l("Kind"),
    "status": _l("Status"),
    "region": _l("Region"),
    "language": _l("Language"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "street": _l("Street"),
    "city": _l("City"),
    "postcode": _l("Postcode"),
    "birth_date": _l("Birth date"),
    "document_type": _l("Document type"),
    "document_number": _l("Document number"),
    "tax_number": _l("Tax number"),
    "parent": _l("Parent company"),
    "parent_ref": _l("Parent company"),
    "customer": _l("Customer"),
    "customer_ref": _l("Customer"),
    "payment_mode": _l("Payment mode"),
    "currency": _l("Currency"),
    "bill_day": _l("Bill day"),
    "bill_every": _l("Bill frequency"),
    "bill_to": _l("Bill to"),
    "bill_to_ref": _l("Bill to"),
    "delivery_channel": _l("Delivery channel"),
    "credit_limit": _l("Credit limit"),
    "credit_class": _l("Credit class"),
    "service_id": _l("Number"),
    "account": _l("Account"),
    "account_ref": _l("Account"),
    "product_code": _l("Product"),
    "activated_on": _l("Activated on"),
    "terminated_on": _l("Terminated on"),
    "country": _l("Country"),
    "timezone": _l("Timezone"),
    "vat_rate": _l("VAT rate (%)"),
    "role": _l("Role"),
    "is_primary": _l("Primary contact"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
}


class RegionView(AbonentModelView):
    datamodel = SQLAInterface(Region)
    class_permission_name = REGIONS
    list_title = show_title = _l("Regions")
    add_title = _l("Add region")
    edit_title = _l("Edit region")
    formatters_columns = ENUM_FORMATTERS
    label_columns = {
        **COMMON_LABELS,
        "legal_name": _l("Legal entity"),
        "legal_address": _l("Legal address"),
        "legal_tax_label": _l("Tax number label"),
        "legal_tax_number": _l("Tax number"),
        "legal_bank_account": _l("Bank account"),
        "bank_name": _l("Bank"),
        "bank_iban": _l("IBAN"),
        "bank_bic": _l("BIC"),
        "bank_account": _l("Account number"),
        "bank_code": _l("Bank code"),
        "bank_correspondent": _l("Correspondent account"),
        "sepa_creditor_id": _l("SEPA creditor identifier"),
    }
    list_columns = [
        "code",
        "name",
        "country",
        "timezone",
        "currency",
        "vat_rate",
        "language",
        "legal_name",
    ]
    # the operator's legal entity in the region: what its bills and credit notes print;
    # its bank details: what bills and their payment QR codes give customers to pay into
    add_columns = edit_columns = show_columns = [
        *list_columns[:-1],
        *regions.LEGAL_COLUMNS,
        *regions.BANK_COLUMNS,
    ]
    search_columns = ["code", "name", "country", "currency"]
    add_form_extra_fields = edit_form_extra_fields = {
        "language": select_field(_l("Language"), LANGUAGE_CODES, LANGUAGE_NAMES),
        "vat_rate": ExactDecimalField(_l("VAT rate (%)")),
        # optional on the form: a field left blank starts from the settings (OPERATOR_*)
        "legal_name": text_field(
            _l("Legal entity"), _l("The operator's company in this region, as its bills name it.")
        ),
        "legal_address": TextAreaField(
            _l("Legal address"),
            description=_l("One line a row."),
            validators=[Optional()],
            widget=BS3TextAreaFieldWidget(),
        ),
        "legal_tax_label": text_field(
            _l("Tax number label"),
            _l(
                "Printed before the tax number, as the country says it: Partita IVA, "
                "사업자등록번호, ИНН/КПП."
            ),
        ),
        "legal_tax_number": text_field(_l("Tax number")),
        "legal_bank_account": text_field(
            _l("Bank account"), _l("The account customers pay into, with its bank.")
        ),
        "bank_name": text_field(_l("Bank"), _l("The bank customers pay into, by its name.")),
        "bank_iban": text_field(_l("IBAN"), _l("Euro regions: the SEPA payment QR code's.")),
        "bank_bic": text_field(_l("BIC"), _l("Euro regions: the bank's SWIFT code.")),
        "bank_account": text_field(
            _l("Account number"),
            _l(
                "Rouble regions: the 20-digit settlement account (р/с). Won regions: the "
                "bank's prefix of the customers' virtual account numbers, 2 to 8 digits."
            ),
        ),
        "bank_code": text_field(
            _l("Bank code"),
            _l("Rouble regions: the bank's 9-digit БИК. Won regions: its 3-digit code."),
        ),
        "bank_correspondent": text_field(
            _l("Correspondent account"), _l("Rouble regions: the bank's 20-digit к/с.")
        ),
        "sepa_creditor_id": text_field(
            _l("SEPA creditor identifier"),
            _l("Euro regions: what direct debits collect under (e.g. IT58ZZZ0000012345678901)."),
        ),
    }
    base_order = ("code", "asc")

    def apply_rules(self, item):
        regions.prepare_region(item)


class CustomerView(ScopedModelView):
    datamodel = SQLAInterface(Customer)
    class_permission_name = CUSTOMERS
    # inviting a customer to the portal is work on the customer
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "invite": "write"}
    list_title = _l("Customers")
    show_title = _l("Customer")
    add_title = _l("Add customer")
    edit_title = _l("Edit customer")
    label_columns = COMMON_LABELS
    formatters_columns = ENUM_FORMATTERS
    list_columns = ["ref", "name", "kind", "region", "status", "email", "phone"]
    search_columns = [
        "ref",
        "name",
        "kind",
        "status",
        "region",
        "email",
        "phone",
        "document_number",
        "tax_number",
    ]
    rule_fields = {"parent": "parent_ref"}
    add_columns = edit_columns = typed_refs(customers.CUSTOMER_FIELDS, rule_fields)
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": select_field(_l("Kind"), list(CustomerKind), KIND_LABELS),
        "status": select_field(_l("Status"), list(CustomerStatus), STATUS_LABELS),
        "language": select_field(_l("Language"), LANGUAGE_CODES, LANGUAGE_NAMES, required=False),
        "document_type": select_field(_l("Document type"), DOCUMENT_TYPES, required=False),
        "parent_ref": text_field(
            _l("Parent company"), _l("Reference of the parent company, if any")
        ),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "region": [["id", RegionScope, None]],
    }
    base_order = ("name", "asc")

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk, self._base_filters)
        form.parent_ref.data = item.parent.ref if item.parent else ""

    def apply_rules(self, item):
        item.document_type = item.document_type or None
        customers.prepare_customer(item, getattr(item, "parent_ref", ""), current_region_ids())

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        shown, asked, before = timeline_args()
        try:
            view = customer360.load(int(pk), current_region_ids(), shown, before)
        except (NotFound, ValueError):
            abort(404)
        portal_user = portal_accounts.portal_user(view.customer)
        return self.render_template(
            "customer360.html",
            view=view,
            title=view.customer.name,
            appbuilder=self.appbuilder,
            portal_user=portal_user,
            portal_ready=portal_user is not None and portal_accounts.has_password(portal_user),
            **timeline_context(shown, asked),
        )

    @expose("/invite/<pk>", methods=["POST"])
    @has_access
    def invite(self, pk):
        """Invite the customer to the portal: their user, and an email to set a password."""
        customer = self.datamodel.get(pk, self._base_filters)
        if customer is None:
            abort(404)
        try:
            portal_accounts.invite(customer)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            flash(_l("The invitation to the portal is on its way to %(email)s",
                     email=customer.email), "success")  # fmt: skip
        return redirect(url_for("CustomerView.show", pk=customer.id))


class AccountView(ScopedModelView):
    datamodel = SQLAInterface(BillingAccount)
    class_permission_name = ACCOUNTS
    list_title = _l("Billing accounts")
    show_title = _l("Billing account")
    add_title = _l("Add billing account")
    edit_title = _l("Edit billing account")
    label_columns = COMMON_LABELS
    formatters_columns = ENUM_FORMATTERS
    list_columns = [
        "ref", "customer", "payment_mode", "currency", "bill_day", "bill_every", "bill_to"
    ]  # fmt: skip
    show_columns = list(customers.ACCOUNT_FIELDS)
    search_columns = ["ref", "payment_mode", "currency", "bill_day", "delivery_channel"]
    rule_fields = {"customer": "customer_ref", "bill_to": "bill_to_ref"}
    add_columns = edit_columns = typed_refs(customers.ACCOUNT_FIELDS, rule_fields)
    add_form_extra_fields = edit_form_extra_fields = {
        "customer_ref": text_field(_l("Customer"), _l("Reference of the customer")),
        "bill_to_ref": text_field(_l("Bill to"), _l("Account that pays this account's charges")),
        "payment_mode": select_field(_l("Payment mode"), list(PaymentMode), MODE_LABELS),
        "delivery_channel": select_field(
            _l("Delivery channel"), list(DeliveryChannel), CHANNEL_LABELS
        ),
        "language": select_field(_l("Language"), LANGUAGE_CODES, LANGUAGE_NAMES, required=False),
        "credit_limit": ExactDecimalField(_l("Credit limit"), required=False),
        "credit_class": select_field(_l("Credit class"), CREDIT_CLASS_CODES, required=False),
        # blank: the paying account's frequency, or monthly; the service refuses other values
        "bill_every": select_field(
            _l("Bill frequency"), list(BILL_EVERY_LABELS), BILL_EVERY_LABELS, required=False
        ),
    }
    base_order = ("ref", "asc")

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk, self._base_filters)
        form.customer_ref.data = item.customer.ref
        form.bill_to_ref.data = item.bill_to.ref if item.bill_to else ""

    def apply_rules(self, item):
        item.language = item.language or None
        customers.prepare_account(
            item,
            getattr(item, "customer_ref", None),
            getattr(item, "bill_to_ref", ""),
            current_region_ids(),
        )


# a line's history is read, never written, and only from the lines of the user's regions;
# it is searched by its own columns (a line is found on its page, from the line list)
class ServiceStatusChangeView(ScopedModelView):
    datamodel = SQLAInterface(ServiceStatusChange)
    class_permission_name = SERVICES
    base_permissions = ["can_read"]
    include_route_methods = {"list", "show"}
    list_title = show_title = _l("Status history")
    label_columns = {
        **COMMON_LABELS,
        "at": _l("When"),
        "from_status": _l("From"),
        "to_status": _l("To"),
        "reason": _l("Reason"),
        "username": _l("User"),
    }
    formatters_columns = {
        "from_status": ENUM_FORMATTERS["status"],
        "to_status": ENUM_FORMATTERS["status"],
        "at": local_datetime,
    }
    list_columns = ["at", "from_status", "to_status", "reason", "username"]
    show_columns = list_columns
    search_columns = list_columns
    base_order = ("id", "desc")


class ServiceProductChangeView(ScopedModelView):
    datamodel = SQLAInterface(ServiceProductChange)
    class_permission_name = SERVICES
    base_permissions = ["can_read"]
    include_route_methods = {"list", "show"}
    list_title = show_title = _l("Product history")
    label_columns = {
        "at": _l("When"),
        "effective_on": _l("Effective from"),
        "from_product": _l("From product"),
        "to_product": _l("To product"),
        "reason": _l("Reason"),
        "username": _l("User"),
    }
    formatters_columns = {"at": local_datetime}
    list_columns = ["effective_on", "from_product", "to_product", "reason", "username", "at"]
    show_columns = list_columns
    search_columns = list_columns
    base_order = ("id", "desc")


class ServiceView(ScopedModelView):
    """Lines are read here; they come and change only through orders and provisioning."""

    datamodel = SQLAInterface(Service)
    class_permission_name = SERVICES
    base_permissions = ["can_read"]
    include_route_methods = {"list", "show", "export"}
    related_views = [ServiceStatusChangeView, ServiceProductChangeView, UsageView]
    list_title = _l("Services")
    show_title = _l("Service")
    label_columns = COMMON_LABELS
    formatters_columns = ENUM_FORMATTERS
    list_columns = ["service_id", "account", "product_code", "status", "activated_on"]
    show_columns = list(customers.SERVICE_FIELDS)
    search_columns = ["service_id", "product_code", "status", "activated_on", "terminated_on"]
    base_order = ("service_id", "asc")
    list_template = "service_list.html"

    @expose("/export.csv")
    @has_access
    def export(self):
        return Response(
            stream_with_context(
                exports.csv_lines("services", current_region_ids(), for_spreadsheet=True)
            ),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=services.csv"},
        )


class ContactView(ScopedModelView):
    datamodel = SQLAInterface(Contact)
    class_permission_name = CONTACTS
    list_title = _l("Contact persons")
    show_title = _l("Contact person")
    add_title = _l("Add contact person")
    edit_title = _l("Edit contact person")
    label_columns = COMMON_LABELS
    formatters_columns = ENUM_FORMATTERS
    list_columns = ["name", "customer", "role", "email", "phone", "is_primary"]
    show_columns = list_columns
    search_columns = ["name", "email", "phone"]
    rule_fields = {"customer": "customer_ref"}
    add_columns = edit_columns = typed_refs(customers.CONTACT_FIELDS, rule_fields)
    add_form_extra_fields = edit_form_extra_fields = {
        "customer_ref": text_field(_l("Customer"), _l("Reference of the customer")),
    }

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk, self._base_filters)
        form.customer_ref.data = item.customer.ref

    def apply_rules(self, item):
        customers.prepare_contact(item, getattr(item, "customer_ref", None), current_region_ids())


def register(appbuilder) -> None:
    appbuilder.add_view(
        CustomerView,
        CUSTOMERS,
        label=_l("Customers"),
        icon="fa-users",
        category=CRM_MENU,
        category_label=_l("CRM"),
        category_icon="fa-address-book",
    )
    appbuilder.add_view(
        AccountView, ACCOUNTS, label=_l("Billing accounts"), icon="fa-book", category=CRM_MENU
    )
    appbuilder.add_view(
        ServiceView, SERVICES, label=_l("Services"), icon="fa-phone", category=CRM_MENU
    )
    appbuilder.add_view_no_menu(ServiceStatusChangeView)
    appbuilder.add_view_no_menu(ServiceProductChangeView)
    appbuilder.add_view(
        ContactView, CONTACTS, label=_l("Contact persons"), icon="fa-id-card", category=CRM_MENU
    )
    appbuilder.add_view(
        RegionView,
        REGIONS,
        label=_l("Regions"),
        icon="fa-globe",
        category=ADMIN_MENU,
        category_label=_l("Administration"),
        category_icon="fa-cogs",
    )
