"""Everything about one customer in one place, for the 360° page: who the customer is,
their accounts and lines as they stand, and their timeline (app/services/care/timeline.py)."""

from dataclasses import dataclass, field

from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.acquisition import Application
from app.models.audit import AuditLog
from app.models.crm import BillingAccount, Customer
from app.models.dunning import DunningCase
from app.models.ledger import LedgerEntry
from app.services.care.timeline import Cursor, Page, Whose
from app.services.care.timeline import page as timeline_page
from app.services.crm.customer_rules import MAX_DEPTH
from app.services.dunning import cases as dunning_cases
from app.services.ledger import history as ledger_history
from app.services.payments import standing
from app.services.platform.errors import NotFound
from app.services.platform.scoping import scoped
from app.services.usage import line_usage

MAX_TREE_NODES = 500
LEDGER_ENTRIES = 10
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
    # a page of what happened with the customer, newest first
    timeline: Page = field(default_factory=Page)


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


def load(customer_id: int, region_ids, kinds=None, before: Cursor | None = None
         ) -> Customer360:  # fmt: skip
    """The customer's page; its timeline shows the kinds asked for (every kind when None),
    from the newest or from after `before`."""
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
        line_usage.current_cycle_usage(
            [s.id for a in accounts for s in a.services if s.status != "terminated"]
        ),
        db.session.scalar(db.select(Application).where(Application.customer_id == customer.id)),
        standing.standings(list(accounts)),
        ledger_history.entries([account.id for account in accounts], limit=LEDGER_ENTRIES),
        dunning_cases.account_cases([account.id for account in accounts], DUNNING_CASES),
        timeline_page(Whose(customer.id, [account.id for account in accounts]), kinds, before),
    )
