"""The admin screens: one module per domain, each registering its own views and menu entries.
A menu entry's name is the permission resource app/security.py grants roles to see it."""

from app.views import (
    acquisition,
    admin,
    billing,
    catalog,
    crm,
    direct_debit,
    discounts,
    disputes,
    dunning,
    gateway,
    interactions,
    knowledge,
    numbers,
    orders,
    payments,
    portal,
    prepaid,
    price_call,
    provisioning,
    rates,
    receivables,
    reconciliation,
    tickets,
    usage,
    work_orders,
)

# the menu follows this order: a category comes where its first entry is added, with the
# label and icon that entry gives it, and each category lists its entries as they come
MENU_ORDER = (
    crm,
    orders,
    usage,
    provisioning,
    numbers,
    admin,
    catalog,
    rates,
    price_call,
    discounts,
    billing,
    payments,
    reconciliation,
    gateway,
    direct_debit,
    prepaid,
    receivables,
    dunning,
    tickets,
    acquisition,
    disputes,
    interactions,
    knowledge,
    work_orders,
)


def register(appbuilder) -> None:
    for module in MENU_ORDER:
        module.register(appbuilder)
    portal.register(appbuilder)
