"""Statement import: both formats, each matching rule, duplicates, malformed entries and
XML attacks."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.imports import ImportReject
from app.models.payments import Payment
from app.models.reconciliation import StatementEntry
from app.services.billing import payment_reference
from app.services.platform.errors import ImportFileError
from app.services.reconciliation import statements
from tests.services.payments.billed import billed_account, invoices_of, prepaid_account
from tests.services.reconciliation.files import camt_statement, csv_statement, entry

D = Decimal


def _entries():
    return {
        e.bank_ref: (e.status, e.rule, e.reason)
        for e in db.session.scalars(db.select(StatementEntry).order_by(StatementEntry.id))
    }


def _counts(summary):
    return (summary.read, summary.matched, summary.unmatched, summary.duplicates,
            summary.rejected)  # fmt: skip


def test_csv_matches_by_invoice_account_and_payment_reference(ctx, tmp_path):
    account = billed_account(tmp_path, "SA1")
    first, second = invoices_of(account)
    other = billed_account(tmp_path, "SA2")
    rf = payment_reference.formatted(payment_reference.for_invoice(invoices_of(other)[1].number))
    path = csv_statement(
        tmp_path,
        f"2026-03-10,35.38,EUR,Invoice {second.number} thanks,Mario Rossi,B1",
        "2026-03-10,10.00,EUR,account SA1,Mario Rossi,B2",
        f"2026-03-10,35.38,EUR,{rf},Anna Bianchi,B3",
        "2026-03-10,5.00,EUR,a gift,Nobody,B4",
        "2026-03-10,5.00,USD,SA2,Anna Bianchi,B5",
    )
    summary = statements.import_csv(path)
    assert summary.line() == "read 5, matched 3, unmatched 2, duplicates 0"
    found = _entries()
    assert [found[r][:2] for r in ("B1", "B2", "B3")] == [
        ("matched", "invoice"),
        ("matched", "account"),
        ("matched", "payment_reference"),
    ]
    assert found["B4"][0] == "unmatched" and "no invoice number" in found["B4"][2]
    assert found["B5"][0] == "unmatched" and "billed in EUR, not USD" in found["B5"][2]
    first_state, second_state = invoices_of(account)
    assert (second_state.status, first_state.paid) == ("paid", D("10.00"))
    assert invoices_of(other)[1].status == "paid"
    payment = db.session.scalar(db.select(Payment).filter_by(external_ref="bank:B1"))
    assert (payment.method, payment.source, payment.payer) == (
        "bank_transfer",
        "statement",
        "Mario Rossi",
    )


def test_a_consolidated_child_ref_pays_its_payer_and_prepaid_is_topped_up(ctx, tmp_path):
    account = billed_account(tmp_path, "SP1")
    prepaid = prepaid_account(tmp_path, "SPP")
    path = csv_statement(tmp_path, "2026-03-10,20.00,EUR,SPP,X,T1", "2026-03-10,1,EUR,SP1,X,T2")
    assert statements.import_csv(path).matched == 2
    db.session.refresh(prepaid)
    db.session.refresh(account)
    assert prepaid.balance == D("20.00")
    assert account.balance == D("-69.76")


def test_reimport_is_a_no_op_counted_as_duplicates(ctx, tmp_path):
    billed_account(tmp_path, "SD1")
    path = csv_statement(tmp_path, "2026-03-10,10.00,EUR,SD1,X,D1", "2026-03-10,3,EUR,?,X,D2",
                         "2026-03-10,10.00,EUR,SD1,X,D1")  # fmt: skip
    assert _counts(statements.import_csv(path)) == (3, 1, 1, 1, 0)
    again = statements.import_csv(path)
    assert again.line() == "read 3, matched 0, unmatched 0, duplicates 3"
    assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 1


def test_malformed_entries_are_rejected_with_line_and_reason(ctx, tmp_path):
    billed_account(tmp_path, "SM1")
    path = csv_statement(
        tmp_path,
        "2026-03-10,10.00,EUR,SM1,X,M1",
        "2026-13-10,10.00,EUR,SM1,X,M2",
        "2026-03-10,ten,EUR,SM1,X,M3",
        "2026-03-10,1.001,EUR,SM1,X,M4",
        "2026-03-10,-5,EUR,SM1,X,M5",
        "2026-03-10,5,EUR,SM1,X,",
        "2099-03-10,5,EUR,SM1,X,M7",
    )
    summary = statements.import_csv(path)
    assert _counts(summary) == (7, 1, 0, 0, 6)
    rejects = db.session.scalars(db.select(ImportReject).order_by(ImportReject.line)).all()
    assert [(r.line, r.reason.split(":")[0]) for r in rejects] == [
        (3, "booking_date"), (4, "amount"), (5, "amount"), (6, "amount"), (7, "bank_ref"),
        (8, "booking_date")]  # fmt: skip


def test_wrong_header_refuses_the_file(ctx, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("date,amount\n2026-03-10,1\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="missing columns"):
        statements.import_csv(path)
    assert db.session.scalar(db.select(db.func.count()).select_from(StatementEntry)) == 0


@pytest.mark.parametrize("version", ["02", "08"])
def test_camt053_credits_only_with_bank_ref_from_acctsvcrref_else_ntryref(ctx, tmp_path, version):
    account = billed_account(tmp_path, "SC1")
    first, _second = invoices_of(account)
    path = camt_statement(
        tmp_path,
        entry("35.38", f"INV/{first.number}", "AS-1", version=version),
        entry("9.00", "SC1", "", ntry_ref="NR-2", version=version),
        entry("50.00", "SC1", "AS-3", indicator="DBIT", version=version),
        entry("50.00", "SC1", "AS-4", reversal="true", version=version),
        entry("1.001", "SC1", "AS-5", version=version),
        version=version,
    )
    summary = statements.import_camt053(path)
    assert _counts(summary) == (3, 2, 0, 0, 1)
    found = _entries()
    assert set(found) == {"AS-1", "NR-2"}
    assert found["AS-1"][:2] == ("matched", "invoice")
    entry_row = db.session.scalar(db.select(StatementEntry).filter_by(bank_ref="AS-1"))
    assert (entry_row.payer, entry_row.reference) == ("Mario Rossi", f"INV/{first.number}")
    assert invoices_of(account)[0].status == "paid"
    assert statements.import_camt053(path).line() == (
        "read 3, matched 0, unmatched 0, duplicates 2"
    )


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>\n'
)
EXTERNAL = '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


@pytest.mark.parametrize("prolog", [BILLION_LAUGHS, EXTERNAL])
def test_xml_with_entities_is_refused(ctx, tmp_path, prolog):
    path = camt_statement(tmp_path, entry("1.00", "&lol4;", "X1"), prolog=prolog)
    with pytest.raises(ImportFileError, match="DTD or entities"):
        statements.import_camt053(path)
    assert db.session.scalar(db.select(db.func.count()).select_from(StatementEntry)) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><x></Document>',
      "not well-formed"),
     ('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"/>', "not a camt.053"),
     ("", "not well-formed")],
)  # fmt: skip
def test_wrong_xml_refuses_the_file(ctx, tmp_path, text, message):
    path = tmp_path / "bad.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFileError, match=message):
        statements.import_camt053(path)
