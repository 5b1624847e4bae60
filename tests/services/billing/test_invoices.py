"""Invoices after issue: immutable, credited whole or line by line, voided, overdue."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.billing import Adjustment, CreditNote, Invoice, InvoiceLine, InvoiceStatusChange
from app.models.crm import BillingAccount
from app.models.usage import UsageCharge
from app.services.billing import invoices, runs
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from tests.services.billing.test_runs import _invoice, _samples

D = Decimal


@pytest.fixture
def invoice(ctx):
    """The samples' second invoice: 12.52 + 2.75 VAT (22%) = 15.27 EUR, with usage."""
    _samples()
    runs.run(date(2026, 3, 5))
    return _invoice("AC1", date(2026, 2, 5))


def _line(invoice, kind, usage_type=None):
    return next(
        line for line in invoice.lines if line.kind == kind and line.usage_type == usage_type
    )


def _as(username, call, *args, **kwargs):
    with acting_as(username):
        return call(*args, **kwargs)


def test_the_orm_refuses_edits_of_an_issued_invoice(invoice):
    invoice.total = D("1.00")
    with pytest.raises(invoices.InvoiceImmutable, match="invoice: an issued invoice cannot"):
        db.session.commit()
    db.session.rollback()
    invoice.lines[0].amount = D("0.01")
    with pytest.raises(invoices.InvoiceImmutable, match="invoice_line"):
        db.session.commit()
    db.session.rollback()
    db.session.add(
        InvoiceLine(invoice=invoice, position=9, account_id=invoice.account_id, kind="credit",
                    description="sneaky", quantity=D(1), amount=D(-5))
    )  # fmt: skip
    with pytest.raises(invoices.InvoiceImmutable):
        db.session.commit()
    db.session.rollback()
    db.session.delete(invoice.lines[0])
    with pytest.raises(invoices.InvoiceImmutable):
        db.session.commit()
    db.session.rollback()
    stored = db.session.get(Invoice, invoice.id)
    assert (stored.total, len(stored.lines)) == (D("15.27"), 4)


def test_a_whole_credit_note_needs_another_approver_and_credits_the_invoice(invoice):
    note = _as("anna", invoices.request_credit, invoice, "billed twice")
    assert (note.status, note.number, note.subtotal, note.tax, note.total) == (
        "requested", None, D("12.52"), D("2.75"), D("15.27"))  # fmt: skip
    assert len(note.lines) == 4
    with pytest.raises(DomainError, match="decided by someone other"):
        _as("anna", invoices.approve_credit, note)
    with pytest.raises(DomainError, match="nothing is left to credit"):
        _as("anna", invoices.request_credit, invoice, "again")
    note = _as("marco", invoices.approve_credit, note, "checked")
    assert (note.status, note.number, note.decided_by) == (
        "approved", "IT-C-CN-2026-000001", "marco")  # fmt: skip
    db.session.refresh(invoice)
    assert (invoice.status, invoice.credited, invoice.balance_due) == ("credited", D("15.27"), 0)
    assert [(c.from_status, c.to_status) for c in invoice.changes] == [("issued", "credited")]
    with pytest.raises(DomainError, match="only an issued"):
        _as("anna", invoices.request_credit, invoice, "once more")


def test_credit_notes_per_line_never_take_more_than_the_line_or_the_invoice(invoice):
    voice = _line(invoice, "usage", "voice")  # 1.42
    with pytest.raises(DomainError, match=f"line {voice.id}: at most 1.42 can still"):
        _as("anna", invoices.request_credit, invoice, "x", {voice.id: "1.43"})
    with pytest.raises(DomainError, match="0.421 has more decimals than EUR allows"):
        _as("anna", invoices.request_credit, invoice, "x", {voice.id: "0.421"})
    with pytest.raises(DomainError, match="must be more than zero"):
        _as("anna", invoices.request_credit, invoice, "x", {voice.id: "-1"})
    with pytest.raises(DomainError, match="reason: "):
        _as("anna", invoices.request_credit, invoice, " ", {voice.id: "1"})
    with pytest.raises(DomainError, match="line 999999: not a line of this invoice"):
        _as("anna", invoices.request_credit, invoice, "x", {999999: "1"})
    first = _as("anna", invoices.request_credit, invoice, "dropped call", {voice.id: "1.42"})
    # 1.42 × 22% = 0.3124 → 0.31
    assert (first.subtotal, first.tax, first.total) == (D("1.42"), D("0.31"), D("1.73"))
    # a second request cannot take the same money while the first is pending
    with pytest.raises(DomainError, match="at most 0.00 can still be credited on this line"):
        _as("anna", invoices.request_credit, invoice, "again", {voice.id: "0.01"})
    _as("marco", invoices.approve_credit, first)
    db.session.refresh(invoice)
    assert (invoice.status, invoice.balance_due) == ("issued", D("13.54"))
    rest = _as("anna", invoices.request_credit, invoice, "goodwill")
    # the last note takes the last of the tax: 2.75 - 0.31, not round(11.10 × 22%) = 2.44
    assert (rest.subtotal, rest.tax, rest.total) == (D("11.10"), D("2.44"), D("13.54"))
    _as("marco", invoices.approve_credit, rest)
    db.session.refresh(invoice)
    assert (invoice.status, invoice.credited) == ("credited", D("15.27"))
    assert [n.number for n in invoice.credit_notes] == ["IT-C-CN-2026-000001",
                                                          "IT-C-CN-2026-000002"]  # fmt: skip


