"""The application factory."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from app.extensions import appbuilder, csrf, db, migrate
from app.models.types import LARGEST_INTEGER

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Strict-Transport-Security": "max-age=31536000",  # browsers heed it over HTTPS only
}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: WAL so readers never block the writer, a busy timeout, enforced foreign keys."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond an id's 32 bits matches no route (404),
    as no row has such an id, instead of reaching the database (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_INTEGER)
        super().__init__(map, *args, **kwargs)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = RecordIdConverter
    app.config.from_object("config")
    app.config.update(overrides or {})

    from app.security import password_policy

    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = password_policy

    from app import models  # noqa: F401  (complete metadata for Alembic and FAB)
    from app.services.billing import invoices
    from app.services.platform import audit, sessions
    from app.views import sorting

    audit.install()
    sessions.install()
    invoices.install_guard()
    sorting.install()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config["BASE_DIR"] / "migrations"))
    csrf.init_app(app)

    with app.app_context():
        appbuilder.init_app(app, db.session)
        _register_views()

    from app.api.base import refuse_nul_in_query

    app.before_request(refuse_nul_in_query)

    from app.cli import register as register_cli
    from app.views import display
    from app.views.health import health

    display.register(app)
    app.register_blueprint(health)
    register_cli(app)
    app.after_request(_security_headers)
    return app


def _security_headers(response):
    if response.mimetype == "text/html":
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    else:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _register_views() -> None:
    from flask_babel import lazy_gettext as _l

    from app.api import register as register_apis
    from app.security import (
        ACCOUNTS,
        ACQUISITION_MENU,
        ADJUSTMENT_LIMITS,
        ADJUSTMENTS,
        ADMIN_MENU,
        APPLICATIONS,
        AUDIT,
        BILL_RUNS,
        BILLING_MENU,
        CATALOG_MENU,
        COMMUNICATIONS,
        CONTACTS,
        CREDIT_NOTES,
        CRM_MENU,
        CUSTOMERS,
        IMPORTS,
        INVOICES,
        ORDERS,
        PRINT_BATCHES,
        PROVISIONING,
        REGIONS,
        SERVICES,
    )
    from app.views.acquisition import (
        ApplicationReviewView,
        ApplicationView,
        BlacklistView,
        CreditClassView,
        CreditRuleView,
        CreditTermsView,
    )
    from app.views.admin import AuditLogView, ImportBatchView, ImportRejectView
    from app.views.billing import (
        AccountBillingView,
        AdjustmentLimitView,
        AdjustmentView,
        BillRunErrorView,
        BillRunView,
        CommunicationView,
        CreditNoteView,
        InvoiceView,
        PrintBatchView,
    )
    from app.views.catalog import ProductNameView, ProductView, RatePlanView
    from app.views.crm import (
        AccountView,
        ContactView,
        CustomerView,
        RegionView,
        ServiceProductChangeView,
        ServiceStatusChangeView,
        ServiceView,
    )
    from app.views.discounts import DiscountView
    from app.views.numbers import NumberRangeView, PhoneNumberView
    from app.views.orders import OrderView
    from app.views.price_call import PriceCallView
    from app.views.provisioning import ProvisioningTaskView
    from app.views.rates import RateView
    from app.views.usage import UsageView

    # menu item names are the permission resources of app/security.py
    crm = CRM_MENU
    appbuilder.add_view(
        CustomerView,
        CUSTOMERS,
        label=_l("Customers"),
        icon="fa-users",
        category=crm,
        category_label=_l("CRM"),
        category_icon="fa-address-book",
    )
    appbuilder.add_view(
        AccountView, ACCOUNTS, label=_l("Billing accounts"), icon="fa-book", category=crm
    )
    appbuilder.add_view(ServiceView, SERVICES, label=_l("Services"), icon="fa-phone", category=crm)
    appbuilder.add_view(
        ContactView, CONTACTS, label=_l("Contact persons"), icon="fa-id-card", category=crm
    )
    appbuilder.add_view(
        OrderView, ORDERS, label=_l("Orders"), icon="fa-shopping-cart", category=crm
    )
    appbuilder.add_view(UsageView, "Usage", label=_l("Usage"), icon="fa-signal", category=crm)
    appbuilder.add_view(
        ProvisioningTaskView,
        PROVISIONING,
        label=_l("Provisioning tasks"),
        icon="fa-server",
        category=crm,
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
    appbuilder.add_view(
        ImportBatchView, IMPORTS, label=_l("Imports"), icon="fa-upload", category=ADMIN_MENU
    )
    appbuilder.add_view_no_menu(ImportRejectView)
    appbuilder.add_view_no_menu(ServiceStatusChangeView)
    appbuilder.add_view_no_menu(ServiceProductChangeView)
    appbuilder.add_view(
        AuditLogView, AUDIT, label=_l("Audit trail"), icon="fa-history", category=ADMIN_MENU
    )
    appbuilder.add_view(
        ProductView,
        "Products",
        label=_l("Products"),
        icon="fa-box",
        category=CATALOG_MENU,
        category_label=_l("Catalog"),
        category_icon="fa-tags",
    )
    appbuilder.add_view_no_menu(ProductNameView)
    appbuilder.add_view(
        RatePlanView, "RatePlans", label=_l("Rate plans"), icon="fa-table", category=CATALOG_MENU
    )
    appbuilder.add_view(
        RateView, "Rates", label=_l("Rates"), icon="fa-money-bill", category=CATALOG_MENU
    )
    appbuilder.add_view(
        PriceCallView, "PriceCall", label=_l("Price a call"), icon="fa-calculator",
        category=CATALOG_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        DiscountView, "Discounts", label=_l("Discounts"), icon="fa-percent", category=CATALOG_MENU
    )
    appbuilder.add_view(
        NumberRangeView,
        "NumberRanges",
        label=_l("Number ranges"),
        icon="fa-list-ol",
        category=CRM_MENU,
    )
    appbuilder.add_view(
        PhoneNumberView, "PhoneNumbers", label=_l("Numbers"), icon="fa-hashtag", category=CRM_MENU
    )
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
        CreditNoteView, CREDIT_NOTES, label=_l("Credit notes"), icon="fa-undo",
        category=BILLING_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        AdjustmentView, ADJUSTMENTS, label=_l("Adjustments"), icon="fa-plus-minus",
        category=BILLING_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        BillRunView, BILL_RUNS, label=_l("Bill runs"), icon="fa-play-circle",
        category=BILLING_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        AdjustmentLimitView, ADJUSTMENT_LIMITS, label=_l("Adjustment limits"),
        icon="fa-sliders", category=BILLING_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        CommunicationView, COMMUNICATIONS, label=_l("Communications"), icon="fa-envelope",
        category=BILLING_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        PrintBatchView, PRINT_BATCHES, label=_l("Print batches"), icon="fa-print",
        category=BILLING_MENU,
    )  # fmt: skip
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
        ApplicationReviewView, "ReviewQueue", label=_l("Review queue"), icon="fa-gavel",
        category=ACQUISITION_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        BlacklistView, "Blacklist", label=_l("Blacklist"), icon="fa-ban",
        category=ACQUISITION_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        CreditRuleView, "CreditRules", label=_l("Credit rules"), icon="fa-list",
        category=ACQUISITION_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        CreditClassView, "CreditClasses", label=_l("Credit classes"), icon="fa-balance-scale",
        category=ACQUISITION_MENU,
    )  # fmt: skip
    appbuilder.add_view(
        CreditTermsView, "CreditTerms", label=_l("Credit terms"), icon="fa-coins",
        category=ACQUISITION_MENU,
    )  # fmt: skip
    appbuilder.add_view_no_menu(BillRunErrorView)
    appbuilder.add_view_no_menu(AccountBillingView)
    register_apis(appbuilder)
