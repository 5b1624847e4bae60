"""Region scope: staff see only customers of their regions, everywhere.

One function answers "which regions may this user see" and one turns that into a SQL
condition per model; list views, show pages, the REST API and exports all use them.
"""

from flask import g, has_request_context
from sqlalchemy import exists, false, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models.acquisition import Application
from app.models.billing import Adjustment, BillRunError, CreditNote, Invoice
from app.models.communications import Communication, PrintBatch
from app.models.crm import (
    BillingAccount,
    Contact,
    Customer,
    Region,
    Service,
    ServiceProductChange,
    ServiceStatusChange,
)
from app.models.direct_debit import CollectionItem, CollectionRun, Mandate
from app.models.disputes import Dispute
from app.models.dunning import DunningCase
from app.models.gateway import CheckoutSession
from app.models.interactions import Interaction
from app.models.ledger import LedgerEntry
from app.models.numbers import NumberRange, PhoneNumber
from app.models.orders import Order, OrderLine, ProvisioningTask
from app.models.payments import Payment
from app.models.reconciliation import StatementEntry
from app.models.tickets import Ticket
from app.models.usage import UsageRecord
from app.models.work_orders import WorkOrder
from app.services.platform.actor import current_user_obj
from app.services.platform.errors import NotFound
from app.services.platform.users import roles_of

ALL_REGION_ROLES = frozenset({"Admin", "Supervisor"})


def region_ids_for(user) -> list[int] | None:
    """The region ids a user may see; None means every region."""
    if any(role.name in ALL_REGION_ROLES for role in roles_of(user)):
        return None
    return [region.id for region in user.regions]


def current_region_ids() -> list[int] | None:
    """Scope of whoever is acting: the request's user, or everything for CLI and jobs."""
    if not has_request_context():
        return None
    if "region_ids" not in g:
        user = current_user_obj()
        # may run while a new record is half built in the session: never autoflush it
        with db.session.no_autoflush:
            g.region_ids = [] if user is None else region_ids_for(user)
    return g.region_ids


def _customer_ids(region_ids: list[int]):
    return select(Customer.id).where(Customer.region_id.in_(region_ids))


def scope_condition(model, region_ids: list[int] | None):
    """A WHERE condition limiting `model` rows to the regions; None when unrestricted."""
    if region_ids is None:
        return None
    if not region_ids:
        return false()
    if model is Region:
        return Region.id.in_(region_ids)
    if model in (NumberRange, Application, CollectionRun, WorkOrder):
        return model.region_id.in_(region_ids)
    if model is PhoneNumber:
        ranges = db.select(NumberRange.id).where(NumberRange.region_id.in_(region_ids))
        return PhoneNumber.range_id.in_(ranges)
    if model is Customer:
        return Customer.region_id.in_(region_ids)
    if model in (Ticket, Interaction):
        # a correlated EXISTS: their lists walk a (…, id) or (at, id) index newest first and
        # check each row's customer; as `customer_id IN (the region's customers)` SQLite
        # would rather read every row of the region and sort them (seconds at millions)
        # (an alias: a query that joins the customer itself must not correlate to it)
        owner = aliased(Customer)
        return exists().where(owner.id == model.customer_id, owner.region_id.in_(region_ids))
    if model in (BillingAccount, Contact):
        return model.customer_id.in_(_customer_ids(region_ids))
    accounts = select(BillingAccount.id).where(
        BillingAccount.customer_id.in_(_customer_ids(region_ids))
    )
    if model in (
        Service,
        Order,
        Invoice,
        BillRunError,
        Communication,
        Adjustment,
        Payment,
        LedgerEntry,
        CheckoutSession,
        Mandate,
        CollectionItem,
        DunningCase,
        Dispute,
    ):
        return model.account_id.in_(accounts)
    if model is StatementEntry:
        # an entry nobody placed yet: seen by the region whose bank received it (anyone's,
        # when the statement did not say)
        waiting = StatementEntry.account_id.is_(None) & or_(
            StatementEntry.region_id.is_(None), StatementEntry.region_id.in_(region_ids)
        )
        return or_(StatementEntry.account_id.in_(accounts), waiting)
    if model is CreditNote:
        invoices = select(Invoice.id).where(Invoice.account_id.in_(accounts))
        return CreditNote.invoice_id.in_(invoices)
    if model in (ProvisioningTask, UsageRecord, ServiceStatusChange, ServiceProductChange):
        services = select(Service.id).where(Service.account_id.in_(accounts))
        return model.service_id.in_(services)
    if model is OrderLine:
        orders = select(Order.id).where(Order.account_id.in_(accounts))
        return OrderLine.order_id.in_(orders)
    if model is PrintBatch:
        # a batch holds the letters of its maker's regions: it is seen by those whose
        # regions hold all of them
        return ~exists().where(
            Communication.print_batch_id == PrintBatch.id,
            Communication.account_id.not_in(accounts),
        )
    raise TypeError(f"no region scope for {model.__name__}")


def scoped(query, model, region_ids: list[int] | None):
    """Apply the scope to a Select or a legacy Query."""
    condition = scope_condition(model, region_ids)
    return query if condition is None else query.where(condition)


def scoped_get(model, record_id: int, region_ids: list[int] | None, field: str, reason):
    """The `model` record with this id if it is in the regions, else NotFound(field, reason)."""
    record = db.session.scalar(
        scoped(select(model).where(model.id == record_id), model, region_ids)
    )
    if record is None:
        raise NotFound(field, reason)
    return record