def test_a_rejected_credit_note_takes_nothing_off(invoice):
    note = _as("anna", invoices.request_credit, invoice, "wrong")
    with pytest.raises(DomainError, match="reason"):
        _as("marco", invoices.reject_credit, note, "")
    note = _as("marco", invoices.reject_credit, note, "the charge is right")
    assert (note.status, note.number, note.decision_note) == (
        "rejected", None, "the charge is right")  # fmt: skip
    with pytest.raises(DomainError, match="already decided"):
        _as("luca", invoices.approve_credit, note)
    note.reason = "rewritten"
    with pytest.raises(invoices.InvoiceImmutable, match="credit_note"):
        db.session.commit()
    db.session.rollback()
    db.session.refresh(invoice)
    assert (invoice.status, invoice.credited) == ("issued", 0)
    assert _as("anna", invoices.request_credit, invoice, "second try").total == D("15.27")


def test_void_gives_the_usage_back_and_the_date_bills_again(invoice):
    account = db.session.get(BillingAccount, invoice.account_id)
    db.session.add(Adjustment(account_id=account.id, amount=D("-1.00"), currency="EUR",
                              reason="goodwill", username="anna", invoice_id=invoice.id,
                              created_at=datetime(2026, 3, 1, tzinfo=UTC)))  # fmt: skip
    db.session.commit()
    with pytest.raises(DomainError, match="reason"):
        invoices.void(invoice, "")
    invoices.void(invoice, "wrong product billed")
    db.session.refresh(invoice)
    assert invoice.status == "void"
    assert invoice.changes[-1].reason == "wrong product billed"
    assert (
        db.session.scalar(db.select(db.func.count()).where(UsageCharge.invoice_id.is_not(None)))
        == 0
    )
    assert db.session.scalar(db.select(Adjustment.invoice_id)) is None
    with pytest.raises(DomainError, match="only an issued or overdue invoice"):
        invoices.void(invoice, "again")
    assert str(runs.run(date(2026, 3, 5))) == "invoices created 1, already billed 0"
    again = db.session.scalar(
        db.select(Invoice).where(Invoice.account_id == account.id, Invoice.status == "issued",
                                 Invoice.period_start == date(2026, 2, 5))
    )  # fmt: skip
    assert again.number == "IT-C-2026-000002"
    # the adjustment comes back on the new bill: 15.27 - 1.00 × 1.22
    assert again.total == D("14.05")


def test_void_is_refused_once_credited_or_paid(invoice):
    note = _as("anna", invoices.request_credit, invoice, "x", {invoice.lines[0].id: "1.00"})
    _as("marco", invoices.approve_credit, note)
    db.session.refresh(invoice)
    with pytest.raises(DomainError, match="credit notes"):
        invoices.void(invoice, "wrong")
    db.session.execute(db.update(Invoice).values(paid=D("1.00")))
    db.session.commit()
    db.session.refresh(invoice)
    with pytest.raises(DomainError, match="payments"):
        invoices.void(invoice, "wrong")


def test_invoices_past_their_due_date_become_overdue(invoice):
    assert invoice.due_date == date(2026, 3, 20)
    assert invoices.mark_overdue(date(2026, 3, 20)) == 0
    assert invoices.mark_overdue(date(2026, 3, 21)) == 1
    db.session.refresh(invoice)
    assert invoice.status == "overdue"
    change = db.session.scalar(db.select(InvoiceStatusChange))
    assert (change.from_status, change.to_status, change.username) == (
        "issued", "overdue", "system")  # fmt: skip
    assert invoices.mark_overdue(date(2026, 3, 22)) == 0
    # an overdue invoice can still be credited, and voided before any payment
    assert _as("anna", invoices.request_credit, invoice, "x").total == D("15.27")
    assert db.session.scalar(db.select(db.func.count()).select_from(CreditNote)) == 1
