"""The accounting journal: each ledger entry mapped to GL accounts, every entry balanced,
on real bills, payments, credit notes, refunds, reversals and prepaid money."""

import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal

from app.models.ledger import EntryKind
from app.services.billing import invoices
from app.services.ledger import posting
from app.services.payments import payments, refunds, reversals
from app.services.receivables import journal
from tests.services.billing.test_invoices import _as
from tests.services.payments.billed import billed_account, invoices_of, prepaid_account

D = Decimal
COLUMNS = "date,gl_account,debit,credit,reference,currency,region,account_ref,description"


def _journal(region_ids=None, **period) -> list[dict]:
    return [
        dict(zip(journal.COLUMNS, row, strict=True)) for row in journal.rows(region_ids, **period)
    ]


def _postings(rows, reference) -> list[tuple[str, str, str]]:
    return [(r["gl_account"], r["debit"], r["credit"]) for r in rows if r["reference"] == reference]


def _assert_balanced(rows) -> None:
    sums = defaultdict(lambda: [D(0), D(0)])
    for row in rows:
        assert bool(row["debit"]) != bool(row["credit"]), row
        sums[row["reference"]][0] += D(row["debit"] or 0)
        sums[row["reference"]][1] += D(row["credit"] or 0)
    assert all(debit == credit for debit, credit in sums.values()), dict(sums)


def test_bills_payments_credit_notes_refunds_and_reversals_balance(ctx, tmp_path):
    account = billed_account(tmp_path, "JN1")
    first, second = invoices_of(account)
    payments.record(account, "40.00", "EUR", "bank_transfer", external_ref="bank-1")
    # 0.05 net at 22 % VAT: 0.011 of VAT, rounded to 0.01
    note = _as("anna", invoices.request_credit, second, "goodwill",
               {second.lines[0].id: "0.05"})  # fmt: skip
    _as("marco", invoices.approve_credit, note)
    card = payments.record(account, "100.00", "EUR", "card", external_ref="card-1").payment
    refunds.refund(card, "10.00", "asked back", method="cash")
    reversals.reverse(card, "chargeback")
    payments.record(account, "50.00", "EUR", "bank_transfer", purpose="deposit",
                    external_ref="dep-1")  # fmt: skip
    rows = _journal()
    _assert_balanced(rows)
    for invoice in (first, second):
        assert _postings(rows, invoice.number) == [
            ("1200", "35.38", ""),
            ("4000", "", "29.00"),
            ("2400", "", "6.38"),
        ]
    assert _postings(rows, "bank-1") == [("1010", "40.00", ""), ("1200", "", "40.00")]
    assert _postings(rows, note.number) == [
        ("1200", "", "0.06"),
        ("4000", "0.05", ""),
        ("2400", "0.01", ""),
    ]
    refund_ref = f"refund #{card.refunds[0].id}"
    assert _postings(rows, refund_ref) == [("1000", "", "10.00"), ("1200", "10.00", "")]
    # the card payment, then its reversal: all it still held goes back to the card
    assert _postings(rows, "card-1") == [
        ("1020", "100.00", ""),
        ("1200", "", "100.00"),
        ("1020", "", "90.00"),
        ("1200", "90.00", ""),
    ]
    assert _postings(rows, "dep-1") == [("1010", "50.00", ""), ("2200", "", "50.00")]
    invoice_row = next(r for r in rows if r["reference"] == first.number)
    assert invoice_row == {
        "date": invoice_row["date"],
        "gl_account": "1200",
        "debit": "35.38",
        "credit": "",
        "reference": first.number,
        "currency": "EUR",
        "region": "IT-C",
        "account_ref": "JN1",
        "description": "invoice: receivables",
    }


def test_a_void_reverses_its_invoice(ctx, tmp_path):
    account = billed_account(tmp_path, "JN2", runs_on=(date(2026, 2, 1),))
    (invoice,) = invoices_of(account)
    _as("anna", invoices.void, invoice, "issued in error")
    rows = _journal()
    _assert_balanced(rows)
    assert _postings(rows, invoice.number) == [
        ("1200", "35.38", ""),
        ("4000", "", "29.00"),
        ("2400", "", "6.38"),
        ("1200", "", "35.38"),
        ("4000", "29.00", ""),
        ("2400", "6.38", ""),
    ]


def test_prepaid_top_ups_usage_and_corrections_move_the_prepaid_liability(ctx, tmp_path):
    account = prepaid_account(tmp_path, "JN3")
    payments.record(account, "20.00", "EUR", "cash", external_ref="top-1")
    posting.post(account.id, EntryKind.USAGE, D("-0.0125"), "rec-1")
    posting.post(account.id, EntryKind.ADJUSTMENT, D("1.50"), "goodwill-1")
    rows = _journal()
    _assert_balanced(rows)
    assert _postings(rows, "top-1") == [("1000", "20.00", ""), ("2300", "", "20.00")]
    # a debit rated to 4 decimals keeps them: the journal adds up to the ledger
    assert _postings(rows, "rec-1") == [("2300", "0.0125", ""), ("4200", "", "0.0125")]
    assert _postings(rows, "goodwill-1") == [("4910", "1.50", ""), ("2300", "", "1.50")]


def test_gl_accounts_come_from_the_configuration(ctx, app, tmp_path, monkeypatch):
    billed_account(tmp_path, "JN4", runs_on=(date(2026, 2, 1),))
    monkeypatch.setitem(app.config["GL_ACCOUNTS"], "receivables", "411000")
    monkeypatch.setitem(app.config["GL_ACCOUNTS"], "vat", "445710")
    assert [r["gl_account"] for r in _journal()] == ["411000", "4000", "445710"]


def test_lines_map_by_line_type_and_kind(ctx):
    assert journal.line_account("recurring", "fixed") == "revenue_fixed_recurring"
    assert journal.line_account("usage", "mobile") == "revenue_mobile_usage"
    assert journal.line_account("activation", "fixed") == "revenue_fixed_activation"
    assert journal.line_account("discount", "mobile") == "discounts"
    assert journal.line_account("adjustment", None) == "adjustments"
    assert journal.line_account("credit", None) == "adjustments"
    assert journal.line_account("usage", None) == "revenue_other"


def test_a_document_off_by_a_rounding_posts_it_to_the_rounding_account(ctx):
    postings = journal._balanced([("receivables", D("10.01")), ("revenue_other", D("-8.20")),
                                  ("vat", D("-1.80"))])  # fmt: skip
    assert postings[-1] == ("rounding", D("-0.01"))
    assert sum(amount for _name, amount in postings) == 0


def test_scope_period_and_the_cli_file(ctx, app, tmp_path):
    billed_account(tmp_path, "JN5")
    assert _journal([]) == []
    assert len(_journal(since=date(2030, 1, 1))) == 0
    everything = _journal()
    assert len(_journal(until=date.today())) == len(everything) == 6
    out = tmp_path / "journal.csv"
    result = app.test_cli_runner().invoke(args=["data", "export", "journal", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "exported 6"
    with out.open(encoding="utf-8") as handle:
        assert handle.readline().strip() == COLUMNS
        assert len(list(csv.reader(handle))) == 6
    refused = app.test_cli_runner().invoke(
        args=["data", "export", "services", str(out), "--from", "2026-01-01"]
    )
    assert refused.exit_code == 2
    assert "--from and --to are for the ledger and journal exports" in refused.output
