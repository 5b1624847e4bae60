"""The admin menu as FAB builds it from the views' registrations: each view module registers
its own entries, so the order of the modules makes the order of the menu. Pinned here so a
move of a view or a module cannot reorder the menu silently."""

from app.extensions import appbuilder

MENU = [
    (
        ("Security", "Security", "fa-cogs"),
        [
            "List Users",
            "List Roles",
            "List Groups",
            "User's Statistics",
            "-",
            "Base Permissions",
            "Views/Menus",
            "Permission on Views/Menus",
        ],
    ),
    (
        ("CRM", "CRM", "fa-address-book"),
        [
            "Customers",
            "Accounts",
            "Services",
            "Contacts",
            "Orders",
            "Usage",
            "Provisioning",
            "NumberRanges",
            "PhoneNumbers",
        ],
    ),
    (("Administration", "Administration", "fa-cogs"), ["Regions", "Imports", "AuditLog"]),
    (
        ("CatalogMenu", "Catalog", "fa-tags"),
        ["Products", "RatePlans", "Rates", "PriceCall", "Discounts"],
    ),
    (
        ("BillingMenu", "Billing", "fa-file-invoice-dollar"),
        [
            "Invoices",
            "CreditNotes",
            "Adjustments",
            "BillRuns",
            "AdjustmentLimits",
            "Communications",
            "PrintBatches",
        ],
    ),
    (
        ("PaymentsMenu", "Payments", "fa-cash-register"),
        [
            "Payments",
            "BankStatements",
            "StatementImports",
            "OnlinePayments",
            "Mandates",
            "Collections",
            "Vouchers",
            "Receivables",
        ],
    ),
    (
        ("DunningMenu", "Dunning", "fa-exclamation-triangle"),
        ["DunningCases", "DunningPolicies", "DunningEffectiveness", "DunningCollection"],
    ),
    (
        ("Care", "Care", "fa-headset"),
        [
            "Tickets",
            "SlaTargets",
            "Disputes",
            "Interactions",
            "Knowledge",
            "WorkOrders",
            "MyWorkOrders",
            "PlannedWorks",
        ],
    ),
    (
        ("Acquisition", "Acquisition", "fa-user-plus"),
        [
            "Applications",
            "NewApplication",
            "ReviewQueue",
            "Blacklist",
            "CreditRules",
            "CreditClasses",
            "CreditTerms",
        ],
    ),
]


def test_the_menu_keeps_its_categories_and_items_in_order(app):
    with app.app_context():
        built = [
            ((c.name, str(c.label), c.icon), [item.name for item in c.childs])
            for c in appbuilder.menu.get_list()
        ]
    assert built == MENU
