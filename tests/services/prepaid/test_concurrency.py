"""Concurrent top-ups (payments.record) and usage debits (charging.debit) on one prepaid
account never lose an update: the balance is the sum of the ledger, every entry there.
PostgreSQL only: it runs the threads' transactions side by side, where SQLite has one
writer at a time."""

from decimal import Decimal
from functools import partial

import pytest

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.ledger import LedgerEntry
from app.models.payments import Payment
from app.models.usage import UsageCharge
from app.services.payments import payments
from app.services.platform import bulk
from app.services.usage import charging
from tests.helpers import in_threads
from tests.services.usage.test_charging import MONDAY_PEAK, _prepaid, _record

WORKERS, ROUNDS = 4, 15


def test_top_ups_and_debits_at_once_lose_no_update(app, ctx):
    if not bulk.is_postgresql():
        pytest.skip("PostgreSQL only: SQLite writes one transaction at a time")
    account_id = _prepaid("1.00").id

    def top_up(worker, n):
        account = db.session.get(BillingAccount, account_id)
        payments.record(account, "0.50", "EUR", "cash", external_ref=f"t{worker}-{n}")

    def debit(worker, n):
        charging.debit(_record(f"d{worker}-{n}", 1, "sms"), now=MONDAY_PEAK, region_ids=None)

    jobs = [partial(top_up, w) for w in range(WORKERS)] + [
        partial(debit, w) for w in range(WORKERS)
    ]
    assert in_threads(app, jobs, rounds=ROUNDS) == []
    db.session.expire_all()
    balance = db.session.scalar(
        db.select(BillingAccount.balance).where(BillingAccount.id == account_id)
    )
    entries = db.session.execute(
        db.select(LedgerEntry.kind, LedgerEntry.amount).where(LedgerEntry.account_id == account_id)
    ).all()
    paid = db.session.scalar(db.select(db.func.sum(UsageCharge.charge)))
    top_ups = [amount for kind, amount in entries if kind == "topup"]
    # the first 1.00, then every top-up of every worker
    assert len(top_ups) == 1 + WORKERS * ROUNDS
    assert db.session.scalar(db.select(db.func.count(Payment.id))) == WORKERS * ROUNDS
    assert sum(top_ups) == Decimal("1.00") + Decimal("0.50") * WORKERS * ROUNDS
    debited = -sum(amount for kind, amount in entries if kind == "usage")
    assert debited == paid > 0
    assert balance == sum(amount for _kind, amount in entries) == sum(top_ups) - debited
    assert balance >= 0
