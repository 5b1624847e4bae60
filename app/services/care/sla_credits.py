"""SLA credits (docs/care.md): a network-fault ticket on a line resolved after its
restoration SLA was breached proposes a credit for the outage on the line's account, once
per ticket. The outage runs from the ticket's opening to its resolution, wall-clock (the
customer was without the line at night too); the credit is the line's product monthly fee
× outage hours / the hours of the month the outage began in (on the region's clock),
rounded once in the account's currency. It is an adjustment pending approval: Billing
approves it on the adjustment screens and the next bill carries it.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Product
from app.models.crm import PaymentMode
from app.models.tickets import Ticket, TicketCategory
from app.models.work_orders import SlaCredit
from app.services.billing import adjustments
from app.services.platform.language import account_language
from app.services.platform.money import round_money

SECONDS_PER_HOUR = 3600


def month_hours(at: datetime, timezone: str) -> int:
    """The hours of the month holding `at` on the region's clock."""
    local = at.astimezone(ZoneInfo(timezone))
    return calendar.monthrange(local.year, local.month)[1] * 24


def amount(monthly_fee: Decimal, opened: datetime, resolved: datetime, timezone: str,
           currency: str) -> Decimal:  # fmt: skip
    """The credit for an outage (negative, in the customer's favour)."""
    hours = Decimal(int((resolved - opened).total_seconds())) / SECONDS_PER_HOUR
    return -round_money(monthly_fee * hours / month_hours(opened, timezone), currency)


def proposed_for(ticket_id: int) -> SlaCredit | None:
    return db.session.scalar(select(SlaCredit).where(SlaCredit.ticket_id == ticket_id))


def on_resolved(ticket: Ticket) -> SlaCredit | None:
    """The credit a ticket just resolved earns, proposed in the caller's transaction; none
    for another category, a ticket without a line, within its SLA, a prepaid line (no
    bill), an outage too short to be worth a minor unit, or one proposed before (a
    reopened ticket resolved again)."""
    line = ticket.service
    if (
        ticket.category != TicketCategory.NETWORK_FAULT
        or not ticket.breached
        or line is None
        or ticket.resolved_at is None
        or line.account.payment_mode != PaymentMode.POSTPAID
        or proposed_for(ticket.id) is not None
    ):
        return None
    product = db.session.scalar(select(Product).where(Product.code == line.product_code))
    if product is None:
        return None
    account = line.account
    region = ticket.customer.region
    credit = amount(product.monthly_fee, ticket.created_at, ticket.resolved_at,
                    region.timezone, account.currency)  # fmt: skip
    if credit == 0:
        return None
    # the reason is printed on the customer's bill: in their language
    with force_locale(account_language(line.account)):
        reason = gettext("SLA credit: outage of line %(line)s, ticket %(number)s",
                         line=line.service_id, number=ticket.number)  # fmt: skip
    adjustment = adjustments.propose_credit(account, credit, reason, ticket.resolved_at)
    found = SlaCredit(
        ticket_id=ticket.id,
        adjustment_id=adjustment.id,
        account_id=account.id,
        outage_minutes=int((ticket.resolved_at - ticket.created_at).total_seconds()) // 60,
        amount=credit,
        currency=account.currency,
        created_at=ticket.resolved_at,
    )
    db.session.add(found)
    return found
