"""Bill runs: the samples of docs/billing.md and invoices worked out by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.billing import AccountDiscount, Adjustment, BillRun, Invoice, InvoiceLine
from app.models.catalog import Discount
from app.models.crm import BillingAccount, Service, ServiceProductChange
from app.models.usage import UsageCharge
from app.services.billing import runs
from app.services.dataio import registry
from app.services.platform.errors import DomainError
from app.services.usage import rating_runs
from tests.conftest import SAMPLES

D = Decimal


def _import(kind, path):
    summary = registry.run(kind, path)
    assert summary.rejected == 0, summary
    return summary


def _samples():
    for kind in ("rates", "products", "customers", "cdrs"):
        _import(kind, SAMPLES / f"{kind}.csv")


def _lines(invoice):
    return [(line.kind, line.usage_type, line.quantity, line.amount) for line in invoice.lines]


def _invoice(ref, period_start):
    account = db.session.scalar(db.select(BillingAccount).filter_by(ref=ref))
    return db.session.scalar(
        db.select(Invoice).filter_by(account_id=account.id, period_start=period_start)
    )


def test_the_samples_bill_as_worked_out_by_hand(ctx):
    _samples()
    assert str(runs.run(date(2026, 2, 5))) == "invoices created 1, already billed 0"
    first = _invoice("AC1", date(2026, 1, 5))
    assert _lines(first) == [
        ("recurring", None, D(16), D("3.10")),
        ("activation", None, D(1), D("2.00")),
    ]
    assert (first.subtotal, first.tax, first.total) == (D("5.10"), D("1.12"), D("6.22"))
    assert first.number == "IT-C-2026-000001"
    assert str(runs.run(date(2026, 3, 5))) == "invoices created 1, already billed 0"
    second = _invoice("AC1", date(2026, 2, 5))
    assert _lines(second) == [
        ("recurring", None, D(28), D("6.00")),
        ("usage", "data", D(15728640), D("5.00")),
        ("usage", "sms", D(3), D("0.10")),
        ("usage", "voice", D(500), D("1.42")),
    ]
    assert (second.subtotal, second.tax, second.total) == (D("12.52"), D("2.75"), D("15.27"))
    assert (second.issue_date, second.due_date) == (date(2026, 3, 5), date(2026, 3, 20))
    assert second.number == "IT-C-2026-000002"
    # the usage is on the invoice: re-rating leaves it alone
    charges = db.session.scalars(db.select(UsageCharge)).all()
    assert {c.invoice_id for c in charges} == {second.id}
    assert str(runs.run(date(2026, 3, 5))) == "invoices created 0, already billed 1"
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 2


def test_a_dry_run_writes_nothing_and_the_preview_is_the_bill(ctx):
    _samples()
    rating_runs.rate_pending()
    summary = runs.run(date(2026, 3, 5), dry_run=True)
    assert str(summary) == "invoices created 1, already billed 0"
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(BillRun)) == 0
    account = db.session.scalar(db.select(BillingAccount).filter_by(ref="AC1"))
    preview = runs.preview(account, date(2026, 3, 5))
    runs.run(date(2026, 3, 5))
    invoice = _invoice("AC1", date(2026, 2, 5))
    assert [(line.kind, line.amount) for line in preview.lines] == [
        (line.kind, line.amount) for line in invoice.lines
    ]
    assert (preview.subtotal, preview.tax, preview.total) == (
        invoice.subtotal,
        invoice.tax,
        invoice.total,
    )


PRODUCTS = (
    "code,name,line_type,payment_mode,currency,monthly_fee,activation_fee,rate_plan,voice_min,"
    "sms,data_mb,min_credit_class"
)
CUSTOMERS = (
    "customer_ref,kind,name,parent_ref,region,language,account_ref,payment_mode,currency,"
    "bill_day,bill_to,product_code,service_id,activated_on"
)


def _customers(tmp_path, rows, products=None):
    for kind, header, body in (("products", PRODUCTS, products), ("customers", CUSTOMERS, rows)):
        if body:
            path = tmp_path / f"{kind}.csv"
            path.write_text(f"{header}\n{body}", encoding="utf-8")
            _import(kind, path)


def _activate_all():
    for service in db.session.scalars(db.select(Service)):
        service.status = "active"
    db.session.commit()


def test_proration_at_month_edges_in_a_leap_year_and_termination(ctx, tmp_path):
    _customers(
        tmp_path,
        "L1,individual,Leap,,IT-C,it,LA1,postpaid,EUR,1,,FLAT,390000000001,2024-02-10\n"
        "L1,individual,Leap,,IT-C,it,LA1,postpaid,EUR,1,,FLAT,390000000002,2024-01-15\n",
        products="FLAT,Flat,mobile,postpaid,EUR,29.00,0,FLATPLAN,0,0,0,\n",
    )
    _activate_all()
    line2 = db.session.scalar(db.select(Service).filter_by(service_id="390000000002"))
    line2.terminated_on = date(2024, 2, 20)
    db.session.commit()
    runs.run(date(2024, 3, 1))
    invoice = _invoice("LA1", date(2024, 2, 1))
    # February 2024 has 29 days: 20 from the 10th, and 19 up to the termination on the 20th
    assert _lines(invoice) == [
        ("recurring", None, D(20), D("20.00")),
        ("recurring", None, D(19), D("19.00")),
    ]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (D("39.00"), D("8.58"), D("47.58"))


def test_krw_has_no_decimals_and_vat_rounds_half_up(ctx, tmp_path):
    _customers(
        tmp_path,
        "K1,individual,Kim,,KR-SEL,ko,KA1,postpaid,KRW,10,,KFLAT,821000000001,2026-05-20\n",
        products="KFLAT,Flat,mobile,postpaid,KRW,33333,1005,KPLAN,0,0,0,\n",
    )
    _activate_all()
    runs.run(date(2026, 6, 10))
    invoice = _invoice("KA1", date(2026, 5, 10))
    # 33333 × 21/31 = 22580.42 → 22580; VAT 10 % of 23585 = 2358.5 → 2359 (half up)
    assert _lines(invoice) == [
        ("recurring", None, D(21), D(22580)),
        ("activation", None, D(1), D(1005)),
    ]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (D(23585), D(2359), D(25944))
    assert invoice.number.startswith("KR-SEL-2026-")


def test_consolidated_invoice_has_a_section_per_child_account(ctx, tmp_path):
    _customers(
        tmp_path,
        "G1,company,Group,,IT-C,it,GA1,postpaid,EUR,5,,FLAT,390000000011,2026-01-01\n"
        "G2,company,Subsidiary,G1,IT-C,it,GA2,postpaid,EUR,5,GA1,FLAT,390000000012,2026-01-01\n"
        "G2,company,Subsidiary,G1,IT-C,it,GA2,postpaid,EUR,5,GA1,FLAT,390000000013,2026-01-01\n",
        products="FLAT,Flat,mobile,postpaid,EUR,10.00,0,FLATPLAN,0,0,0,\n",
    )
    _activate_all()
    assert str(runs.run(date(2026, 3, 5))) == "invoices created 1, already billed 0"
    invoice = _invoice("GA1", date(2026, 2, 5))
    child = db.session.scalar(db.select(BillingAccount).filter_by(ref="GA2"))
    assert [(line.account_id == child.id, line.amount) for line in invoice.lines] == [
        (False, D("10.00")),
        (True, D("10.00")),
        (True, D("10.00")),
    ]
    assert invoice.total == D("36.60")
    assert _invoice("GA2", date(2026, 2, 5)) is None


def test_discounts_adjustments_and_a_product_change(ctx, tmp_path):
    _customers(
        tmp_path,
        "P1,individual,Pia,,IT-C,it,PA1,postpaid,EUR,5,,FLAT,390000000021,2026-01-01\n",
        products="FLAT,Flat,mobile,postpaid,EUR,10.00,0,FLATPLAN,0,0,0,\n"
        "MAXI,Maxi,mobile,postpaid,EUR,20.00,0,FLATPLAN,0,0,0,\n",
    )
    _activate_all()
    account = db.session.scalar(db.select(BillingAccount).filter_by(ref="PA1"))
    line = db.session.scalar(db.select(Service).filter_by(service_id="390000000021"))
    # from 19 February on MAXI: 14 days FLAT, 14 days MAXI of 28
    db.session.add(
        ServiceProductChange(service_id=line.id, effective_on=date(2026, 2, 19),
                             from_product="FLAT", to_product="MAXI", username="t")
    )  # fmt: skip
    line.product_code = "MAXI"
    half = Discount(code="HALF", name="Half", kind="percentage", value=D(50),
                    applies_to="recurring", cycles=1)  # fmt: skip
    db.session.add(half)
    db.session.flush()
    db.session.add(AccountDiscount(account_id=account.id, discount_id=half.id,
                                   starts_on=date(2026, 2, 10), username="t"))  # fmt: skip
    db.session.add(Adjustment(account_id=account.id, amount=D("-1.50"), currency="EUR",
                              reason="goodwill", username="t",
                              created_at=datetime(2026, 2, 20, tzinfo=UTC)))  # fmt: skip
    db.session.commit()
    runs.run(date(2026, 3, 5))
    invoice = _invoice("PA1", date(2026, 2, 5))
    assert _lines(invoice) == [
        ("recurring", None, D(14), D("5.00")),
        ("recurring", None, D(14), D("10.00")),
        ("discount", None, D(1), D("-7.50")),
        ("adjustment", None, D(1), D("-1.50")),
    ]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (D("6.00"), D("1.32"), D("7.32"))
    # the discount was for one cycle, the adjustment is carried once
    runs.run(date(2026, 4, 5))
    assert _lines(_invoice("PA1", date(2026, 3, 5))) == [("recurring", None, D(31), D("20.00"))]
    assert db.session.scalar(db.select(Adjustment)).invoice_id == invoice.id


def test_unrated_usage_leaves_the_account_unbilled_with_the_reason(app, ctx, monkeypatch):
    _samples()
    db.session.execute(db.text("DELETE FROM rate"))
    db.session.execute(db.text("DELETE FROM deck_range"))
    db.session.commit()
    summary = runs.run(date(2026, 3, 5))
    assert str(summary) == "invoices created 0, already billed 0"
    assert summary.failed == [("AC1", "9 usage records of AC1 are not rated yet")]
    run = db.session.get(BillRun, summary.run_id)
    assert (run.status, run.failed, [e.reason for e in run.errors]) == (
        "done",
        1,
        ["9 usage records of AC1 are not rated yet"],
    )
    monkeypatch.setitem(app.config, "BILL_UNRATED_USAGE", "skip")
    assert str(runs.run(date(2026, 3, 5))) == "invoices created 1, already billed 0"
    assert [line.kind for line in _invoice("AC1", date(2026, 2, 5)).lines] == ["recurring"]


def test_a_bill_day_after_28_is_refused(ctx):
    with pytest.raises(DomainError, match="bill days are 1 to 28"):
        runs.run(date(2026, 3, 30))


def test_several_dates_are_billed_after_one_rating(ctx, monkeypatch):
    _samples()
    with pytest.raises(DomainError, match="bill days are 1 to 28"):
        runs.run_dates([date(2026, 2, 5), date(2026, 3, 30)])
    assert _count(Invoice) == 0  # a bad date refuses them all, before anything is rated
    ratings = []
    rate = rating_runs.rate_pending_held
    monkeypatch.setattr(
        rating_runs, "rate_pending_held", lambda *a, **k: ratings.append(1) or rate(*a, **k)
    )
    summaries = runs.run_dates([date(2026, 2, 5), date(2026, 3, 5)])
    assert [str(s) for s in summaries] == ["invoices created 1, already billed 0"] * 2
    assert len(ratings) == 1
    assert _invoice("AC1", date(2026, 2, 5)).total == D("15.27")


def test_the_cli_prints_the_summary_and_refuses_a_bad_date(app, ctx):
    _samples()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["billing", "run", "--date", "2026-02-05"])
    assert (result.exit_code, result.output) == (0, "invoices created 1, already billed 0\n")
    result = runner.invoke(args=["billing", "run", "--date", "2026-02-05", "--dry-run"])
    assert result.output.splitlines()[-1] == "invoices created 0, already billed 1"
    result = runner.invoke(args=["billing", "run", "--date", "5 Feb"])
    assert result.exit_code == 1
    assert "'5 Feb' is not a date YYYY-MM-DD" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(InvoiceLine)) == 2


def test_the_daily_job_bills_what_is_due_and_records_only_runs_with_work(ctx):
    _samples()
    half_past_eleven_in_rome = datetime(2026, 3, 4, 22, 30, tzinfo=UTC)
    summary = runs.run(date(2026, 3, 5), now=half_past_eleven_in_rome)
    assert str(summary) == "invoices created 0, already billed 0"  # the period is not over
    runs.run_due(datetime(2026, 3, 5, 0, 30, tzinfo=UTC))
    assert _invoice("AC1", date(2026, 2, 5)).total == D("15.27")
    runs.run_due(datetime(2026, 3, 5, 0, 30, tzinfo=UTC))
    # the explicit run above and the job's first: the second job found nothing to bill
    assert db.session.scalar(db.select(db.func.count()).select_from(BillRun)) == 2


def test_the_daily_job_bills_every_day_missed_since_the_last_run(ctx, tmp_path):
    _customers(
        tmp_path,
        "".join(
            f"M{day},individual,Day {day},,IT-C,it,MA{day},postpaid,EUR,{day},,FLAT,"
            f"39000000010{day},2026-01-01\n"
            for day in (4, 5, 6, 7)
        ),
        products="FLAT,Flat,mobile,postpaid,EUR,10.00,0,FLATPLAN,0,0,0,\n",
    )
    _activate_all()
    runs.run_due(datetime(2026, 3, 4, 0, 30, tzinfo=UTC))
    assert _count(Invoice) == 1  # then no scheduler ran on the 5th, 6th and 7th
    runs.run_due(datetime(2026, 3, 8, 0, 30, tzinfo=UTC))
    assert {_invoice(f"MA{day}", date(2026, 2, day)) is not None for day in (4, 5, 6, 7)} == {True}
    bill_runs = _count(BillRun)
    runs.run_due(datetime(2026, 3, 8, 0, 30, tzinfo=UTC))
    assert (_count(Invoice), _count(BillRun)) == (4, bill_runs)  # nothing twice, no idle record


CRASHING_RUN = """
import os, signal, sys, time
sys.path.insert(0, os.getcwd())
from app import create_app
from app.services.billing import runs
from app.services.platform.actor import acting_as
from datetime import date

