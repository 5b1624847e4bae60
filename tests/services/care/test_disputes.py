"""Bill disputes: opened within the invoice's open amount and held out of dunning, decided
once by someone else — a credit note for what is accepted, an email saying why."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.billing import CreditNote
from app.models.communications import Communication
from app.models.crm import Region
from app.models.disputes import Dispute
from app.models.dunning import DunningCase, InvoiceHold
from app.services.billing import invoices
from app.services.care import disputes
from app.services.dunning import runs
from app.services.payments import payments
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError, NotFound
from tests.services.payments.billed import billed_account, invoices_of

D = Decimal


def _as(username, call, *args, **kwargs):
    with acting_as(username):
        return call(*args, **kwargs)


@pytest.fixture
def billed(ctx, tmp_path):
    """An account with two bills of 35.38 (29.00 + 22 % VAT), due 2026-02-16 and -03-16."""
    account = billed_account(tmp_path)
    account.customer.email = "payer@example.it"
    db.session.commit()
    return account


def _open(invoice, amount="35.38", reason="never called that number", lines=None):
    return _as("csr", disputes.open_dispute, invoice, amount, reason, lines)


def _case(account):
    return db.session.scalar(select(DunningCase).where(DunningCase.account_id == account.id))


def _active_holds():
    return db.session.scalars(select(InvoiceHold).where(InvoiceHold.released_at.is_(None))).all()


def test_an_open_dispute_is_not_overdue_until_it_is_decided(billed):
    first, _second = invoices_of(billed)
    dispute = _open(first)
    assert (dispute.status, dispute.amount, dispute.opened_by) == ("open", D("35.38"), "csr")
    assert [(h.source, h.source_ref, h.amount) for h in _active_holds()] == [
        ("dispute", dispute.ref, D("35.38"))
    ]
    runs.run(date(2026, 2, 21))
    assert _case(billed) is None  # the only bill due is disputed in full
    _as("billing", disputes.resolve, dispute, "rejected", reason="the calls were made")
    assert _active_holds() == []
    runs.run(date(2026, 2, 22))
    case = _case(billed)
    assert (case.overdue_amount, case.oldest_due_date) == (D("35.38"), date(2026, 2, 16))


def test_a_part_disputed_leaves_the_rest_overdue(billed):
    first, _second = invoices_of(billed)
    _open(first, "10.00")
    runs.run(date(2026, 2, 21))
    assert _case(billed).overdue_amount == D("25.38")


def test_accepting_credits_the_whole_amount_through_billing(billed):
    first, _second = invoices_of(billed)
    dispute = _open(first)
    decided = _as("billing", disputes.resolve, dispute, "accepted")
    assert (decided.status, decided.credited) == ("accepted", D("35.38"))
    note = decided.credit_note
    assert (note.status, note.total, note.subtotal, note.tax) == (
        "approved",
        D("35.38"),
        D("29.00"),
        D("6.38"),
    )
    assert note.number.startswith("IT-C-CN-")
    # the resolver's decision is the approval: asked and decided in one step
    assert (note.requested_by, note.decided_by) == ("billing", "billing")
    assert note.reason == f"{dispute.ref}: never called that number"
    db.session.refresh(first)
    assert (first.status, first.credited, first.balance_due) == ("credited", D("35.38"), D(0))
    assert _active_holds() == []
    history = [(c.from_status, c.to_status, c.amount, c.username) for c in decided.changes]
    assert history == [
        ("", "open", D("35.38"), "csr"),
        ("open", "accepted", D("35.38"), "billing"),
    ]


def test_a_partial_outcome_credits_less_and_leaves_the_rest_to_pay(billed):
    first, _second = invoices_of(billed)
    dispute = _open(first, "20.00")
    with pytest.raises(DomainError, match="reason: required"):
        _as("billing", disputes.resolve, dispute, "partial", "12.20")
    with pytest.raises(DomainError, match="amount: a partial outcome credits less"):
        _as("billing", disputes.resolve, dispute, "partial", "20.00", "half of it")
    with pytest.raises(DomainError, match="amount: accepting in full credits 20.00"):
        _as("billing", disputes.resolve, dispute, "accepted", "12.20")
    decided = _as("billing", disputes.resolve, dispute, "partial", "12.20", "roaming was due")
    assert (decided.status, decided.credited) == ("partially_accepted", D("12.20"))
    note = decided.credit_note
    assert (note.total, note.subtotal, note.tax) == (D("12.20"), D("10.00"), D("2.20"))
    db.session.refresh(first)
    assert (first.status, first.balance_due) == ("issued", D("23.18"))
    # decided once
    with pytest.raises(DomainError, match="status: the dispute was already decided"):
        _as("supervisor", disputes.resolve, decided, "accepted")


def test_a_dispute_on_lines_credits_those_lines(billed):
    first, _second = invoices_of(billed)
    (line,) = first.lines
    with pytest.raises(DomainError, match=f"lines.{line.id}: at most 29.00 can still"):
        _open(first, None, lines={line.id: "30.00"})
    with pytest.raises(DomainError, match="amount: the lines disputed come to 12.20 with VAT"):
        _open(first, "12.00", lines={line.id: "10.00"})
    dispute = _open(first, None, lines={line.id: "10.00"})
    assert dispute.amount == D("12.20")
    assert [(part.invoice_line_id, part.amount) for part in dispute.lines] == [(line.id, D(10))]
    note = _as("billing", disputes.resolve, dispute, "accepted").credit_note
    assert [(part.invoice_line_id, part.amount) for part in note.lines] == [(line.id, D(10))]
    assert note.total == D("12.20")


def test_no_dispute_above_the_open_amount(billed):
    first, _second = invoices_of(billed)
    with pytest.raises(DomainError, match="amount: more than the invoice's open amount: at most"):
        _open(first, "35.39")
    with pytest.raises(DomainError, match="amount: must be more than zero"):
        _open(first, "0")
    with pytest.raises(DomainError, match="reason: required"):
        _open(first, "1.00", "  ")
    payments.record(billed, "10.00", "EUR", "cash", invoice_ids=[first.id])
    db.session.refresh(first)
    _open(first, "20.00")
    # paid 10.00 and 20.00 already disputed: 5.38 is left
    with pytest.raises(DomainError, match="at most 5.38 can be disputed"):
        _open(first, "5.39")
    assert disputes.open_amount(first) == D("5.38")
    assert db.session.scalar(select(Dispute.id).where(Dispute.amount == D("5.39"))) is None


def test_the_resolution_amount_is_within_the_open_amount(billed):
    first, _second = invoices_of(billed)
    dispute = _open(first, "30.00")
    # the customer paid 20.00 meanwhile: 15.38 is open
    payments.record(billed, "20.00", "EUR", "cash", invoice_ids=[first.id])
    with pytest.raises(DomainError, match="amount: more than the invoice's open amount"):
        _as("billing", disputes.resolve, dispute, "accepted")
    assert db.session.get(Dispute, dispute.id).status == "open"
    assert len(_active_holds()) == 1
    decided = _as("billing", disputes.resolve, dispute, "partial", "15.38", "paid since")
    assert decided.credit_note.total == D("15.38")


def test_the_opener_does_not_decide(billed):
    first, _second = invoices_of(billed)
    dispute = _open(first)
    with pytest.raises(DomainError, match="decided_by: a dispute is decided by someone other"):
        _as("csr", disputes.resolve, dispute, "accepted")
    with pytest.raises(DomainError, match="outcome: 'maybe' is not one of"):
        _as("billing", disputes.resolve, dispute, "maybe")
    assert db.session.scalar(select(CreditNote.id)) is None


def test_region_scope(billed):
    first, _second = invoices_of(billed)
    dispute = _open(first)
    italian, korean = (
        [db.session.scalar(select(Region.id).where(Region.code == code))]
        for code in ("IT-C", "KR-SEL")
    )
    assert disputes.get(dispute.id, italian).id == dispute.id
    with pytest.raises(NotFound):
        disputes.get(dispute.id, korean)
    assert disputes.search(korean) == (0, [])
    count, found = disputes.search(None, disputes.Filters(status="open"))
    assert (count, [d.id for d in found]) == (1, [dispute.id])
    assert disputes.search(None, disputes.Filters(status="rejected"))[0] == 0


def test_the_decision_is_emailed_in_the_customers_language(billed, smtp):
    mailbox, _server = smtp
    first, _second = invoices_of(billed)
    dispute = _open(first)
    _as("billing", disputes.resolve, dispute, "rejected", reason="The calls were made on 3 Feb.")
    communication = db.session.scalar(select(Communication))
    assert (communication.kind, communication.language, communication.recipient) == (
        "dispute_decision",
        "it",
        "payer@example.it",
    )
    assert disputes.send_due().sent == 1
    (message,) = mailbox.messages
    assert message["To"] == "payer@example.it"
    assert message["Content-Language"] == "it"
    text = message.get_body(("plain",)).get_content()
    assert "The calls were made on 3 Feb." in text and first.number in text
    db.session.refresh(communication)
    assert communication.status == "sent"
    assert disputes.send_due().sent == 0


def test_no_address_fails_the_email_with_its_reason(billed):
    billed.customer.email = None
    db.session.commit()
    first, _second = invoices_of(billed)
    decided = _as("billing", disputes.resolve, _open(first), "rejected", reason="no")
    assert decided.communication.status == "failed"
    assert decided.communication.last_error
    assert decided.status == "rejected"


def test_credit_asked_elsewhere_limits_the_credit(billed):
    first, _second = invoices_of(billed)
    dispute = _open(first, "30.00")
    _as("csr", invoices.request_credit, first, "goodwill", {first.lines[0].id: "20.00"})
    with pytest.raises(DomainError, match="amount: at most 10.98 can still be credited"):
        _as("billing", disputes.resolve, dispute, "accepted")
