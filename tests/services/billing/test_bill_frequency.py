"""Accounts billed every one, two or three months (docs/billing.md, "Bill frequency").

A run on D bills an account only when its cycle ends on D, for the whole cycle; the fee is
worked out month by month (one `recurring` line per line and month-period, prorated by that
month's days), allowances renew every month, and a change of frequency waits for the end of
the cycle under way, so every day of a line's life is billed exactly once."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.extensions import db
from app.models.billing import BillRun, Invoice, InvoiceLine
from app.models.crm import BillFrequencyChange, BillingAccount, Service, ServiceProductChange
from app.models.usage import UsageCharge, UsageRecord
from app.services.billing import runs
from app.services.crm import bill_frequency, customer_import
from app.services.dataio import registry
from app.services.platform import periods
from tests.conftest import SAMPLES

D = Decimal
HEADER = (
    "customer_ref,kind,name,parent_ref,region,language,account_ref,payment_mode,currency,"
    "bill_day,bill_to,product_code,service_id,activated_on,bill_every\n"
)
PRODUCTS = (
    "code,name,line_type,payment_mode,currency,monthly_fee,activation_fee,rate_plan,voice_min,"
    "sms,data_mb,min_credit_class\n"
    "FLAT,Flat,mobile,postpaid,EUR,10.00,0,BASIC,0,0,0,\n"
    "MAXI,Maxi,mobile,postpaid,EUR,20.00,0,BASIC,0,0,0,\n"
)
# the runs of the future dates these tests bill happen after their periods ended
LATER = datetime(2028, 1, 1, tzinfo=UTC)


def _setup(tmp_path, rows: str):
    for kind in ("rates", "products"):
        assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return registry.run("customers", path)


def _flat_catalog(tmp_path, rows: str):
    """FLAT at 10.00 and MAXI at 20.00 a month, no activation fee; the customers' rows."""
    assert registry.run("rates", SAMPLES / "rates.csv").rejected == 0
    products = tmp_path / "products.csv"
    products.write_text(PRODUCTS, encoding="utf-8")
    assert registry.run("products", products).rejected == 0
    customers = tmp_path / "customers.csv"
    customers.write_text(HEADER + rows, encoding="utf-8")
    summary = customer_import.import_customers(customers, today=date(2025, 11, 1))
    assert summary.rejected == 0, summary


def _account(ref) -> BillingAccount:
    return db.session.scalar(db.select(BillingAccount).filter_by(ref=ref))


def _line(number) -> Service:
    return db.session.scalar(db.select(Service).filter_by(service_id=number))


def _invoices(ref):
    return db.session.scalars(
        db.select(Invoice).filter_by(account_id=_account(ref).id).order_by(Invoice.period_start)
    ).all()


def _periods(ref):
    return [(invoice.period_start, invoice.period_end) for invoice in _invoices(ref)]


def _fees(invoice):
    return [
        (line.number, line.period_start, line.period_end, line.quantity, line.amount)
        for line in invoice.lines
        if line.kind == "recurring"
    ]


