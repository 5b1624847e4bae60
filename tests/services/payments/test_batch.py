"""The batch path records exactly what `record` records, payment after payment."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.billing import InvoiceStatusChange
from app.models.ledger import LedgerEntry
from app.models.payments import Payment, PaymentAllocation
from app.services.payments import batch, payments
from app.services.platform.actor import acting_as
from tests.conftest import reset_data
from tests.services.payments.billed import billed_account, invoices_of, prepaid_account

D = Decimal


def _requests(account, prepaid):
    first, second = invoices_of(account)
    return [
        batch.Request(account.id, "10.00", "EUR", "r1"),
        batch.Request(account.id, "30.00", "EUR", "r2"),  # settles the first, part of the next
        batch.Request(account.id, "5.00", "EUR", "r1"),  # its reference, another amount: refused
        batch.Request(account.id, "1.00", "USD", "r3"),  # refused: the account's is EUR
        batch.Request(account.id, "1.001", "EUR", "r4"),  # refused: too many decimals
        batch.Request(account.id, "50.00", "EUR", "r5", invoice_ids=[second.id]),  # chosen
        batch.Request(prepaid.id, "20.00", "EUR", "r6"),  # a top-up
        batch.Request(account.id, "10.00", "EUR", "r1"),  # the first again: a duplicate
    ]


def _through_record(requests):
    outcomes = []
    for request in requests:
        account = db.session.get(payments.BillingAccount, request.account_id)
        try:
            recorded = payments.record(
                account, request.amount, request.currency, request.method,
                external_ref=request.external_ref, invoice_ids=request.invoice_ids,
            )  # fmt: skip
            outcomes.append(batch.Outcome(recorded.payment.id, recorded.duplicate))
        except payments.DomainError as exc:
            db.session.rollback()
            outcomes.append(batch.Outcome(error=exc))
    return outcomes


def _state(accounts):
    """What was recorded, told by refs and numbers: ids differ between the two runs on
    PostgreSQL, whose sequences a test's cleanup does not reset."""
    ids = [a.id for a in accounts]
    ref = {a.id: a.ref for a in accounts}
    payment_rows = db.session.scalars(
        db.select(Payment).where(Payment.account_id.in_(ids)).order_by(Payment.id)
    ).all()
    invoices = [i for a in accounts for i in invoices_of(a)]
    return {
        "payments": [
            (ref[p.account_id], p.amount, p.method, p.purpose, p.external_ref, p.allocated)
            for p in payment_rows
        ],
        "ledger": [
            (ref[e.account_id], e.kind, e.amount, e.reference, e.balance_after)
            for e in db.session.scalars(
                db.select(LedgerEntry)
                .where(LedgerEntry.account_id.in_(ids))
                .order_by(LedgerEntry.id)
            )
        ],
        "allocations": [
            (a.payment.external_ref, a.invoice.number, a.amount)
            for a in db.session.scalars(db.select(PaymentAllocation).order_by(PaymentAllocation.id))
        ],
        "invoices": [(i.number, i.status, i.paid) for i in invoices],
        "changes": [
            (c.invoice.number, c.from_status, c.to_status)
            for c in db.session.scalars(
                db.select(InvoiceStatusChange).order_by(InvoiceStatusChange.id)
            )
        ],
        "balances": [a.balance for a in accounts],
    }


def _run(tmp_path, through_batch):
    tmp_path.mkdir()
    account = billed_account(tmp_path, "BA1")
    prepaid = prepaid_account(tmp_path, "BP1")
    requests = _requests(account, prepaid)
    if through_batch:
        outcomes = batch.record_many(requests)
        db.session.commit()
    else:
        outcomes = _through_record(requests)
    db.session.expire_all()
    summary = [(o.payment_id is not None, o.duplicate, o.error and o.error.field) for o in outcomes]
    return summary, _state([account, prepaid])


def test_the_batch_and_record_give_the_same_results(app, tmp_path):
    with app.app_context(), acting_as():
        by_record = _run(tmp_path / "a", through_batch=False)
        db.session.remove()
    reset_data(app)
    with app.app_context(), acting_as():
        by_batch = _run(tmp_path / "b", through_batch=True)
        db.session.remove()
    assert by_batch == by_record
    summary, state = by_batch
    assert summary == [(True, False, None), (True, False, None), (False, False, "external_ref"),
                       (False, False, "currency"), (False, False, "amount"),
                       (True, False, None), (True, False, None), (True, True, None)]  # fmt: skip
    assert state["invoices"][0][1:] == ("paid", D("35.38"))
    assert state["balances"] == [D("-70.76") + D("90.00"), D("20.00")]


def test_a_payment_recorded_meanwhile_fails_the_batch_whole(ctx, tmp_path, monkeypatch):
    """Each balance and invoice is written back only as it was read: the conditional
    UPDATEs' count (executemany, on both engines) tells a change made in between."""
    account = billed_account(tmp_path, "BM1")
    write = batch._write

    def after_another_payment(*args):
        db.session.execute(
            db.text("UPDATE billing_account SET balance = balance + 1 WHERE id = :id"),
            {"id": account.id},
        )
        return write(*args)

    monkeypatch.setattr(batch, "_write", after_another_payment)
    requests = [batch.Request(account.id, "10.00", "EUR", "m1")]
    with pytest.raises(payments.DomainError, match="recorded meanwhile"):
        batch.record_many(requests)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 0
    monkeypatch.setattr(batch, "_write", write)
    assert batch.record_many(requests)[0].payment_id is not None
