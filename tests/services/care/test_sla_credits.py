"""SLA credits: a fault ticket resolved after its restoration SLA proposes a credit for the
outage, pending until Billing approves it, and the next bill carries it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.billing import Adjustment, Invoice
from app.services.billing import adjustments, runs
from app.services.care import sla_credits, tickets, work_orders
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from tests.services.care.ticketed import rome
from tests.services.payments.billed import billed_account

OPENED = rome(2026, 3, 2, 10)


def _fault(account, category="network_fault", priority="high"):
    line = account.services[0]
    return tickets.create(account.customer_id, None, category=category, priority=priority,
                          subject="No service", service=line.id, now=OPENED)  # fmt: skip


def test_the_credit_is_proportional_to_the_outage():
    # 29.00 a month, 74 hours of 744 in March: 2.8844… → 2.88
    assert sla_credits.amount(Decimal("29"), OPENED, OPENED + timedelta(hours=74),
                              "Europe/Rome", "EUR") == Decimal("-2.88")  # fmt: skip
    # February 2026 has 672 hours
    assert sla_credits.month_hours(rome(2026, 2, 10), "Europe/Rome") == 672
    assert sla_credits.amount(Decimal("1000"), OPENED, OPENED + timedelta(hours=3),
                              "Asia/Seoul", "KRW") == Decimal("-4")  # fmt: skip


def test_a_late_fault_ticket_proposes_a_credit_that_reaches_the_next_bill(ctx, tmp_path):
    account = billed_account(tmp_path)
    ticket = _fault(account)
    resolved = OPENED + timedelta(hours=74)
    tickets.transition(ticket, "in_progress", now=OPENED)
    tickets.transition(ticket, "resolved", now=resolved)
    assert ticket.breached
    credit = sla_credits.proposed_for(ticket.id)
    assert (credit.amount, credit.currency, credit.outage_minutes) == (Decimal("-2.88"), "EUR",
                                                                       74 * 60)  # fmt: skip
    adjustment = credit.adjustment
    assert (adjustment.status, adjustment.amount) == ("pending", Decimal("-2.88"))
    assert ticket.number in adjustment.reason
    # reopened and resolved again: still one credit
    tickets.transition(ticket, "in_progress", now=resolved)
    tickets.transition(ticket, "resolved", now=resolved + timedelta(hours=1))
    assert db.session.scalar(db.select(db.func.count(Adjustment.id))) == 1
    # Billing approves it (not who proposed it), and the April bill carries it
    with acting_as("billing"):
        adjustments.approve_adjustment(adjustment)
    runs.run(date(2026, 4, 1))
    april = db.session.scalar(
        db.select(Invoice).filter_by(account_id=account.id).order_by(Invoice.id.desc())
    )
    db.session.refresh(adjustment)
    assert adjustment.invoice_id == april.id
    assert any(line.amount == Decimal("-2.88") for line in april.lines)


def test_no_credit_within_the_sla_or_for_other_categories(ctx, tmp_path):
    account = billed_account(tmp_path)
    quick = _fault(account)
    tickets.transition(quick, "in_progress", now=OPENED)
    tickets.transition(quick, "resolved", now=OPENED + timedelta(hours=1))
    billing = _fault(account, category="billing", priority="low")
    tickets.transition(billing, "in_progress", now=OPENED)
    tickets.transition(billing, "resolved", now=OPENED + timedelta(days=30))
    assert sla_credits.proposed_for(quick.id) is None
    assert sla_credits.proposed_for(billing.id) is None


def test_a_fixed_repair_after_the_sla_proposes_the_credit(ctx, tmp_path):
    account = billed_account(tmp_path)
    ticket = _fault(account)
    order = work_orders.create_repair(ticket, assign=False, now=OPENED)
    with pytest.raises(DomainError):
        work_orders.assign(order, now=OPENED)  # Italy has no Technician
    order.status = "in_progress"  # the field worked it from the list
    work_orders.finish(order, "fixed", 60, now=OPENED + timedelta(hours=74))
    assert sla_credits.proposed_for(ticket.id).amount == Decimal("-2.88")
