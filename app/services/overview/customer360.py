"""Everything about one customer in one place, for the 360° page."""

from dataclasses import dataclass, field

from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.acquisition import Application
from app.models.audit import AuditLog
from app.models.billing import Invoice
from app.models.communications import Communication
from app.models.crm import BillingAccount, Customer
from app.models.dunning import DunningCase
from app.models.ledger import LedgerEntry
from app.models.orders import Order
from app.services.billing import invoices
from app.services.crm.customer_rules import MAX_DEPTH
from app.services.dunning import cases as dunning_cases
from app.services.ledger import history as ledger_history
from app.services.orders import orders
from app.services.payments import standing
from app.services.platform.errors import NotFound
from app.services.platform.scoping import scoped
from app.services.usage import line_usage

MAX_TREE_NODES = 500
LEDGER_ENTRIES = 10
COMMUNICATIONS = 10
# the accounts' active cases and the latest closed ones
DUNNING_CASES = 10


@dataclass
class TreeNode:
    customer: Customer
    children: list["TreeNode"] = field(default_factory=list)


@dataclass
class Customer360:
    customer: Customer
    accounts: list[BillingAccount]
    hierarchy: TreeNode | None
    history: list[AuditLog]
    orders: list[Order]
    invoices: list[Invoice]
    # per open line, its current cycle's usage against its allowances
    usage: dict[int, list[line_usage.CycleUsage]]
    # the application the customer came from, when it came through acquisition
    application: Application | None = None
    # per account: its balance, what it owes, its credit and last payment
    standings: dict[int, standing.Standing] = field(default_factory=dict)
    # the newest movements of the accounts' money
    ledger: list[LedgerEntry] = field(default_factory=list)
    # the newest cases of the accounts (an account has one active case at a time)
    dunning: list[DunningCase] = field(default_factory=list)
    # the newest bills, reminders and letters sent to the accounts
    communications: list[Communication] = field(default_factory=list)


def _hierarchy(customer: Customer, region_ids) -> TreeNode | None:
    """The company tree holding the customer, from its top parent down (visible nodes only)."""
    root, depth = customer, 0
    while root.parent is not None and depth < MAX_DEPTH:  # a guard, should a loop slip in
        root, depth = root.parent, depth + 1
    if root is customer and not customer.children:
        return None
    top = TreeNode(root)
    level = [top]
    seen = 1
    while level and seen < MAX_TREE_NODES:
        by_id = {node.customer.id: node for node in level}
        query = db.select(Customer).where(Customer.parent_id.in_(by_id)).order_by(Customer.name)
        next_level = []
        for child in db.session.scalars(scoped(query, Customer, region_ids)):
            node = TreeNode(child)
            by_id[child.parent_id].children.append(node)
            next_level.append(node)
        seen += len(next_level)
        level = next_level
    return top


def load(customer_id: int, region_ids) -> Customer360:
    query = db.select(Customer).where(Customer.id == customer_id)
    customer = db.session.scalar(scoped(query, Customer, region_ids))
    if customer is None:
        raise NotFound("customer", "not found")
    accounts = db.session.scalars(
        db.select(BillingAccount)
        .where(BillingAccount.customer_id == customer.id)
        .options(selectinload(BillingAccount.services), selectinload(BillingAccount.bill_to))
        .order_by(BillingAccount.ref)
    ).all()
    history = db.session.scalars(
        db.select(AuditLog)
        .where(AuditLog.table_name == "customer", AuditLog.row_id == customer.id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(20)
    ).all()
    return Customer360(
        customer,
        list(accounts),
        _hierarchy(customer, region_ids),
        list(history),
        orders.account_orders([account.id for account in accounts]),
        invoices.account_invoices([account.id for account in accounts]),
        line_usage.current_cycle_usage(
            [s.id for a in accounts for s in a.services if s.status != "terminated"]
        ),
        db.session.scalar(db.select(Application).where(Application.customer_id == customer.id)),
        standing.standings(list(accounts)),
        ledger_history.entries([account.id for account in accounts], limit=LEDGER_ENTRIES),
        dunning_cases.account_cases([account.id for account in accounts], DUNNING_CASES),
        _communications([account.id for account in accounts]),
    )


def _communications(account_ids: list[int]) -> list[Communication]:
    return list(
        db.session.scalars(
            db.select(Communication)
            .where(Communication.account_id.in_(account_ids))
            .options(selectinload(Communication.account))
            .order_by(Communication.id.desc())
            .limit(COMMUNICATIONS)
        )
    )
