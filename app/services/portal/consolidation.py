"""Asking on the portal for accounts to be billed together (docs/portal.md, "Bill
consolidation"): the customer picks one of their postpaid accounts to pay and others of
the same currency to be billed to it; that becomes an order (source `portal`, a `bill_to`
line per account) submitted for staff to approve in their orders queue, whose approval
sets `bill_to` (app/services/orders/orders.py, app/services/crm/consolidation.py). The
portal shows each request's status."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.crm import BillingAccount, PaymentMode
from app.models.orders import LineAction, Order, OrderLine, OrderSource
from app.models.security import AbonentUser
from app.services.orders import orders
from app.services.platform.errors import DomainError
from app.services.portal import access

LATEST = 10


def candidates(user: AbonentUser) -> dict[str, list[BillingAccount]]:
    """The user's postpaid accounts by currency, where a currency has two or more: the
    only ones that can be billed together."""
    by_currency = defaultdict(list)
    for account in access.accounts(user):
        if account.payment_mode == PaymentMode.POSTPAID:
            by_currency[account.currency].append(account)
    return {currency: found for currency, found in by_currency.items() if len(found) > 1}


def requests(user: AbonentUser) -> list[Order]:
    """The user's latest consolidation requests, newest first."""
    mine = select(BillingAccount.id).where(
        BillingAccount.customer_id.in_(access.customer_ids(user))
    )
    return list(
        db.session.scalars(
            select(Order)
            .where(
                Order.account_id.in_(mine),
                Order.lines.any(OrderLine.action == LineAction.BILL_TO),
            )
            .options(selectinload(Order.lines).selectinload(OrderLine.account))
            .order_by(Order.id.desc())
            .limit(LATEST)
        )
    )


def ask(user: AbonentUser, payer_id, account_ids: list) -> Order:
    """Ask for the accounts to be billed to the payer: an order submitted for staff to
    approve. DomainError naming the field (`payer`, `accounts`) when it cannot be."""
    if payer_id in (None, ""):
        raise DomainError("payer", _l("choose the account that receives the bills"))
    payer = access.account(user, payer_id)
    chosen = [access.account(user, account_id) for account_id in dict.fromkeys(account_ids)]
    chosen = [account for account in chosen if account.id != payer.id]
    if not chosen:
        raise DomainError("accounts", _l("choose at least one other account"))
    lines = [{"action": LineAction.BILL_TO, "account_ref": account.ref} for account in chosen]
    try:
        order = orders.draft(payer, lines, OrderSource.PORTAL, None)
        orders.submit(order)
    except DomainError as exc:
        db.session.rollback()
        field = "payer" if exc.field == "account" else "accounts"
        raise DomainError(field, exc.reason) from None
    except Exception:
        db.session.rollback()
        raise
    return order
