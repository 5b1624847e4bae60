"""Accounts billed every one, two or three months (docs/billing.md, "Bill frequency")."""

from datetime import date
from decimal import Decimal

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.services.billing import runs
from app.services.dataio import registry
from tests.conftest import SAMPLES

D = Decimal
HEADER = (
    "customer_ref,kind,name,parent_ref,region,language,account_ref,payment_mode,currency,"
    "bill_day,bill_to,product_code,service_id,activated_on,bill_every\n"
)


def _setup(tmp_path, rows: str):
    for kind in ("rates", "products"):
        assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return registry.run("customers", path)


def _invoices(ref):
    account = db.session.scalar(db.select(BillingAccount).filter_by(ref=ref))
    return db.session.scalars(
        db.select(Invoice).filter_by(account_id=account.id).order_by(Invoice.period_start)
    ).all()


def test_the_worked_example_bills_every_two_months_from_the_first_bill_day(ctx, tmp_path):
    summary = _setup(
        tmp_path,
        "CU1,individual,Anna Neri,,IT-C,it,AC1,postpaid,EUR,1,,SMART,393331234567,2026-01-20,2\n",
    )
    assert summary.rejected == 0, summary
    for day in (date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)):
        runs.run(day)
    invoices = _invoices("AC1")
    assert [(i.period_start, i.period_end) for i in invoices] == [
        (date(2026, 1, 1), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 5, 1)),
    ]
    first = invoices[0]
    fees = [(line.kind, line.period_start, line.quantity, line.amount) for line in first.lines]
    assert fees == [
        ("recurring", date(2026, 1, 1), D(12), round(D(6) * 12 / 31, 2)),
        ("recurring", date(2026, 2, 1), D(28), D("6.00")),
        ("activation", None, D(1), D("2.00")),
    ]
