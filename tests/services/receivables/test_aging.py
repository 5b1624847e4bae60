"""Receivables aging: buckets at their edges, open amounts, scope, the drill-down, CSV."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.crm import Region
from app.services.payments import payments
from app.services.platform.errors import DomainError
from app.services.receivables import aging
from tests.services.payments.billed import billed_account, invoices_of

D = Decimal
FEBRUARY = (date(2026, 2, 1),)


def _region_id(code="IT-C") -> int:
    return db.session.scalar(db.select(Region.id).filter_by(code=code))


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-1, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
        (400, "90+"),
    ],
)
def test_an_open_invoice_falls_in_the_bucket_of_its_days_past_due(ctx, tmp_path, days, bucket):
    (invoice,) = invoices_of(billed_account(tmp_path, "AG1", runs_on=FEBRUARY))
    report = aging.aging(invoice.due_date + timedelta(days=days), None)
    (line,) = report.lines
    assert (line.region_code, line.currency, line.invoices) == ("IT-C", "EUR", 1)
    assert line.amounts == {b: D("35.38") if b == bucket else D(0) for b in aging.BUCKETS}
    assert line.total == D("35.38")
    (total,) = report.totals
    assert (total.currency, total.amounts, total.invoices) == ("EUR", line.amounts, 1)


def test_what_is_still_open_is_aged_and_paid_or_later_invoices_are_not(ctx, tmp_path):
    account = billed_account(tmp_path, "AG2")
    first, second = invoices_of(account)
    payments.record(account, "10.00", "EUR", "cash")  # the oldest first: 25.38 left on it
    as_of = second.due_date + timedelta(days=5)
    (line,) = aging.aging(as_of, None).lines
    days_first = (as_of - first.due_date).days
    assert days_first > 30
    assert line.amounts["1-30"] == D("35.38")
    assert line.amounts["31-60"] == D("25.38")
    assert (line.total, line.invoices) == (D("60.76"), 2)
    # before the second was issued only the first is there
    (line,) = aging.aging(second.issue_date - timedelta(days=1), None).lines
    assert (line.total, line.invoices) == (D("25.38"), 1)
    payments.record(account, "60.76", "EUR", "cash")
    assert aging.aging(as_of, None).lines == []


def test_the_report_and_the_drill_down_are_limited_to_the_callers_regions(ctx, tmp_path):
    account = billed_account(tmp_path, "AG3")
    billed_account(tmp_path, "AG4", runs_on=FEBRUARY)
    as_of = date(2026, 6, 1)
    assert [x.total for x in aging.aging(as_of, [_region_id()]).lines] == [D("106.14")]
    assert aging.aging(as_of, [_region_id("KR-SEL")]).lines == []
    assert aging.aging(as_of, []).lines == []
    accounts, count = aging.bucket_accounts(as_of, None, _region_id(), "EUR", "90+")
    assert count == 2
    assert [(a.account_ref, a.amount, a.invoices) for a in accounts] == [
        ("AG3", D("35.38"), 1),
        ("AG4", D("35.38"), 1),
    ]
    assert accounts[0].oldest_due == invoices_of(account)[0].due_date
    accounts, count = aging.bucket_accounts(as_of, None, _region_id(), "EUR", "61-90")
    assert ([a.account_ref for a in accounts], count) == (["AG3"], 1)
    assert aging.bucket_accounts(as_of, [_region_id("KR-SEL")], _region_id(), "EUR", "90+") == (
        [],
        0,
    )
    with pytest.raises(DomainError) as refused:
        aging.bucket_accounts(as_of, None, _region_id(), "EUR", "45")
    assert refused.value.field == "bucket"


def test_the_csv_has_a_line_per_region_and_currency_and_a_total_per_currency(ctx, tmp_path):
    billed_account(tmp_path, "AG5")
    text = "".join(aging.csv_lines(aging.aging(date(2026, 4, 1), None)))
    assert text == (
        "region,currency,current,1-30,31-60,61-90,90+,total,invoices\n"
        "IT-C,EUR,0.00,35.38,35.38,0.00,0.00,70.76,2\n"
        "*,EUR,0.00,35.38,35.38,0.00,0.00,70.76,2\n"
    )