def _bill_days(first: date, last: date, bill_days) -> list[date]:
    """Every date from `first` to `last` that is one of the bill days, in order."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.day in bill_days]


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


def test_each_frequency_bills_its_whole_cycles_on_their_last_day(ctx, tmp_path):
    """Runs on every bill day for half a year: each account is billed only when its cycle
    ends, across the year end, whether the line came on the bill day, the day before or
    the day after."""
    _flat_catalog(
        tmp_path,
        # monthly, bill day 28, activated on the bill day itself
        "M1,individual,Uno,,IT-C,it,MA1,postpaid,EUR,28,,FLAT,390000000001,2025-12-28,1\n"
        # every two months, bill day 1, activated the day before it
        "M2,individual,Due,,IT-C,it,MA2,postpaid,EUR,1,,FLAT,390000000002,2025-12-31,2\n"
        # every three months, bill day 15, activated the day after it
        "M3,individual,Tre,,IT-C,it,MA3,postpaid,EUR,15,,FLAT,390000000003,2025-12-16,3\n",
    )
    summaries = runs.run_dates(_bill_days(date(2025, 12, 1), date(2026, 6, 30), {1, 15, 28}), LATER)
    assert _periods("MA1") == [
        (date(2025, 12, 28), date(2026, 1, 28)),
        (date(2026, 1, 28), date(2026, 2, 28)),
        (date(2026, 2, 28), date(2026, 3, 28)),
        (date(2026, 3, 28), date(2026, 4, 28)),
        (date(2026, 4, 28), date(2026, 5, 28)),
        (date(2026, 5, 28), date(2026, 6, 28)),
    ]
    # the first bill day after 2025-12-31 is 2026-01-01: the first cycle ends a month later
    assert _periods("MA2") == [
        (date(2025, 12, 1), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 4, 1)),
        (date(2026, 4, 1), date(2026, 6, 1)),
    ]
    # the first bill day after 2025-12-16 is 2026-01-15: the first cycle ends two months later
    assert _periods("MA3") == [
        (date(2025, 12, 15), date(2026, 3, 15)),
        (date(2026, 3, 15), date(2026, 6, 15)),
    ]
    assert sum(summary.created for summary in summaries) == 11
    assert _fees(_invoices("MA2")[0]) == [
        ("390000000002", date(2025, 12, 1), date(2026, 1, 1), D(1), D("0.32")),
        ("390000000002", date(2026, 1, 1), date(2026, 2, 1), D(31), D("10.00")),
    ]
    assert _fees(_invoices("MA3")[0]) == [
        ("390000000003", date(2025, 12, 15), date(2026, 1, 15), D(30), D("9.68")),
        ("390000000003", date(2026, 1, 15), date(2026, 2, 15), D(31), D("10.00")),
        ("390000000003", date(2026, 2, 15), date(2026, 3, 15), D(28), D("10.00")),
    ]


def _three_lines(tmp_path, every, bill_day, start, late, ended, moved):
    """Lines 11 and 13 active from the period's first day, line 12 from `late`; line 11
    terminated on `ended`, line 13 moved from FLAT to MAXI on `moved`."""
    rows = "".join(
        f"P1,individual,Pia,,IT-C,it,PA1,postpaid,EUR,{bill_day},,FLAT,3900000000{n},{on},{every}\n"
        for n, on in ((11, start), (12, late), (13, start))
    )
    _flat_catalog(tmp_path, rows)
    _line("390000000011").terminated_on = ended
    line = _line("390000000013")
    db.session.add(
        ServiceProductChange(service_id=line.id, effective_on=moved, from_product="FLAT",
                             to_product="MAXI", username="t")
    )  # fmt: skip
    line.product_code = "MAXI"
    db.session.commit()


def test_a_two_month_bill_prorates_each_month_by_its_own_days(ctx, tmp_path):
    _three_lines(tmp_path, 2, 15, date(2026, 1, 15), date(2026, 1, 20), date(2026, 2, 24),
                 date(2026, 2, 25))  # fmt: skip
    runs.run(date(2026, 3, 15), now=LATER)
    (invoice,) = _invoices("PA1")
    january, february = (
        (date(2026, 1, 15), date(2026, 2, 15)),
        (date(2026, 2, 15), date(2026, 3, 15)),
    )
    # a month-period of 31 days, then one of 28
    assert _fees(invoice) == [
        ("390000000011", *january, D(31), D("10.00")),
        ("390000000011", *february, D(9), D("3.21")),  # 10 × 9/28, terminated
        ("390000000012", *january, D(26), D("8.39")),  # 10 × 26/31, activated
        ("390000000012", *february, D(28), D("10.00")),
        ("390000000013", *january, D(31), D("10.00")),
        ("390000000013", *february, D(10), D("3.57")),  # 10 × 10/28 on FLAT
        ("390000000013", *february, D(18), D("12.86")),  # 20 × 18/28 on MAXI
    ]
    assert invoice.subtotal == D("58.03")


def test_a_three_month_bill_prorates_each_month_by_its_own_days(ctx, tmp_path):
    _three_lines(tmp_path, 3, 1, date(2026, 1, 1), date(2026, 1, 6), date(2026, 3, 10),
                 date(2026, 2, 11))  # fmt: skip
    runs.run(date(2026, 4, 1), now=LATER)
    (invoice,) = _invoices("PA1")
    jan, feb, mar = (
        (date(2026, month, 1), date(2026, month + 1, 1)) for month in (1, 2, 3)
    )  # fmt: skip
    assert _fees(invoice) == [
        ("390000000011", *jan, D(31), D("10.00")),
        ("390000000011", *feb, D(28), D("10.00")),
        ("390000000011", *mar, D(9), D("2.90")),  # 10 × 9/31, terminated
        ("390000000012", *jan, D(26), D("8.39")),  # 10 × 26/31, activated
        ("390000000012", *feb, D(28), D("10.00")),
        ("390000000012", *mar, D(31), D("10.00")),
        ("390000000013", *jan, D(31), D("10.00")),
        ("390000000013", *feb, D(10), D("3.57")),  # 10 × 10/28 on FLAT
        ("390000000013", *feb, D(18), D("12.86")),  # 20 × 18/28 on MAXI
        ("390000000013", *mar, D(31), D("20.00")),
    ]


def test_allowances_renew_every_month_inside_a_two_month_bill(ctx, tmp_path):
    """SMART includes 300 s of voice, 2 SMS and 10 MiB a month: in a bill of two months
    each month's usage draws on that month's allowance, and the usage lines sum both."""
    _setup(
        tmp_path,
        "CU1,individual,Anna Neri,,IT-C,it,AC1,postpaid,EUR,5,,SMART,393331234567,2026-01-20,2\n",
    )
    records = ["record_id,service_id,usage_type,started_at,destination,quantity"]
    for month, offset in ((3, "+01:00"), (4, "+02:00")):  # Rome's clock moves on 29 March
        at = f"2026-{month:02d}-10T12:00:00{offset}"
        records += [
            f"v{month},393331234567,voice,{at},390612345678,240",
            f"d{month},393331234567,data,{at},internet,{8 * 1048576}",
            *(f"s{month}{n},393331234567,sms,{at},393471234567,1" for n in range(3)),
        ]
    cdrs = tmp_path / "cdrs.csv"
    cdrs.write_text("\n".join(records) + "\n", encoding="utf-8")
    assert registry.run("cdrs", cdrs).rejected == 0
    runs.run_dates([date(2026, 3, 5), date(2026, 4, 5), date(2026, 5, 5)], LATER)
    first, second = _invoices("AC1")
    assert (second.period_start, second.period_end) == (date(2026, 3, 5), date(2026, 5, 5))
    assert [line.kind for line in first.lines] == ["recurring", "recurring", "activation"]
    usage = [(line.usage_type, line.quantity, line.amount) for line in second.lines
             if line.kind == "usage"]  # fmt: skip
    # 240 s and 8 MiB covered in each month; 2 of the 3 SMS of each month, the third 0.10
    assert usage == [
        ("data", D(16 * 1048576), D("0.00")),
        ("sms", D(6), D("0.20")),
        ("voice", D(480), D("0.00")),
    ]
    covered = db.session.execute(
        db.select(UsageCharge.cycle_start, UsageRecord.usage_type,
                  db.func.sum(UsageCharge.covered_quantity))
        .join(UsageRecord, UsageRecord.id == UsageCharge.usage_id)
        .group_by(UsageCharge.cycle_start, UsageRecord.usage_type)
        .order_by(UsageCharge.cycle_start, UsageRecord.usage_type)
    ).all()  # fmt: skip
    assert [tuple(row) for row in covered] == [
        (date(2026, 3, 5), "data", 8 * 1048576),
        (date(2026, 3, 5), "sms", 2),
        (date(2026, 3, 5), "voice", 240),
        (date(2026, 4, 5), "data", 8 * 1048576),
        (date(2026, 4, 5), "sms", 2),
        (date(2026, 4, 5), "voice", 240),
    ]
    assert set(db.session.scalars(db.select(UsageCharge.invoice_id))) == {second.id}


def _days_billed(ref) -> Counter:
    """(line number, day) → how many times the day was billed, read from the recurring lines:
    each line's days are those of its month-period the line was active, and there must be
    as many as the line's quantity."""
    billed = Counter()
    lines = db.session.scalars(db.select(Service).filter_by(account_id=_account(ref).id)).all()
    for invoice in _invoices(ref):
        quantity = Counter()
        for line in invoice.lines:
            if line.kind == "recurring":
                quantity[(line.number, line.period_start, line.period_end)] += line.quantity
        for (number, start, end), days in quantity.items():
            (service,) = [s for s in lines if s.service_id == number]
            first = max(start, service.activated_on)
            last = min(end, service.terminated_on or end)
            active = [first + timedelta(days=n) for n in range((last - first).days)]
            assert len(active) == days, (invoice.period_start, number, start)
            billed.update((number, day) for day in active)
    return billed


