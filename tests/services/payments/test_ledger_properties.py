"""The ledger's promises (docs/payments.md), on random sequences of everything that moves
money: bills, payments (chosen invoices or not), deposits, allocations, refunds, reversals,
credit notes, voids, prepaid top-ups and usage debits. After every step: each balance is the
sum of its entries, no invoice is paid above what it asks, every allocation adds up on both
sides, statuses follow the amounts, and amounts keep the currency's precision."""

import itertools
import tempfile
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.models.ledger import EntryKind, LedgerEntry
from app.models.payments import Payment, PaymentAllocation
from app.services.billing import invoice_status, invoices, runs
from app.services.ledger import posting
from app.services.payments import payments, refunds, reversals
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from app.services.platform.money import minor_units
from tests.conftest import reset_data
from tests.services.payments.billed import account, billed_account, prepaid_account

CENTS = st.integers(1, 9000).map(lambda n: Decimal(n).scaleb(-2))
PICK = st.integers(0, 1000)
BILL_DATES = [date(2026, month, 1) for month in range(4, 12)]
# usage debits are rated costs: 4 decimals (docs/rating.md)
RATED_KINDS = {EntryKind.USAGE}


def _pick(items, index):
    return items[index % len(items)] if items else None


class LedgerMachine(RuleBasedStateMachine):
    app = None

    @initialize()
    def accounts(self):
        self.context = self.app.app_context()
        self.context.push()
        self.acting = acting_as("anna")
        self.acting.__enter__()
        folder = Path(tempfile.mkdtemp())
        self.postpaid = billed_account(folder, "LP1").id
        self.prepaid = prepaid_account(folder, "LQ1").id
        self.bill_dates = iter(BILL_DATES)
        self.references = itertools.count(1)

    def teardown(self):
        if getattr(self, "context", None) is None:
            return
        db.session.rollback()
        self.acting.__exit__(None, None, None)
        reset_data(self.app)
        self.context.pop()

    def _postpaid(self) -> BillingAccount:
        return db.session.get(BillingAccount, self.postpaid)

    def _invoices(self, statuses=None) -> list[Invoice]:
        query = db.select(Invoice).where(Invoice.account_id == self.postpaid).order_by(Invoice.id)
        if statuses:
            query = query.where(Invoice.status.in_(statuses))
        return list(db.session.scalars(query))

    def _payments(self, account_id, **filters) -> list[Payment]:
        query = db.select(Payment).filter_by(account_id=account_id, **filters)
        return list(db.session.scalars(query.order_by(Payment.id)))

    def _try(self, call, *args, **kwargs):
        """A refusal is an answer too: it must leave everything as it was."""
        try:
            return call(*args, **kwargs)
        except DomainError:
            db.session.rollback()
            return None

    @rule()
    def bill_next_month(self):
        day = next(self.bill_dates, None)
        if day is not None:
            runs.run(day)

    @rule(amount=CENTS, chosen=st.booleans(), index=PICK, external=st.booleans())
    def pay(self, amount, chosen, index, external):
        open_ = self._invoices(invoice_status.OPEN)
        invoice_ids = [_pick(open_, index).id] if chosen and open_ else None
        reference = f"EXT-{next(self.references)}" if external else None
        self._try(payments.record, self._postpaid(), amount, "EUR", "bank_transfer",
                  external_ref=reference, invoice_ids=invoice_ids)  # fmt: skip
        if reference:  # sent again: a duplicate, nothing moves
            again = self._try(payments.record, self._postpaid(), amount, "EUR",
                              "bank_transfer", external_ref=reference)  # fmt: skip
            assert again is None or again.duplicate

    @rule(amount=CENTS)
    def deposit(self, amount):
        self._try(payments.record, self._postpaid(), amount, "EUR", "cash", purpose="deposit")

    @rule(index=PICK, invoice_index=PICK)
    def allocate(self, index, invoice_index):
        payment = _pick(self._payments(self.postpaid, status="posted"), index)
        invoice = _pick(self._invoices(invoice_status.OPEN), invoice_index)
        if payment is not None and invoice is not None:
            self._try(payments.allocate_to, payment, [invoice.id])

    @rule(index=PICK, share=st.integers(1, 100))
    def refund(self, index, share):
        payment = _pick(self._payments(self.postpaid, status="posted"), index)
        if payment is not None and payment.unallocated > 0:
            amount = max(Decimal("0.01"), (payment.unallocated * share / 100).quantize(
                Decimal("0.01")))  # fmt: skip
            self._try(refunds.refund, payment, amount, "asked")

    @rule(index=PICK)
    def reverse(self, index):
        payment = _pick(self._payments(self.postpaid, status="posted"), index)
        if payment is not None:
            self._try(reversals.reverse, payment, "chargeback")

    @rule(index=PICK, whole=st.booleans(), amount=st.integers(1, 3000))
    def credit(self, index, whole, amount):
        invoice = _pick(self._invoices(invoice_status.SETTLED), index)
        if invoice is None:
            return
        lines = None if whole else {invoice.lines[0].id: Decimal(amount).scaleb(-2)}
        note = self._try(invoices.request_credit, invoice, "goodwill", lines)
        if note is not None:
            with acting_as("marco"):
                self._try(invoices.approve_credit, note)

    @rule(index=PICK)
    def void(self, index):
        invoice = _pick(self._invoices(invoices.VOIDABLE), index)
        if invoice is not None:
            self._try(invoices.void, invoice, "issued in error")

    @rule(amount=CENTS)
    def top_up(self, amount):
        self._try(payments.record, account("LQ1"), amount, "EUR", "cash")

    @rule(cost=st.integers(1, 90000).map(lambda n: Decimal(n).scaleb(-4)))
    def usage(self, cost):
        self._try(posting.post, self.prepaid, EntryKind.USAGE, -cost,
                  f"R{next(self.references)}")  # fmt: skip

    @invariant()
    def balances_are_the_sum_of_their_entries(self):
        if getattr(self, "context", None) is None:
            return
        db.session.expire_all()
        for account_id in (self.postpaid, self.prepaid):
            entries = list(db.session.scalars(
                db.select(LedgerEntry).filter_by(account_id=account_id).order_by(LedgerEntry.id)
            ))  # fmt: skip
            balance = db.session.get(BillingAccount, account_id).balance
            assert balance == sum((e.amount for e in entries), Decimal(0))
            running = Decimal(0)
            for entry in entries:
                running += entry.amount
                assert entry.balance_after == running
                places = 4 if entry.kind in RATED_KINDS else minor_units(entry.currency)
                assert entry.amount == round(entry.amount, places), entry
        assert db.session.get(BillingAccount, self.prepaid).balance >= 0

    @invariant()
    def no_invoice_is_overpaid_and_allocations_add_up(self):
        if getattr(self, "context", None) is None:
            return
        allocated_to = defaultdict(Decimal)
        allocated_from = defaultdict(Decimal)
        for allocation in db.session.scalars(db.select(PaymentAllocation)):
            allocated_to[allocation.invoice_id] += allocation.amount
            allocated_from[allocation.payment_id] += allocation.amount
        owed = Decimal(0)
        for invoice in self._invoices():
            assert invoice.paid >= 0 and invoice.paid + invoice.credited <= invoice.total
            assert invoice.paid == allocated_to[invoice.id]
            assert invoice.paid == round(invoice.paid, 2)
            if invoice.status == "void":
                assert invoice.paid == invoice.credited == 0
                continue
            due = invoice.balance_due
            if invoice.credited == invoice.total:
                assert invoice.status == "credited"
            elif due == 0:
                assert invoice.status == "paid"
            else:
                assert invoice.status in invoice_status.OPEN
                assert invoice.status != "partially_paid" or invoice.paid > 0
            owed += due
        left = Decimal(0)
        for payment in self._payments(self.postpaid):
            assert payment.allocated == allocated_from[payment.id] >= 0
            assert payment.allocated + payment.refunded <= payment.amount
            if payment.status == "reversed":
                assert payment.allocated == 0
            left += payment.unallocated
        # what the account owes and what its payments left are the ledger's balance
        assert self._postpaid().balance == left - owed


def test_the_ledger_holds_its_promises_whatever_happens(app):
    LedgerMachine.app = app
    machine = LedgerMachine.TestCase
    machine.settings = settings(
        max_examples=12,
        stateful_step_count=14,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    machine("runTest").runTest()
