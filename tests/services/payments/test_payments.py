"""Payments: allocation, partial and over-payment, credit for the next bill, refunds,
reversals, idempotency, and the refusals."""

from datetime import date
from decimal import Decimal
from functools import partial

import pytest

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.ledger import LedgerEntry
from app.services.billing import runs
from app.services.payments import payments, refunds, reversals, standing
from app.services.platform.errors import DomainError
from tests.helpers import in_threads
from tests.services.payments.billed import billed_account, invoices_of, prepaid_account

D = Decimal


def _ledger(account):
    return [
        (entry.kind, entry.amount, entry.balance_after)
        for entry in db.session.scalars(
            db.select(LedgerEntry).filter_by(account_id=account.id).order_by(LedgerEntry.id)
        )
    ]


def _credit(account_id):
    """What the account's payments left for its next bills, as its page shows it."""
    account = db.session.get(BillingAccount, account_id)
    db.session.refresh(account)
    return standing.standings([account])[account_id].credit


def _state(account):
    return [(i.status, i.paid, i.balance_due) for i in invoices_of(account)]


def test_a_payment_settles_the_oldest_invoices_first_and_the_rest_waits(ctx, tmp_path):
    account = billed_account(tmp_path)
    first, second = invoices_of(account)
    assert (first.total, second.total) == (D("35.38"), D("35.38"))
    assert _ledger(account) == [("invoice", D("-35.38"), D("-35.38")),
                                ("invoice", D("-35.38"), D("-70.76"))]  # fmt: skip
    recorded = payments.record(account, "40.00", "EUR", "cash")
    assert not recorded.duplicate
    assert _state(account) == [("paid", D("35.38"), D(0)),
                               ("partially_paid", D("4.62"), D("30.76"))]  # fmt: skip
    db.session.refresh(account)
    assert account.balance == D("-30.76")
    assert _ledger(account)[-1] == ("payment", D("40.00"), D("-30.76"))


def test_chosen_invoices_and_an_overpayment_carried_to_the_next_bill(ctx, tmp_path):
    account = billed_account(tmp_path)
    first, second = invoices_of(account)
    payments.record(account, "50.00", "EUR", "bank_transfer", invoice_ids=[second.id])
    # the chosen bill first, the rest to the others
    assert _state(account) == [("partially_paid", D("14.62"), D("20.76")),
                               ("paid", D("35.38"), D(0))]  # fmt: skip
    payments.record(account, "40.00", "EUR", "card", external_ref="card-1")
    # 20.76 for the first bill, 19.24 of credit
    assert _credit(account.id) == D("19.24")
    runs.run(date(2026, 4, 1))
    third = invoices_of(account)[-1]
    assert (third.status, third.paid, third.balance_due) == ("partially_paid", D("19.24"),
                                                              D("16.14"))  # fmt: skip
    assert _credit(account.id) == D(0)
    db.session.refresh(account)
    assert account.balance == -third.balance_due


def test_the_same_external_reference_is_one_payment(ctx, tmp_path):
    account = billed_account(tmp_path)
    once = payments.record(account, "10.00", "EUR", "bank_transfer", external_ref="BANK-1")
    again = payments.record(account, "10.00", "EUR", "bank_transfer", external_ref="BANK-1")
    assert again.duplicate and again.payment.id == once.payment.id
    assert invoices_of(account)[0].paid == D("10.00")
    with pytest.raises(DomainError, match="external_ref: already used by payment"):
        payments.record(account, "11.00", "EUR", "bank_transfer", external_ref="BANK-1")


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("10.001", "EUR", "amount: 10.001 has more decimals than EUR allows"),
        ("10", "RUB", "currency: the account is billed in EUR, not RUB"),
        ("-5", "EUR", "amount: more than 0"),
        ("0", "EUR", "amount: more than 0"),
        ("ten", "EUR", "amount: 'ten' is not an amount"),
    ],
)
def test_bad_payments_are_refused_naming_the_field(ctx, tmp_path, amount, currency, message):
    account = billed_account(tmp_path)
    with pytest.raises(DomainError) as refused:
        payments.record(account, amount, currency, "cash")
    assert refused.value.message == message
    assert invoices_of(account)[0].paid == 0
    assert [kind for kind, *_ in _ledger(account)] == ["invoice", "invoice"]