def _life(ref, until: date) -> Counter:
    """Every day each line of the account was active before `until`, once."""
    life = Counter()
    for service in db.session.scalars(db.select(Service).filter_by(account_id=_account(ref).id)):
        last = min(until, service.terminated_on or until)
        days = range((last - service.activated_on).days)
        life.update((service.service_id, service.activated_on + timedelta(days=n)) for n in days)
    return life


def _months(ref) -> list[int]:
    return [len(periods.months_of(period)) for period in _periods(ref)]


def _chained(ref) -> bool:
    found = _periods(ref)
    return all(before[1] == after[0] for before, after in zip(found, found[1:], strict=False))


def test_moving_an_account_from_1_to_2_to_3_to_1_month_bills_every_day_once(ctx, tmp_path):
    """Three accounts (bill days 1, 14, 28) moved on the same days, each time in the middle
    of a cycle, with runs on every bill day for fourteen months: each change waits for the
    end of the cycle under way, the bills follow one another without a gap or an overlap,
    and every day of every line is billed exactly once."""
    _flat_catalog(
        tmp_path,
        "".join(
            f"F{day},individual,Fabio {day},,IT-C,it,FA{day},postpaid,EUR,{day},,FLAT,"
            f"39000000{day:02d}{n},{on},1\n"
            for day in (1, 14, 28)
            for n, on in ((1, "2026-01-20"), (2, "2026-04-05"))
        ),
    )
    for day in (1, 14, 28):
        _line(f"39000000{day:02d}2").terminated_on = date(2026, 8, 17)
    db.session.commit()
    run_dates = _bill_days(date(2026, 1, 1), date(2027, 3, 31), {1, 14, 28})
    done = date(2026, 1, 1)
    for made_on, every in ((date(2026, 2, 20), 2), (date(2026, 5, 20), 3), (date(2026, 11, 15), 1)):
        runs.run_dates([day for day in run_dates if done <= day < made_on], LATER)
        for day in (1, 14, 28):
            account = _account(f"FA{day}")
            account.bill_every = every
            bill_frequency.record_change(account, today=made_on)
        db.session.commit()
        done = made_on
    runs.run_dates([day for day in run_dates if day >= done], LATER)

    assert _periods("FA1") == [
        (date(2026, 1, 1), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 3, 1)),  # changed on 20 Feb: monthly until 1 March
        (date(2026, 3, 1), date(2026, 5, 1)),
        (date(2026, 5, 1), date(2026, 7, 1)),  # changed on 20 May: two months until 1 July
        (date(2026, 7, 1), date(2026, 10, 1)),
        (date(2026, 10, 1), date(2027, 1, 1)),  # changed on 15 Nov: three months until 1 Jan
        (date(2027, 1, 1), date(2027, 2, 1)),
        (date(2027, 2, 1), date(2027, 3, 1)),
    ]
    assert _months("FA14") == [1, 1, 2, 2, 3, 3, 1, 1]
    assert _periods("FA14")[0][0] == date(2026, 1, 14)
    # from 2025-12-28: the changes take effect on 28 February, 28 June and 28 December
    assert _months("FA28") == [1, 1, 2, 2, 3, 3, 1, 1, 1]
    assert _periods("FA28")[0][0] == date(2025, 12, 28)
    for day in (1, 14, 28):
        ref = f"FA{day}"
        assert _chained(ref), _periods(ref)
        billed = _days_billed(ref)
        assert set(billed.values()) == {1}
        assert billed == _life(ref, _periods(ref)[-1][1])
    changes = db.session.execute(
        db.select(BillFrequencyChange.effective_on, BillFrequencyChange.from_every,
                  BillFrequencyChange.to_every)
        .filter_by(account_id=_account("FA28").id)
        .order_by(BillFrequencyChange.id)
    ).all()  # fmt: skip
    assert [tuple(change) for change in changes] == [
        (date(2026, 2, 28), 1, 2),
        (date(2026, 6, 28), 2, 3),
        (date(2026, 12, 28), 3, 1),
    ]


