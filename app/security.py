"""Roles, permissions and the password policy.

Permissions are (action, resource) pairs. Every Abonent screen and API maps its methods
onto two actions, `can_read` and `can_write`, so the role matrix below reads like a table.
Region scope (which customers a user sees) lives in app/services/platform/scoping.py.
"""

from flask import current_app, g, has_request_context, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_

from app.models.security import AbonentUser
from app.services.platform import passwords, sessions
from app.services.platform.actor import current_user_obj
from app.services.platform.scoping import current_region_ids, scoped
from app.services.platform.users import is_admin, manageable_condition, roles_of

READ, WRITE = "can_read", "can_write"

VIEW_METHOD_PERMISSIONS = {
    "list": "read",
    "show": "read",
    "download": "read",
    "export": "read",
    "add": "write",
    "edit": "write",
    "delete": "write",
    "action": "write",
    "action_post": "write",
}
API_METHOD_PERMISSIONS = {
    "get": "read",
    "get_list": "read",
    "post": "write",
    "put": "write",
    "delete": "write",
}

REGIONS, CUSTOMERS, CONTACTS = "Regions", "Customers", "Contacts"
ACCOUNTS, SERVICES = "Accounts", "Services"
AUDIT, IMPORTS, USERS = "AuditLog", "Imports", "Users"
CATALOG, CATALOG_MENU = "Catalog", "CatalogMenu"
NUMBERS = "Numbers"
USAGE = "Usage"
ORDERS, PROVISIONING = "Orders", "Provisioning"
INVOICES, CREDIT_NOTES, BILL_RUNS = "Invoices", "CreditNotes", "BillRuns"
ADJUSTMENTS, ADJUSTMENT_LIMITS = "Adjustments", "AdjustmentLimits"
COMMUNICATIONS, PRINT_BATCHES = "Communications", "PrintBatches"
CRM_MENU, ADMIN_MENU, BILLING_MENU = "CRM", "Administration", "BillingMenu"
# applications are taken by customer care; reviews and the credit policy (rule table,
# terms, blacklist) are the supervisors'
APPLICATIONS, APPLICATION_REVIEW = "Applications", "ApplicationReview"
CREDIT_POLICY, ACQUISITION_MENU = "CreditPolicy", "Acquisition"
# money coming in (issue 19): payments are taken at the counter by customer care and
# billing staff; refunds and reversals, the bank's statements, direct debit runs, voucher
# batches and receivables are billing's
PAYMENTS, PAYMENT_CORRECTIONS, PAYMENTS_MENU = "Payments", "PaymentCorrections", "PaymentsMenu"
ONLINE_PAYMENTS, BANK_STATEMENTS = "OnlinePayments", "BankStatements"
STATEMENT_IMPORTS_MENU = "StatementImports"  # a menu entry of BANK_STATEMENTS' pages
MANDATES, COLLECTIONS = "Mandates", "Collections"
VOUCHERS, RECEIVABLES = "Vouchers", "Receivables"
# dunning (issue 20): every staff member sees the cases of their regions, customer care and
# billing staff pause, resume and record promises; the policies are read by them and
# written by supervisors (as the credit rules); the effectiveness figures are the
# supervisors'; the hand-over to collection is billing's
DUNNING_CASES, DUNNING_POLICIES = "DunningCases", "DunningPolicies"
DUNNING_EFFECTIVENESS, DUNNING_COLLECTION = "DunningEffectiveness", "DunningCollection"
DUNNING_MENU = "DunningMenu"
# customer care (issue 21): every staff member sees the bill disputes of their regions;
# customer care opens them, billing staff decide them (never their own). Every staff
# member works trouble tickets (customer care takes the calls, technicians the faults,
# billing staff the billing complaints); the SLA targets and business hours are the
# supervisors'
# The interaction log is kept by those who talk to customers, customer care and billing
# staff, and read by them and supervisors; technicians work from their work orders and do
# not read customers' conversations or recordings.
CARE_MENU = "Care"
DISPUTES, DISPUTE_DECISIONS = "Disputes", "DisputeDecisions"
TICKETS, SLA_TARGETS = "Tickets", "SlaTargets"
INTERACTIONS = "Interactions"
# the knowledge base is read by every staff member and written by customer care (and so
# Supervisors); attaching an article to a ticket is work on the ticket
KNOWLEDGE = "Knowledge"
# The repair bureau's work orders and planned works are worked by Technicians and
# Supervisors and read by every staff member (customer care answers "when is the visit?");
# a Technician's own queue is a menu entry of theirs
WORK_ORDERS, PLANNED_WORKS, MY_WORK_ORDERS = "WorkOrders", "PlannedWorks", "MyWorkOrders"