def test_a_closed_account_takes_no_payment(ctx, tmp_path):
    account = billed_account(tmp_path)
    payments.record(account, "70.76", "EUR", "cash")
    for service in account.services:
        service.status = "terminated"
    db.session.commit()
    with pytest.raises(DomainError, match="account: the account is closed"):
        payments.record(account, "1.00", "EUR", "cash")


def test_refunds_come_from_the_credit_only(ctx, tmp_path):
    account = billed_account(tmp_path)
    payment = payments.record(account, "80.00", "EUR", "card").payment
    assert payment.unallocated == D("9.24")
    with pytest.raises(DomainError, match="amount: more than the payment has left"):
        refunds.refund(payment, "9.25", "asked by the customer")
    refunds.refund(payment, "9.24", "asked by the customer")
    db.session.refresh(account)
    assert account.balance == D(0)
    assert _ledger(account)[-1] == ("refund", D("-9.24"), D(0))


def test_a_reversal_reopens_the_invoices(ctx, tmp_path):
    account = billed_account(tmp_path)
    payment = payments.record(account, "70.76", "EUR", "card").payment
    assert [status for status, *_ in _state(account)] == ["paid", "paid"]
    reopened = reversals.reverse(payment, "chargeback")
    assert len(reopened) == 2
    # the first bill's due date has passed: it is overdue again at once
    assert _state(account) == [("overdue", D(0), D("35.38")), ("overdue", D(0), D("35.38"))]
    db.session.refresh(account)
    assert account.balance == D("-70.76")
    with pytest.raises(DomainError, match="reversed already"):
        reversals.reverse(payment, "again")


def test_a_credit_note_on_a_paid_invoice_frees_the_payment(ctx, tmp_path, app):
    from app.services.billing import invoices
    from tests.services.billing.test_invoices import _as

    account = billed_account(tmp_path)
    first, second = invoices_of(account)
    payments.record(account, "35.38", "EUR", "cash", invoice_ids=[first.id])
    note = _as("anna", invoices.request_credit, first, "wrong fee")
    _as("marco", invoices.approve_credit, note)
    # the freed 35.38 pays the second bill
    assert _state(account) == [("credited", D(0), D(0)), ("paid", D("35.38"), D(0))]
    db.session.refresh(account)
    assert account.balance == D(0)


def test_prepaid_top_up_and_its_refund_need_the_balance(ctx, tmp_path):
    account = prepaid_account(tmp_path)
    payment = payments.record(account, "20.00", "EUR", "cash").payment
    assert payment.purpose == "topup"
    db.session.refresh(account)
    assert account.balance == D("20.00")
    with pytest.raises(DomainError, match="purpose: a prepaid account has no bills"):
        payments.record(account, "5", "EUR", "cash", purpose="payment")
    refunds.refund(payment, "5.00", "left the country")
    db.session.refresh(account)
    assert account.balance == D("15.00")


def test_payments_at_the_same_moment_never_overpay_or_lose_a_cent(app, ctx, tmp_path):
    from app.models.payments import Payment

    account_id = billed_account(tmp_path).id

    def pay(worker, n):
        account = db.session.get(BillingAccount, account_id)
        payments.record(account, "10.00", "EUR", "card", external_ref=f"{worker}-{n}")

    assert in_threads(app, [partial(pay, w) for w in range(6)], rounds=3) == []
    db.session.expire_all()
    account = db.session.get(BillingAccount, account_id)
    assert [status for status, *_ in _state(account)] == ["paid", "paid"]
    assert _credit(account_id) == D("109.24")
    assert account.balance == D("109.24") == sum(amount for _, amount, _ in _ledger(account))
    paid = db.session.scalar(db.select(db.func.count(Payment.id)))
    assert paid == 18
