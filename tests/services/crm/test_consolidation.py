"""Billing an account to another through an order's `bill_to` line: the rules of the
account form, one level only, the payer's frequency; an order of such lines completes on
approval with nothing sent to the network."""

from datetime import date

import pytest

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.models.orders import OrderSource, ProvisioningTask
from app.services.billing import runs
from app.services.crm import consolidation
from app.services.orders import orders
from app.services.platform.errors import DomainError
from tests.services.billing.test_runs import _activate_all, _customers
from tests.services.payments.billed import FLAT, TOPUP, account


@pytest.fixture
def accounts(ctx, tmp_path):
    _customers(
        tmp_path,
        "K1,individual,Kim,,IT-C,it,KA1,postpaid,EUR,1,,FLAT,390000000101,2026-01-01\n"
        "K1,individual,Kim,,IT-C,it,KA2,postpaid,EUR,1,,FLAT,390000000102,2026-01-01\n"
        "K1,individual,Kim,,IT-C,it,KA3,prepaid,EUR,1,,TOPUP,390000000103,2026-01-01\n",
        products=FLAT + TOPUP,
    )
    _activate_all()
    return account("KA1"), account("KA2"), account("KA3")


def test_an_approved_order_bills_the_account_to_the_payer(accounts):
    payer, billed, _prepaid = accounts
    order = orders.draft(
        payer, [{"action": "bill_to", "account_ref": "KA2"}], OrderSource.PORTAL, None
    )
    orders.submit(order)
    assert orders.approve(order) == []
    assert order.status == "completed"
    assert db.session.get(BillingAccount, billed.id).bill_to_id == payer.id
    assert db.session.scalar(db.select(ProvisioningTask.id)) is None
    # one bill for both on the payer's day
    runs.run(date(2026, 2, 1))
    invoices = db.session.scalars(db.select(Invoice)).all()
    assert [invoice.account_id for invoice in invoices] == [payer.id]
    assert {line.account_id for line in invoices[0].lines} == {payer.id, billed.id}


def test_the_rules_of_the_account_form_hold(accounts):
    payer, billed, prepaid = accounts
    for account_, reason in ((prepaid, "prepaid"), (payer, "cycle")):
        with pytest.raises(DomainError) as refused:
            consolidation.check(account_, payer)
        assert reason in refused.value.reason
    consolidation.bill_to(billed, payer)
    db.session.commit()
    with pytest.raises(DomainError, match="already"):
        consolidation.check(billed, payer)
    # one level only: the payer of others is not billed to one of them
    with pytest.raises(DomainError, match="billed to KA1 itself"):
        consolidation.check(payer, billed)


def test_a_bill_to_line_names_a_known_account_once(accounts):
    payer, _billed, _prepaid = accounts
    with pytest.raises(DomainError) as refused:
        orders.draft(
            payer, [{"action": "bill_to", "account_ref": "NOPE"}], OrderSource.PORTAL, None
        )
    assert refused.value.field == "lines[1].account_ref"
    with pytest.raises(DomainError, match="already in this order"):
        orders.draft(
            payer,
            [
                {"action": "bill_to", "account_ref": "KA2"},
                {"action": "bill_to", "account_ref": "KA2"},
            ],
            OrderSource.PORTAL,
            None,
        )