def _reads(*resources):
    return [(READ, r) for r in resources]


def _writes(*resources):
    return [(WRITE, r) for r in resources]


def _menus(*names):
    return [("menu_access", n) for n in names]


SELF_SERVICE = [
    ("can_userinfo", USERS),
    ("resetmypassword", USERS),
    ("userinfoedit", USERS),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
]
API_DOCS = [("can_get", "OpenApi"), ("can_show", "SwaggerView"), ("can_get", "MenuApi")]
STAFF = (
    SELF_SERVICE
    + API_DOCS
    + _reads(REGIONS, CUSTOMERS, CONTACTS, ACCOUNTS, SERVICES, CATALOG)
    + _menus(CRM_MENU, CUSTOMERS, ACCOUNTS, SERVICES)
    + _menus(CATALOG_MENU, "Products", "RatePlans", "Discounts")
    + _menus("Rates", "PriceCall")
    + _reads(NUMBERS, ORDERS, PROVISIONING, USAGE)
    + _menus("NumberRanges", "PhoneNumbers", ORDERS, PROVISIONING, USAGE)
    + _reads(INVOICES, CREDIT_NOTES, ADJUSTMENTS, COMMUNICATIONS)
    + _menus(BILLING_MENU, INVOICES, CREDIT_NOTES, ADJUSTMENTS, COMMUNICATIONS)
    + _reads(PAYMENTS, ONLINE_PAYMENTS, MANDATES)
    + _menus(PAYMENTS_MENU, PAYMENTS, ONLINE_PAYMENTS, MANDATES)
    + _reads(DUNNING_CASES)
    + _menus(DUNNING_MENU, DUNNING_CASES)
    + _reads(DISPUTES, TICKETS)
    + _writes(TICKETS)
    + _menus(CARE_MENU, DISPUTES, TICKETS)
    + _reads(KNOWLEDGE)
    + _menus(KNOWLEDGE)
    + _reads(WORK_ORDERS, PLANNED_WORKS)
    + _menus(WORK_ORDERS, PLANNED_WORKS)
)
# a line's life moves only through orders and provisioning: nobody writes services directly;
# customer care and billing staff start online payments (a link for the customer);
# customer care asks for credit notes and adjusts next bills, billing staff decide the
# credit notes and the adjustments above their limit (never their own), void invoices,
# resend emails and print paper bills; supervisors set the adjustment limits
CSR = (
    STAFF
    + _writes(CUSTOMERS, CONTACTS, ACCOUNTS, ORDERS, INVOICES, APPLICATIONS, PAYMENTS)
    + _writes(ONLINE_PAYMENTS)
    + _reads(APPLICATIONS, CREDIT_POLICY)
    + _menus(CONTACTS, ACQUISITION_MENU, APPLICATIONS, "NewApplication", "Blacklist")
    + _menus("CreditClasses", "CreditRules", "CreditTerms")
    + _writes(MANDATES)
    + _writes(DUNNING_CASES)
    + _reads(DUNNING_POLICIES)
    + _menus(DUNNING_POLICIES)
    + _writes(DISPUTES)
    + _reads(INTERACTIONS)
    + _writes(INTERACTIONS)
    + _menus(CARE_MENU, INTERACTIONS)
    + _writes(KNOWLEDGE)
)
BILLING = (
    STAFF
    + _writes(ACCOUNTS, CATALOG, INVOICES, CREDIT_NOTES, ADJUSTMENTS, COMMUNICATIONS)
    + _writes(PRINT_BATCHES, ONLINE_PAYMENTS)
    + _reads(BILL_RUNS, PRINT_BATCHES)
    + _menus(BILL_RUNS, PRINT_BATCHES)
    + _writes(PAYMENTS, PAYMENT_CORRECTIONS, VOUCHERS)
    + _reads(VOUCHERS)
    + _menus(VOUCHERS)
    + _reads(RECEIVABLES)
    + _menus(RECEIVABLES)
    + _writes(MANDATES, COLLECTIONS)
    + _reads(COLLECTIONS)
    + _menus(COLLECTIONS)
    + _writes(BANK_STATEMENTS)
    + _reads(BANK_STATEMENTS)
    + _menus(BANK_STATEMENTS, STATEMENT_IMPORTS_MENU)
    + _writes(DUNNING_CASES, DUNNING_COLLECTION)
    + _reads(DUNNING_POLICIES, DUNNING_COLLECTION)
    + _menus(DUNNING_POLICIES, DUNNING_COLLECTION)
    + _writes(DISPUTE_DECISIONS)
    + _reads(INTERACTIONS)
    + _writes(INTERACTIONS)
    + _menus(CARE_MENU, INTERACTIONS)
)
# usage feeds come from network systems: their accounts are Technicians (or Supervisors)
TECHNICIAN = (
    STAFF
    + _writes(NUMBERS, PROVISIONING, USAGE)
    + _writes(WORK_ORDERS, PLANNED_WORKS)
    + _menus(MY_WORK_ORDERS)
)
USER_ADMIN = [
    ("can_list", USERS),
    ("can_show", USERS),
    ("can_add", USERS),
    ("can_edit", USERS),
    ("can_delete", USERS),
    ("resetpasswords", USERS),
    ("can_this_form_get", "ResetPasswordView"),
    ("can_this_form_post", "ResetPasswordView"),
    ("can_list", "RoleModelView"),
    ("can_show", "RoleModelView"),
    ("can_add", "RoleModelView"),
    ("can_edit", "RoleModelView"),
    ("can_delete", "RoleModelView"),
    ("copyrole", "RoleModelView"),
    ("can_list", "PermissionModelView"),
    ("can_list", "ViewMenuModelView"),
    ("can_list", "PermissionViewModelView"),
    ("can_chart", "UserStatsChartView"),
    ("menu_access", "Security"),
    ("menu_access", "List Users"),
    ("menu_access", "List Roles"),
    ("menu_access", "User's Statistics"),
]
# imports and the audit trail hold rows of every region: only for those who see them all
SUPERVISOR = (
    CSR
    + BILLING
    + USER_ADMIN
    + _writes(REGIONS, NUMBERS, PROVISIONING, USAGE, APPLICATION_REVIEW, CREDIT_POLICY)
    + _reads(AUDIT, IMPORTS, ADJUSTMENT_LIMITS)
    + _writes(ADJUSTMENT_LIMITS)
    + _menus("ReviewQueue", ADJUSTMENT_LIMITS)
    + _menus(ADMIN_MENU, REGIONS, AUDIT, IMPORTS)
    + _writes(DUNNING_POLICIES)
    + _reads(DUNNING_EFFECTIVENESS)
    + _menus(DUNNING_EFFECTIVENESS)
    + _reads(SLA_TARGETS)
    + _writes(SLA_TARGETS)
    + _menus(SLA_TARGETS)
    + _writes(WORK_ORDERS, PLANNED_WORKS)
)

ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    "Supervisor": SUPERVISOR,
    "CSR": CSR,
    "Billing": BILLING,
    "Technician": TECHNICIAN,
    "Customer": [],
}
STAFF_ROLES = ("Admin", "Supervisor", "CSR", "Billing", "Technician")