write = runs._write_chunk


def slow(*args):
    write(*args)
    time.sleep(0.2)  # time for the test to kill it between chunks, or in one


runs._write_chunk = slow
app = create_app({"BILL_RUN_CHUNK": 3})
with app.app_context(), acting_as():
    runs.run(date(2026, 3, 5))
"""


def test_a_run_killed_halfway_is_failed_and_the_next_run_bills_every_account_once(
    app, ctx, tmp_path
):
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    from app.models.system import ProcessLock
    from app.services.platform.actor import acting_as

    rows = "".join(
        f"K{n},individual,Kay {n},,IT-C,it,KA{n},postpaid,EUR,5,,FLAT,3900001{n:05d},2026-01-01\n"
        for n in range(30)
    )
    _customers(tmp_path, rows, products="FLAT,Flat,mobile,postpaid,EUR,10.00,0,FLATPLAN,0,0,0,\n")
    _activate_all()
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_RUN],
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 60
        while _count(Invoice) < 6 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
            db.session.rollback()
    finally:
        holder = db.session.get(ProcessLock, "rating").holder
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert 0 < _count(Invoice) < 30
    killed = db.session.scalar(db.select(BillRun))
    assert killed.status == "running"  # until the lock is taken over
    done = {}

    def next_run():
        with app.app_context(), acting_as():
            done["summary"] = runs.run(date(2026, 3, 5))
            db.session.remove()

    thread = threading.Thread(target=next_run, daemon=True)
    thread.start()
    thread.join(60)
    assert "summary" in done  # the dead holder's lock was not waited for
    assert done["summary"].created + done["summary"].already == 30
    numbers = sorted(db.session.scalars(db.select(Invoice.number)))
    assert numbers == [f"IT-C-2026-{n:06d}" for n in range(1, 31)]
    assert _count(Invoice) == 30
    db.session.refresh(killed)
    assert killed.status == "failed" and killed.finished_at is not None
    assert killed.reason == f"stopped without finishing: its process ({holder}) ended"


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_an_account_the_run_cannot_bill_is_recorded_with_the_reason(ctx):
    """Data made before the rules (or by hand): a prepaid account with a postpaid line, and
    a postpaid account billed to it. Neither is left out silently."""
    _samples()
    payer = db.session.scalar(db.select(BillingAccount).filter_by(ref="AC1"))
    child = BillingAccount(ref="AC2", customer_id=payer.customer_id, currency="EUR",
                           bill_day=5, payment_mode="postpaid", bill_to=payer)  # fmt: skip
    db.session.add(child)
    db.session.commit()
    db.session.execute(db.update(BillingAccount).filter_by(ref="AC1").values(
        payment_mode="prepaid"))  # fmt: skip
    db.session.commit()
    reasons = [
        ("AC1", "a prepaid account with postpaid lines (393331234567): they are billed once "
                "it is postpaid"),
        ("AC2", "its charges are billed to AC1, which is not a postpaid account paying for "
                "itself"),
    ]  # fmt: skip
    assert runs.run(date(2026, 2, 5), dry_run=True).failed == reasons
    # the scheduler's run records it even with nothing else to bill
    summaries = runs.run_due(now=datetime(2026, 2, 6, 12, tzinfo=UTC))
    summary = next(s for s in summaries if s.run_id)
    assert (summary.created, summary.failed) == (0, reasons)
    run = db.session.get(BillRun, summary.run_id)
    assert (run.failed, [(e.account.ref, e.reason) for e in run.errors]) == (2, reasons)
    # before the period ends on the region's clock, nothing is due yet
    assert runs.run(date(2026, 2, 5), now=datetime(2026, 2, 4, 20, tzinfo=UTC)).failed == []
