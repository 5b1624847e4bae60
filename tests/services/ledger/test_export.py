"""The `ledger` export (docs/formats.md): its exact columns, amounts in the currency's
precision, UTC times, the order posted, scope and period."""

import csv
from datetime import date, datetime
from decimal import Decimal

from app.extensions import db
from app.models.crm import Region
from app.models.ledger import EntryKind
from app.services.dataio import exports
from app.services.ledger import export, posting
from app.services.payments import payments
from tests.services.payments.billed import billed_account, invoices_of, prepaid_account

HEADER = "account_ref,posted_at,kind,amount,currency,reference,balance_after\n"


def _rows(region_ids=None, **period) -> list[tuple]:
    return list(export.rows(region_ids, **period))


def test_every_entry_in_the_order_posted_with_its_balance(ctx, tmp_path):
    account = billed_account(tmp_path, "LX1")
    first, second = invoices_of(account)
    payments.record(account, "40.00", "EUR", "cash", external_ref="till-7")
    prepaid = prepaid_account(tmp_path, "LX2")
    payments.record(prepaid, "5.00", "EUR", "card", external_ref="top-1")
    posting.post(prepaid.id, EntryKind.USAGE, Decimal("-0.0125"), "cdr-1")
    rows = _rows()
    assert [row[:1] + row[2:] for row in rows] == [
        ("LX1", "invoice", "-35.38", "EUR", first.number, "-35.38"),
        ("LX1", "invoice", "-35.38", "EUR", second.number, "-70.76"),
        ("LX1", "payment", "40.00", "EUR", "till-7", "-30.76"),
        ("LX2", "topup", "5.00", "EUR", "top-1", "5.00"),
        ("LX2", "usage", "-0.0125", "EUR", "cdr-1", "4.9875"),
    ]
    for row in rows:
        posted_at = datetime.fromisoformat(row[1])
        assert posted_at.utcoffset().total_seconds() == 0
        assert row[1].endswith("+00:00")


def test_the_command_writes_the_contracts_file(app, ctx, tmp_path):
    account = billed_account(tmp_path, "LX3", runs_on=(date(2026, 2, 1),))
    (invoice,) = invoices_of(account)
    out = tmp_path / "ledger.csv"
    result = app.test_cli_runner().invoke(args=["data", "export", "ledger", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "exported 1"
    text = out.read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    (row,) = csv.DictReader(text.splitlines())
    assert {k: v for k, v in row.items() if k != "posted_at"} == {
        "account_ref": "LX3",
        "kind": "invoice",
        "amount": "-35.38",
        "currency": "EUR",
        "reference": invoice.number,
        "balance_after": "-35.38",
    }
    dated = tmp_path / "dated.csv"
    result = app.test_cli_runner().invoke(
        args=["data", "export", "ledger", str(dated), "--from", "2030-01-01"]
    )
    assert (result.exit_code, result.output.strip()) == (0, "exported 0")
    assert dated.read_text(encoding="utf-8") == HEADER


def test_scope_and_period(ctx, tmp_path):
    billed_account(tmp_path, "LX4")
    it_c = db.session.scalar(db.select(Region.id).filter_by(code="IT-C"))
    kr = db.session.scalar(db.select(Region.id).filter_by(code="KR-SEL"))
    assert len(_rows([it_c])) == 2
    assert _rows([kr]) == [] == _rows([])
    today = date.today()
    assert len(_rows(since=today, until=today)) == 2
    assert _rows(until=date(2020, 1, 1)) == []
    assert "".join(exports.csv_lines("ledger", [kr])) == HEADER