class RegionScope(BaseFilter):
    """A FAB base filter limiting a screen's or API's rows to the user's regions."""

    name = "region scope"
    arg_name = "region_scope"

    def apply(self, query, value):
        return scoped(query, self.model, current_region_ids())


def _held_permission_ids(user) -> list[int]:
    return [pv.id for role in roles_of(user) for pv in role.permissions]


def _ungrantable_role(role_model, user):
    """SQL condition: a role the user may not hand out, the user not being an Admin."""
    permission = role_model.permissions.property.mapper.class_
    held = _held_permission_ids(user) if user is not None else []
    return or_(
        role_model.name == current_app.config["AUTH_ROLE_ADMIN"],
        role_model.permissions.any(permission.id.not_in(held)),
    )


class GrantableRoles(BaseFilter):
    """Roles a user may hand out or edit: those holding only what the user holds (nobody
    grants more than they have), and never Admin unless the user is an Admin."""

    name = "grantable roles"
    arg_name = "grantable_roles"

    def apply(self, query, value):
        user = current_user_obj()
        if is_admin(user):
            return query
        return query.filter(~_ungrantable_role(self.model, user))


class GrantableGroups(BaseFilter):
    """Groups a user may put users into or edit: those whose roles are all grantable, as a
    group's members hold its roles."""

    name = "grantable groups"
    arg_name = "grantable_groups"

    def apply(self, query, value):
        user = current_user_obj()
        if is_admin(user):
            return query
        role = self.model.roles.property.mapper.class_
        return query.filter(~self.model.roles.any(_ungrantable_role(role, user)))


class GrantablePermissions(BaseFilter):
    """Permissions a user may put into a role: the ones the user holds."""

    name = "grantable permissions"
    arg_name = "grantable_permissions"

    def apply(self, query, value):
        user = current_user_obj()
        if is_admin(user):
            return query
        return query.filter(self.model.id.in_(_held_permission_ids(user) if user else []))


class ManageableUsers(BaseFilter):
    """The user screens list only the users the signed-in user may change."""

    name = "manageable users"
    arg_name = "manageable_users"

    def apply(self, query, value):
        return query.filter(manageable_condition(current_user_obj()))