def test_two_changes_in_one_cycle_the_last_counts(ctx, tmp_path):
    """Changed to three months, then to two, both before the monthly cycle under way ends;
    the second change comes with a customers import of that day."""
    rows = "T1,individual,Tina,,IT-C,it,TA1,postpaid,EUR,5,,FLAT,390000000031,2026-01-10,{}\n"
    _flat_catalog(tmp_path, rows.format(1))
    runs.run(date(2026, 2, 5), now=LATER)
    account = _account("TA1")
    account.bill_every = 3
    bill_frequency.record_change(account, today=date(2026, 2, 10))
    db.session.commit()
    path = tmp_path / "again.csv"
    path.write_text(HEADER + rows.format(2), encoding="utf-8")
    summary = customer_import.import_customers(path, today=date(2026, 2, 20))
    assert summary.line() == "read 1, accepted 1, rejected 0, duplicates 0"
    runs.run_dates(_bill_days(date(2026, 2, 6), date(2026, 9, 30), {5}), LATER)
    assert _periods("TA1") == [
        (date(2026, 1, 5), date(2026, 2, 5)),
        (date(2026, 2, 5), date(2026, 3, 5)),
        (date(2026, 3, 5), date(2026, 5, 5)),
        (date(2026, 5, 5), date(2026, 7, 5)),
        (date(2026, 7, 5), date(2026, 9, 5)),
    ]


