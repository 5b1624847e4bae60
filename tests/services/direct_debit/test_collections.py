"""Collection runs: one debit per account of its open invoices due, paid by a direct debit
payment; the pain.008 file parsed back, schema-valid; a second run collects nothing twice."""

import os
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sepaxml
import xmlschema
from lxml import etree

from app.extensions import db
from app.models.direct_debit import CollectionItem
from app.models.payments import Payment
from app.services.direct_debit import collections, mandates, pain008
from app.services.payments import payments
from app.services.platform.errors import DomainError
from tests.services.direct_debit.debited import CREDITOR_ID, DEBTOR_IBAN, debited_account
from tests.services.payments.billed import invoices_of

D = Decimal
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
XSD = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.008.001.08.xsd")


def _texts(root, path):
    return [element.text for element in root.xpath(path, namespaces=NS)]


def test_a_run_debits_the_open_invoices_and_writes_a_valid_pain_008(ctx, tmp_path):
    account = debited_account(tmp_path, "CR1")
    first, second = invoices_of(account)
    collected = collections.collect(date(2026, 4, 1))
    assert str(collected) == "files 1, debits 1, total EUR 70.76"
    (run,) = collected.runs
    (item,) = run.items
    assert (item.amount, item.sequence, len(item.end_to_end_id)) == (D("70.76"), "FRST", 35)
    # the file the bank gets, read back: schema-valid, the debit as stored
    xmlschema.XMLSchema(XSD).validate(run.file.decode())
    root = etree.fromstring(run.file)
    assert _texts(root, "//p:GrpHdr/p:MsgId") == [run.message_id]
    assert _texts(root, "//p:GrpHdr/p:CtrlSum") == ["70.76"]
    assert _texts(root, "//p:SeqTp") == ["FRST"]
    assert _texts(root, "//p:ReqdColltnDt") == ["2026-04-01"]
    assert _texts(root, "//p:CdtrSchmeId//p:Othr/p:Id") == [CREDITOR_ID]
    assert _texts(root, "//p:EndToEndId") == [item.end_to_end_id]
    assert _texts(root, "//p:InstdAmt") == ["70.76"]
    assert _texts(root, "//p:MndtId") == ["UMR-CR1"]
    assert _texts(root, "//p:DtOfSgntr") == ["2026-01-10"]
    assert _texts(root, "//p:DbtrAcct//p:IBAN") == [DEBTOR_IBAN]
    assert _texts(root, "//p:Ustrd") == [f"{first.number} {second.number}"]
    # the invoices are paid by one direct debit payment named by the end-to-end id
    payment = payments.by_external_ref(item.end_to_end_id)
    assert (payment.method, payment.source, payment.amount) == (
        "direct_debit",
        "collection",
        D("70.76"),
    )
    assert item.payment_id == payment.id
    assert [(i.status, i.balance_due) for i in invoices_of(account)] == [("paid", 0), ("paid", 0)]


def test_only_invoices_due_by_the_date_and_the_same_date_again_collects_nothing(ctx, tmp_path):
    account = debited_account(tmp_path, "CR2")
    first, second = invoices_of(account)
    on = first.due_date
    assert second.due_date > on
    assert collections.collect(on).debits == 1
    assert collections.collect(on).debits == 0
    assert [i.status for i in invoices_of(account)] == ["paid", "issued"]
    later = collections.collect(second.due_date)
    (item,) = later.runs[0].items
    # the mandate's second debit is a recurring one
    assert (item.amount, item.sequence) == (D("35.38"), "RCUR")
    assert collections.collect(second.due_date).runs == []
    assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 2


def test_a_partly_paid_invoice_is_debited_for_what_it_still_asks(ctx, tmp_path):
    account = debited_account(tmp_path, "CR3")
    payments.record(account, "10.00", "EUR", "cash")
    (run,) = collections.collect(date(2026, 4, 1)).runs
    assert run.items[0].amount == D("60.76")
    assert [line.amount for line in run.items[0].invoices] == [D("25.38"), D("35.38")]


def test_accounts_without_an_active_mandate_are_not_collected(ctx, tmp_path):
    account = debited_account(tmp_path, "CR4")
    mandates.revoke(mandates.active_of(account.id), "customer cancelled")
    assert collections.collect(date(2026, 4, 1)).runs == []


def test_a_region_without_creditor_details_is_skipped_with_the_reason(ctx, tmp_path):
    account = debited_account(tmp_path, "CR5")
    region = account.customer.region
    region.sepa_creditor_id = "IT00ZZZ123"
    db.session.commit()
    collected = collections.collect(date(2026, 4, 1))
    assert collected.runs == []
    assert collected.skipped == [
        ("IT-C", "sepa_creditor_id: region IT-C has no valid SEPA creditor identifier")
    ]
    assert db.session.scalar(db.select(db.func.count()).select_from(CollectionItem)) == 0
    with pytest.raises(DomainError, match="bank_iban: 'IT00' is not a valid IBAN"):
        region.sepa_creditor_id, region.bank_iban = CREDITOR_ID, "IT00"
        pain008.creditor(region)


def test_a_debit_left_unpaid_is_paid_by_the_next_run_not_doubled(ctx, tmp_path, monkeypatch):
    account = debited_account(tmp_path, "CR6")
    real_pay = collections._pay
    monkeypatch.setattr(collections, "_pay", lambda items, collected: None)
    (run,) = collections.collect(date(2026, 4, 1)).runs
    assert run.items[0].payment_id is None
    monkeypatch.setattr(collections, "_pay", real_pay)
    assert collections.collect(date(2026, 4, 1)).runs == []
    db.session.refresh(run.items[0])
    assert run.items[0].payment.amount == D("70.76")
    assert [i.status for i in invoices_of(account)] == ["paid", "paid"]


def test_a_file_breaking_the_schema_is_never_stored(ctx, tmp_path, monkeypatch):
    """sepaxml checks the file against the pain.008 XSD: an end-to-end id longer than its
    35 characters is refused, and nothing of the run is written."""
    debited_account(tmp_path, "CR7")
    monkeypatch.setattr(collections, "uuid4", lambda: SimpleNamespace(hex="0" * 40))
    collected = collections.collect(date(2026, 4, 1))
    assert collected.runs == []
    ((region, reason),) = collected.skipped
    assert region == "IT-C"
    assert reason.startswith("file: the pain.008 file breaks its schema: ")
    assert "EndToEndId" in reason
    assert db.session.scalar(db.select(db.func.count()).select_from(CollectionItem)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 0