def is_staff(user) -> bool:
    """Whether the user works in the admin screens (customers use the portal)."""
    return any(role.name in STAFF_ROLES for role in roles_of(user))


def password_policy(password: str) -> None:
    """FAB's password validator (user forms, password resets): the rules of
    app/services/platform/passwords.py."""
    reason = passwords.problem(password)
    if reason is not None:
        raise PasswordComplexityValidationError(reason)


class AbonentSecurityApi(SecurityApi):
    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        # FAB reads the provider without checking it was sent (a KeyError, 500)
        body = request.get_json(silent=True)
        if isinstance(body, dict) and "provider" not in body:
            return self.response_400(message={"provider": [str(_l("required"))]})
        return super().login()

    login.__doc__ = SecurityApi.login.__doc__


class AbonentSecurityManager(SecurityManager):
    user_model = AbonentUser
    security_api = AbonentSecurityApi

    # the views import this module, hence the late imports
    @property
    def userdbmodelview(self):
        from app.views.users import AbonentUserDBModelView

        return AbonentUserDBModelView

    @property
    def rolemodelview(self):
        from app.views.users import AbonentRoleModelView

        return AbonentRoleModelView

    @property
    def groupmodelview(self):
        from app.views.users import AbonentGroupModelView

        return AbonentGroupModelView

    @property
    def permissionmodelview(self):
        from app.views.users import AbonentPermissionModelView

        return AbonentPermissionModelView

    @property
    def viewmenumodelview(self):
        from app.views.users import AbonentViewMenuModelView

        return AbonentViewMenuModelView

    @property
    def permissionviewmodelview(self):
        from app.views.users import AbonentPermissionViewModelView

        return AbonentPermissionViewModelView

    @property
    def userstatschartview(self):
        from app.views.users import AbonentUserStatsChartView

        return AbonentUserStatsChartView

    @property
    def resetmypasswordview(self):
        from app.views.users import AbonentResetMyPasswordView

        return AbonentResetMyPasswordView

    @property
    def resetpasswordview(self):
        from app.views.users import AbonentResetPasswordView

        return AbonentResetPasswordView

    def register_views(self):
        super().register_views()
        # FAB limits the sign-in form only; the REST login is the same door
        if self.is_auth_limited:
            api = next(v for v in self.appbuilder.baseviews if isinstance(v, SecurityApi))
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(api.blueprint)

    def create_jwt_manager(self, app):
        manager = super().create_jwt_manager(app)
        manager.additional_claims_loader(lambda identity: {"stamp": sessions.stamp_of(identity)})
        return manager

    def load_user(self, pk):
        """The user of a session cookie, while the session is valid
        (app/services/platform/sessions.py)."""
        return sessions.from_session_id(pk)

    def load_user_jwt(self, _jwt_header, jwt_data):
        user = sessions.valid_user(jwt_data["sub"], jwt_data.get("stamp"))
        if user is not None:
            g.user = user  # as FAB's: no before_request sets it for a token
        return user

    def on_user_logout(self, user) -> None:
        # a copy of the session cookie kept from before must not sign in again
        sessions.end_all(user)

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        """Answer from the user's permissions, loaded once per request.

        FAB asks the database once per menu item and button; a page has dozens.
        """
        if not has_request_context() or not user.is_authenticated:
            return super()._has_view_access(user, permission_name, view_name)
        cached = g.get("abonent_permissions")
        if cached is None or cached[0] != user.id:
            cached = (user.id, self.get_user_permissions(user))
            g.abonent_permissions = cached
        return (permission_name, view_name) in cached[1]

    def ensure_roles(self) -> None:
        """Create the roles; FAB grants new permissions to Admin, so it must exist first."""
        for name in (current_app.config["AUTH_ROLE_ADMIN"], *ROLE_PERMISSIONS):
            if self.find_role(name) is None:
                self.add_role(name)

    def sync_roles(self) -> None:
        """Make each role hold exactly its permissions; Admin gets every permission."""
        admin = self.find_role(current_app.config["AUTH_ROLE_ADMIN"])
        admin.permissions = self.get_all_permissions_views_objects()
        for name, pairs in ROLE_PERMISSIONS.items():
            role = self.find_role(name)
            wanted = []
            for action, resource in pairs:
                permission = self.find_permission_view_menu(action, resource)
                if permission is None:
                    raise LookupError(f"role {name}: no permission {action} on {resource}")
                if permission not in wanted:
                    wanted.append(permission)
            role.permissions = wanted
        self.session.commit()

    def get_all_permissions_views_objects(self):
        return self.session.query(self.permissionview_model).all()
