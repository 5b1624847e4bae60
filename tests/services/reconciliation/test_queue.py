"""The unmatched queue: search, assign by hand, return to sender, region scope."""

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.crm import Region
from app.models.reconciliation import StatementEntry
from app.services.platform.errors import DomainError, NotFound
from app.services.reconciliation import queue, statements
from tests.services.payments.billed import billed_account, invoices_of
from tests.services.reconciliation.files import camt_statement, csv_statement, entry

D = Decimal


def _waiting(tmp_path):
    path = csv_statement(
        tmp_path,
        "2026-03-10,35.38,EUR,thanks for everything,Mario Rossi,Q1",
        "2026-03-11,12.00,EUR,march,Anna Bianchi,Q2",
        "2026-03-12,7.00,USD,QA1,Anna Bianchi,Q3",
    )
    statements.import_csv(path)
    return {e.bank_ref: e for e in db.session.scalars(db.select(StatementEntry))}


def test_search_by_name_amount_reference_and_date(ctx, tmp_path):
    billed_account(tmp_path, "QA1")
    _waiting(tmp_path)

    def refs(**criteria):
        return sorted(e.bank_ref for e in queue.search(queue.Search(**criteria), None))

    assert refs() == ["Q1", "Q2", "Q3"]
    assert refs(text="anna") == ["Q2", "Q3"]
    assert refs(text="MARCH") == ["Q2"]
    assert refs(amount=D("35.38")) == ["Q1"]
    assert refs(booked_from=date(2026, 3, 11)) == ["Q2", "Q3"]


def test_assign_records_the_payment_on_the_chosen_invoice(ctx, tmp_path):
    account = billed_account(tmp_path, "QA2")
    _first, second = invoices_of(account)
    waiting = _waiting(tmp_path)
    payment = queue.assign(waiting["Q1"].id, account.id, None, invoice_id=second.id)
    assert (payment.amount, payment.external_ref, payment.source) == (
        D("35.38"),
        "bank:Q1",
        "statement",
    )
    assert [i.status for i in invoices_of(account)] == ["issued", "paid"]
    entry_row = db.session.get(StatementEntry, waiting["Q1"].id)
    assert (entry_row.status, entry_row.rule, entry_row.payment_id) == (
        "matched",
        "staff",
        payment.id,
    )
    with pytest.raises(DomainError, match="not waiting"):
        queue.assign(waiting["Q1"].id, account.id, None)


def test_a_refused_assignment_leaves_the_entry_waiting(ctx, tmp_path):
    account = billed_account(tmp_path, "QA3")
    waiting = _waiting(tmp_path)
    with pytest.raises(DomainError, match="billed in EUR, not USD"):
        queue.assign(waiting["Q3"].id, account.id, None)
    assert db.session.get(StatementEntry, waiting["Q3"].id).status == "unmatched"


def test_returned_to_sender_with_a_note(ctx, tmp_path):
    waiting = _waiting(tmp_path)
    with pytest.raises(DomainError, match="note: required"):
        queue.mark_returned(waiting["Q2"].id, " ", None)
    returned = queue.mark_returned(waiting["Q2"].id, "not our customer", None)
    assert (returned.status, returned.reason) == ("returned", "not our customer")
    assert "Q2" not in [e.bank_ref for e in queue.search(queue.Search(), None)]


def test_scope_the_region_of_the_statement_and_of_the_account(ctx, tmp_path):
    account = billed_account(tmp_path, "QA4")
    regions = {r.code: r for r in db.session.scalars(db.select(Region))}
    italy = regions["IT-C"]
    other = next(r for code, r in regions.items() if code != "IT-C")
    italy.bank_iban = "IT60 X054 2811 1010 0000 0123 456"
    db.session.commit()
    path = camt_statement(tmp_path, entry("5.00", "who knows", "R1"), entry("5.00", "QA4", "R2"))
    statements.import_camt053(path)
    entries = {e.bank_ref: e for e in db.session.scalars(db.select(StatementEntry))}
    assert entries["R1"].region_id == italy.id
    assert [e.bank_ref for e in queue.search(queue.Search(), [italy.id])] == ["R1"]
    assert queue.search(queue.Search(), [other.id]) == []
    with pytest.raises(NotFound):
        queue.get(entries["R1"].id, [other.id])
    assert queue.accounts("QA4", [other.id]) == []
    assert [a.ref for a in queue.accounts("Payer QA", [italy.id])] == ["QA4"]
    with pytest.raises(NotFound):
        queue.assign(entries["R1"].id, account.id, [other.id])