def test_a_change_before_any_line_is_active_counts_from_the_first_cycle(ctx, tmp_path):
    """Accounts billed every three months moved to monthly before their first line is
    active: one with no line yet, one whose line starts after the change."""
    _flat_catalog(
        tmp_path,
        "N1,individual,Nora,,IT-C,it,NA2,postpaid,EUR,1,,FLAT,390000000042,2026-02-10,3\n",
    )
    bare = BillingAccount(ref="NA1", customer=_account("NA2").customer, currency="EUR",
                          bill_day=1, payment_mode="postpaid", bill_every=3)  # fmt: skip
    db.session.add(bare)
    db.session.commit()
    for ref in ("NA1", "NA2"):
        account = _account(ref)
        account.bill_every = 1
        bill_frequency.record_change(account, today=date(2026, 1, 20))
    db.session.commit()
    path = tmp_path / "line.csv"
    path.write_text(
        HEADER + "N1,individual,Nora,,IT-C,it,NA1,postpaid,EUR,1,,FLAT,390000000041,2026-02-10,\n",
        encoding="utf-8",
    )
    assert customer_import.import_customers(path, today=date(2026, 2, 1)).rejected == 0
    runs.run_dates(_bill_days(date(2026, 1, 1), date(2026, 6, 30), {1}), LATER)
    for ref in ("NA1", "NA2"):
        assert _periods(ref) == [
            (date(2026, 2, 1), date(2026, 3, 1)),
            (date(2026, 3, 1), date(2026, 4, 1)),
            (date(2026, 4, 1), date(2026, 5, 1)),
            (date(2026, 5, 1), date(2026, 6, 1)),
        ], ref


def test_the_docs_worked_example(ctx, tmp_path):
    _setup(
        tmp_path,
        "CU1,individual,Anna Neri,,IT-C,it,AC1,postpaid,EUR,5,,SMART,393331234567,2026-02-10,3\n",
    )
    summaries = runs.run_dates([date(2026, 3, 5), date(2026, 4, 5), date(2026, 5, 5)], LATER)
    assert [summary.created for summary in summaries] == [0, 0, 1]
    (invoice,) = _invoices("AC1")
    assert (invoice.period_start, invoice.period_end) == (date(2026, 2, 5), date(2026, 5, 5))
    assert [(line.kind, line.quantity, line.amount) for line in invoice.lines] == [
        ("recurring", D(23), D("4.93")),
        ("recurring", D(31), D("6.00")),
        ("recurring", D(30), D("6.00")),
        ("activation", D(1), D("2.00")),
    ]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (D("18.93"), D("4.16"), D("23.09"))


GROUP = (
    "G1,company,Gruppo,,IT-C,it,GA1,postpaid,EUR,1,,FLAT,390000000051,2026-01-01,2\n"
    "G2,company,Filiale,G1,IT-C,it,GA2,postpaid,EUR,1,GA1,FLAT,390000000052,2026-01-15,\n"
)


def test_an_account_billed_to_another_is_billed_on_its_payers_cycles(ctx, tmp_path):
    _flat_catalog(tmp_path, GROUP)
    runs.run_dates([date(2026, 2, 1), date(2026, 3, 1)], LATER)
    (invoice,) = _invoices("GA1")
    assert (invoice.period_start, invoice.period_end) == (date(2026, 1, 1), date(2026, 3, 1))
    assert _fees(invoice) == [
        ("390000000051", date(2026, 1, 1), date(2026, 2, 1), D(31), D("10.00")),
        ("390000000051", date(2026, 2, 1), date(2026, 3, 1), D(28), D("10.00")),
        ("390000000052", date(2026, 1, 1), date(2026, 2, 1), D(17), D("5.48")),
        ("390000000052", date(2026, 2, 1), date(2026, 3, 1), D(28), D("10.00")),
    ]
    assert _invoices("GA2") == []
    # moved to three months in March: the payer's change carries its account along
    payer = _account("GA1")
    payer.bill_every = 3
    bill_frequency.record_change(payer, today=date(2026, 3, 20))
    db.session.commit()
    assert _account("GA2").bill_every == 3
    runs.run_dates(_bill_days(date(2026, 3, 2), date(2026, 8, 31), {1}), LATER)
    assert _periods("GA1")[1:] == [
        (date(2026, 3, 1), date(2026, 5, 1)),
        (date(2026, 5, 1), date(2026, 8, 1)),
    ]


