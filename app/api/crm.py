"""REST resources customer, account and service (docs/api.md)."""

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.api.base import ScopedModelRestApi
from app.models.crm import BillingAccount, Customer, Service
from app.security import ACCOUNTS, CUSTOMERS, SERVICES
from app.services.crm import customers
from app.services.platform.scoping import current_region_ids

# a related record is shown by its id and reference only, never as a nested copy
RELATED = {
    "parent": ("parent.id", "parent.ref"),
    "region": ("region.id", "region.code"),
    "customer": ("customer.id", "customer.ref"),
    "bill_to": ("bill_to.id", "bill_to.ref"),
    "account": ("account.id", "account.ref"),
}


def output_columns(fields) -> list[str]:
    return ["id", *(column for f in fields for column in RELATED.get(f, (f,)))]


class CustomerApi(ScopedModelRestApi):
    resource_name = "customer"
    datamodel = SQLAInterface(Customer)
    class_permission_name = CUSTOMERS
    list_columns = show_columns = [
        *output_columns(customers.CUSTOMER_FIELDS),
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = list(customers.CUSTOMER_FIELDS)
    search_columns = ["ref", "name", "kind", "status", "region", "email", "phone"]
    order_columns = ["ref", "name", "created_at"]

    def pre_add(self, item):
        customers.prepare_customer(item, None, current_region_ids())

    pre_update = pre_add


class AccountApi(ScopedModelRestApi):
    resource_name = "account"
    datamodel = SQLAInterface(BillingAccount)
    class_permission_name = ACCOUNTS
    list_columns = show_columns = output_columns(customers.ACCOUNT_FIELDS)
    add_columns = edit_columns = list(customers.ACCOUNT_FIELDS)
    search_columns = ["ref", "payment_mode", "currency", "bill_day", "customer"]
    order_columns = ["ref", "bill_day"]

    def pre_add(self, item):
        customers.prepare_account(item, None, None, current_region_ids())

    pre_update = pre_add


class ServiceApi(ScopedModelRestApi):
    """Read only: lines come and change through orders."""

    resource_name = "service"
    datamodel = SQLAInterface(Service)
    class_permission_name = SERVICES
    include_route_methods = {"get", "get_list"}
    list_columns = show_columns = output_columns(customers.SERVICE_FIELDS)
    search_columns = ["service_id", "product_code", "status", "account"]
    order_columns = ["service_id", "activated_on"]


def register(appbuilder) -> None:
    appbuilder.add_api(CustomerApi)
    appbuilder.add_api(AccountApi)
    appbuilder.add_api(ServiceApi)
