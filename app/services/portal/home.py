"""The portal's home page: where the customer stands at a glance — per account its balance,
what it owes and by when; the lines with their status and this cycle's usage against each
allowance; the latest bills; the tickets still open."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount, Service, ServiceStatus
from app.models.security import AbonentUser
from app.models.tickets import Ticket, TicketStatus
from app.services.billing import invoice_status
from app.services.payments import standing
from app.services.portal import access
from app.services.usage.line_usage import CycleUsage, current_cycle_usage

LATEST_BILLS = 5
OPEN_TICKETS = 5
TICKET_DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
NO_CYCLE = (ServiceStatus.PENDING, ServiceStatus.TERMINATED)


@dataclass
class AccountSummary:
    account: BillingAccount
    balance: Decimal
    owed: Decimal
    next_due: date | None  # the earliest due date of its open bills
    lines: list[Service] = field(default_factory=list)


@dataclass
class Home:
    accounts: list[AccountSummary]
    usage: dict[int, list[CycleUsage]]  # line id → this cycle's usage by type
    bills: list[Invoice]
    tickets: list[Ticket]


def home(user: AbonentUser) -> Home:
    accounts = access.accounts(user)
    standings = standing.standings(accounts)
    ids = [account.id for account in accounts]
    due = dict(
        db.session.execute(
            select(Invoice.account_id, db.func.min(Invoice.due_date))
            .where(Invoice.account_id.in_(ids), Invoice.status.in_(invoice_status.OPEN))
            .group_by(Invoice.account_id)
        ).all()
    )
    lines = access.lines(user)
    summaries = []
    for account in accounts:
        stood = standings[account.id]
        summaries.append(
            AccountSummary(
                account,
                stood.balance,
                stood.owed,
                due.get(account.id),
                [line for line in lines if line.account_id == account.id],
            )
        )
    bills = list(db.session.scalars(access.invoices_query(user).limit(LATEST_BILLS)))
    tickets = list(
        db.session.scalars(
            select(Ticket)
            .where(
                Ticket.customer_id.in_(access.customer_ids(user)),
                Ticket.status.not_in(TICKET_DONE),
            )
            .order_by(Ticket.id.desc())
            .limit(OPEN_TICKETS)
        )
    )
    # a barred or suspended line's cycle goes on; a terminated or pending one has none
    running = [line.id for line in lines if line.status not in NO_CYCLE]
    usage = current_cycle_usage(running)
    return Home(summaries, usage, bills, tickets)
