"""The REST API (docs/api.md): one module per domain, each registering its own resources."""

from app.api import (
    acquisition,
    catalog,
    charging,
    crm,
    disputes,
    invoices,
    orders,
    payments,
    tickets,
    usage,
    vouchers,
)


def register(appbuilder) -> None:
    for module in (
        crm,
        catalog,
        orders,
        usage,
        invoices,
        payments,
        charging,
        acquisition,
        vouchers,
        disputes,
        tickets,
    ):
        module.register(appbuilder)