def test_a_payer_whose_account_does_not_follow_its_frequency_is_not_billed(ctx, tmp_path):
    """Data made by hand: the account billed to GA1 monthly, GA1 every two months."""
    _flat_catalog(tmp_path, GROUP)
    db.session.execute(db.update(BillingAccount).filter_by(ref="GA2").values(bill_every=1))
    db.session.commit()
    reason = (
        "account GA2 and its paying account have other bill frequencies (1 and 2 months): it "
        "follows its payer"
    )
    assert runs.run(date(2026, 3, 1), dry_run=True, now=LATER).failed == [("GA1", reason)]
    summary = runs.run(date(2026, 3, 1), now=LATER)
    assert (summary.created, summary.failed) == (0, [("GA1", reason)])
    run = db.session.get(BillRun, summary.run_id)
    assert [(error.account.ref, error.reason) for error in run.errors] == [("GA1", reason)]
    assert _invoices("GA1") == []


def _by_months_accounts(tmp_path):
    """Three accounts whose cycles all end on 2026-05-01: monthly, every 2 and every 3."""
    _flat_catalog(
        tmp_path,
        "B1,individual,Uno,,IT-C,it,BA1,postpaid,EUR,1,,FLAT,390000000061,2026-01-01,1\n"
        "B2,individual,Due,,IT-C,it,BA2,postpaid,EUR,1,,FLAT,390000000062,2026-01-10,2\n"
        "B3,individual,Tre,,IT-C,it,BA3,postpaid,EUR,1,,FLAT,390000000063,2026-02-01,3\n",
    )


def test_a_dry_run_counts_the_bills_by_frequency_and_writes_nothing(ctx, tmp_path):
    _by_months_accounts(tmp_path)
    summary = runs.run(date(2026, 5, 1), dry_run=True, now=LATER)
    assert str(summary) == "invoices created 3, already billed 0"
    assert summary.by_months == {1: 1, 2: 1, 3: 1}
    assert runs.run(date(2026, 4, 1), dry_run=True, now=LATER).by_months == {1: 1}
    for model in (Invoice, InvoiceLine, BillRun):
        assert db.session.scalar(db.select(db.func.count()).select_from(model)) == 0
    summary = runs.run(date(2026, 5, 1), now=LATER)
    assert summary.by_months == {1: 1, 2: 1, 3: 1}
    assert [len(_invoices(ref)) for ref in ("BA1", "BA2", "BA3")] == [1, 1, 1]


def test_the_cli_names_the_frequencies_when_some_bill_several_months(app, ctx, tmp_path):
    _by_months_accounts(tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["billing", "run", "--date", "2026-05-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "invoices created 3, already billed 0\n"
    assert result.stderr == (
        "dry run: nothing was written\n"
        "by bill frequency: every 1 month 1, every 2 months 1, every 3 months 1\n"
    )
    result = runner.invoke(args=["billing", "run", "--date", "2026-04-01", "--dry-run"])
    assert result.stdout == "invoices created 1, already billed 0\n"
    assert "by bill frequency" not in result.stderr  # all monthly
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 0


def test_the_preview_of_a_bill_of_several_months_is_the_bill(ctx, tmp_path):
    _by_months_accounts(tmp_path)
    account = _account("BA3")
    assert runs.preview(account, date(2026, 4, 1)) is None  # not the end of its cycle
    preview = runs.preview(account, date(2026, 5, 1))
    runs.run(date(2026, 5, 1), now=LATER)
    (invoice,) = _invoices("BA3")
    assert preview.period == (invoice.period_start, invoice.period_end)
    assert [(line.month, line.quantity, line.amount) for line in preview.lines] == [
        ((line.period_start, line.period_end), line.quantity, line.amount) for line in invoice.lines
    ]
    assert runs.next_bill_date(account, date(2026, 5, 1)) == date(2026, 8, 1)
