"""Rating the samples of docs/rating.md end to end, unrated records, prepaid balances."""

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.ledger import LedgerEntry
from app.models.usage import AllowanceUsage, UsageCharge, UsageRecord
from app.services.dataio import registry
from app.services.ledger import posting as ledger
from app.services.platform.actor import acting_as
from app.services.usage import rating_runs
from tests.conftest import SAMPLES

EXPECTED = {  # record: billed, covered, charge (samples/README.md)
    "e1": (100, 100, "0.0000"),
    "e2": (250, 200, "0.0333"),
    "e3": (30, 0, "0.1900"),
    "e4": (120, 0, "1.2000"),
    "e5": (1, 1, "0.0000"),
    "e6": (1, 1, "0.0000"),
    "e7": (1, 0, "0.1000"),
    "e8": (15728640, 10485760, "5.0000"),
    "e9": (0, 0, "0.0000"),
}


def _import(kind, path, fmt="csv"):
    summary = registry.run(kind, path, fmt)
    assert summary.rejected == 0, summary
    return summary


def _samples(tmp_path, cdrs=None):
    for kind in ("rates", "products", "customers"):
        _import(kind, SAMPLES / f"{kind}.csv")
    if cdrs is None:
        _import("cdrs", SAMPLES / "cdrs.csv")
    else:
        path = tmp_path / "cdrs.csv"
        path.write_text(
            "record_id,service_id,usage_type,started_at,destination,quantity\n" + cdrs,
            encoding="utf-8",
        )
        _import("cdrs", path)


def _charges():
    rows = db.session.execute(
        db.select(UsageRecord.record_id, UsageCharge).join(
            UsageCharge, UsageCharge.usage_id == UsageRecord.id
        )
    ).all()
    return {record_id: charge for record_id, charge in rows}


def test_the_samples_rate_as_worked_out_by_hand(ctx, tmp_path):
    _samples(tmp_path)
    assert str(rating_runs.rate_pending()) == "rated 9, unrated 0"
    charges = _charges()
    for record_id, (billed, covered, charge) in EXPECTED.items():
        found = charges[record_id]
        assert (found.billed_quantity, found.covered_quantity, found.charge) == (
            billed,
            covered,
            Decimal(charge),
        ), record_id
        assert found.cycle_start == date(2026, 2, 5) and found.currency == "EUR"
    assert str(rating_runs.rate_pending()) == "rated 0, unrated 0"  # nothing twice


def test_a_record_without_a_rate_waits_and_is_rated_once_a_rate_exists(ctx, tmp_path):
    _import("products", SAMPLES / "products.csv")
    _import("customers", SAMPLES / "customers.csv")
    # the plan loses its SMS rates: the SMS record cannot be rated
    sms_free = tmp_path / "voice_only.csv"
    sms_free.write_text(
        "".join(
            line
            for line in (SAMPLES / "rates.csv").read_text(encoding="utf-8").splitlines(True)
            if ",sms," not in line
        ),
        encoding="utf-8",
    )
    _import("rates", sms_free)
    _import("cdrs", SAMPLES / "cdrs.csv")
    assert str(rating_runs.rate_pending()) == "rated 6, unrated 3"
    unrated = _charges()["e5"]
    assert (unrated.status, unrated.reason) == ("unrated", "no sms rates in the plan")
    _import("rates", SAMPLES / "rates.csv")
    assert str(rating_runs.rate_pending()) == "rated 3, unrated 0"
    assert _charges()["e7"].charge == Decimal("0.1000")


def test_prepaid_balances_are_debited_never_below_zero(ctx, tmp_path):
    _samples(
        tmp_path,
        cdrs=(
            "p1,393331234567,sms,2026-02-11T12:00:00+01:00,393471234567,1\n"
            "p2,393331234567,sms,2026-02-11T12:01:00+01:00,393471234567,1\n"
            "p3,393331234567,sms,2026-02-11T12:02:00+01:00,393471234567,1\n"
            "p4,393331234567,sms,2026-02-11T12:03:00+01:00,393471234567,1\n"
            "p5,393331234567,sms,2026-02-11T12:04:00+01:00,393471234567,1\n"
        ),
    )
    account = db.session.scalar(db.select(BillingAccount))
    account.payment_mode = "prepaid"
    db.session.commit()
    ledger.post(account.id, "topup", Decimal("0.15"), "voucher-1")
    assert str(rating_runs.rate_pending()) == "rated 5, unrated 0"
    charges = _charges()
    # two SMS in the allowance, then 0.10 paid, 0.05 paid + 0.05 unrecovered, 0.10 unrecovered
    assert [charges[f"p{i}"].charge for i in range(1, 6)] == [Decimal("0.0000")] * 2 + [
        Decimal("0.1000")
    ] * 3
    assert [charges[f"p{i}"].unrecovered for i in range(3, 6)] == [
        Decimal("0.0000"),
        Decimal("0.0500"),
        Decimal("0.1000"),
    ]
    db.session.refresh(account)
    assert account.balance == Decimal("0.0000")
    entries = db.session.scalars(db.select(LedgerEntry).order_by(LedgerEntry.id)).all()
    assert [(e.reference, e.amount, e.balance_after) for e in entries] == [
        ("voucher-1", Decimal("0.1500"), Decimal("0.1500")),
        ("p3", Decimal("-0.1000"), Decimal("0.0500")),
        ("p4", Decimal("-0.0500"), Decimal("0.0000")),
    ]


def test_rated_usage_export(ctx, tmp_path):
    import csv

    from app.services.dataio import exports

    _samples(tmp_path)
    path = tmp_path / "rated.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        assert exports.write_export("rated-usage", out, None) == 9
    with open(path, newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    assert rows[0]["status"] == "pending" and rows[0]["charge"] == ""
    rating_runs.rate_pending()
    with open(path, "w", newline="", encoding="utf-8") as out:
        exports.write_export("rated-usage", out, None)
    with open(path, newline="", encoding="utf-8") as source:
        rows = {row["record_id"]: row for row in csv.DictReader(source)}
    assert list(rows["e2"].values()) == [
        "e2",
        "393331234567",
        "voice",
        "2026-02-09T21:00:00+00:00",
        "393471234567",
        "250",
        "250",
        "200",
        "0.0333",
        "EUR",
        "rated",
        "",
    ]


def test_rerating_after_a_rate_change_charges_once_at_the_new_price(ctx, tmp_path):
    _samples(tmp_path)
    rating_runs.rate_pending()
    dearer = tmp_path / "dearer.csv"
    dearer.write_text(
        (SAMPLES / "rates.csv").read_text(encoding="utf-8").replace(",0.10,1,1,", ",0.20,1,1,"),
        encoding="utf-8",
    )
    _import("rates", dearer)
    assert str(rating_runs.rerate(start=date(2026, 3, 5))) == "rated 0, unrated 0"  # a later cycle
    assert _charges()["e7"].charge == Decimal("0.1000")
    assert str(rating_runs.rerate(start=date(2026, 2, 1), end=date(2026, 3, 1))) == (
        "rated 9, unrated 0"
    )
    charges = _charges()
    assert len(charges) == 9 and charges["e7"].charge == Decimal("0.2000")
    assert (charges["e5"].covered_quantity, charges["e2"].covered_quantity) == (1, 200)


def test_rerate_command(app, tmp_path):
    with app.app_context(), acting_as():
        _samples(tmp_path)
        rating_runs.rate_pending()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["usage", "rerate", "--service", "393331234567"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "rated 9, unrated 0"
    result = runner.invoke(args=["usage", "rerate", "--service", "399999"])
    assert result.exit_code == 1 and "unknown service '399999'" in result.output


def _two_sms_then_a_late_one(tmp_path, early: str, late: str, before_late=None):
    """s2 and s3 (SMS at `early` +5 and +6 minutes) rated, then s1 (at `late`) imported;
    `before_late` runs in between."""
    _samples(tmp_path, cdrs=f"s2,393331234567,sms,{early.format(5)},39347,1\n"
             f"s3,393331234567,sms,{early.format(6)},39347,1\n")  # fmt: skip
    rating_runs.rate_pending()
    if before_late is not None:
        before_late()
    path = tmp_path / "late.csv"
    path.write_text(
        "record_id,service_id,usage_type,started_at,destination,quantity\n"
        f"s1,393331234567,sms,{late},39347,1\n",
        encoding="utf-8",
    )
    _import("cdrs", path)


def test_a_late_record_is_covered_in_the_order_of_its_start(ctx, tmp_path):
    _two_sms_then_a_late_one(tmp_path, "2026-02-11T12:0{}:00+01:00", "2026-02-11T12:00:00+01:00")
    assert str(rating_runs.rate_pending()) == "rated 1, unrated 0"
    charges = _charges()
    # s1 came first: it and s2 are in the allowance, s3 pays
    assert [charges[r].charge for r in ("s1", "s2", "s3")] == [
        Decimal("0.0000"),
        Decimal("0.0000"),
        Decimal("0.1000"),
    ]


def test_a_late_record_days_before_the_others_brings_its_whole_cycle_back(ctx, tmp_path):
    _two_sms_then_a_late_one(tmp_path, "2026-02-25T12:0{}:00+01:00", "2026-02-10T12:00:00+01:00")
    assert str(rating_runs.rate_pending()) == "rated 1, unrated 0"
    charges = _charges()
    assert [charges[r].charge for r in ("s1", "s2", "s3")] == [
        Decimal("0.0000"),
        Decimal("0.0000"),
        Decimal("0.1000"),
    ]
    assert db.session.scalar(db.select(db.func.sum(AllowanceUsage.covered))) == 2


def test_a_record_that_stays_unrated_leaves_its_cycle_alone(ctx, tmp_path):
    _samples(tmp_path, cdrs="s2,393331234567,sms,2026-02-11T12:05:00+01:00,39347,1\n"
             "s3,393331234567,sms,2026-02-11T12:06:00+01:00,39347,1\n")  # fmt: skip
    rating_runs.rate_pending()
    huge = tmp_path / "huge.csv"
    huge.write_text(
        "record_id,service_id,usage_type,started_at,destination,quantity\n"
        f"u1,393331234567,sms,2026-02-11T12:00:00+01:00,39347,{10**15}\n",
        encoding="utf-8",
    )
    _import("cdrs", huge)
    for _run in range(2):
        assert str(rating_runs.rate_pending()) == "rated 0, unrated 1"
        charges = _charges()
        assert charges["u1"].reason == "the quantity is too large to price exactly"
        assert [charges[r].covered_quantity for r in ("s2", "s3")] == [1, 1]


def test_runs_take_turns(app, ctx, tmp_path, monkeypatch):
    import threading
    from datetime import timedelta

    from app.services.platform import locks

    _samples(tmp_path)
    monkeypatch.setattr(rating_runs, "RUN_LOCK_POLL", 0.05)
    assert locks.acquire(rating_runs.RUN_LOCK, "another run", timedelta(hours=1))
    finished = threading.Event()

    def run():
        with app.app_context(), acting_as():
            rating_runs.rate_pending()
            db.session.remove()
        finished.set()

    thread = threading.Thread(target=run)
    thread.start()
    assert not finished.wait(0.5)  # it waits for the other run
    locks.release(rating_runs.RUN_LOCK, "another run")
    assert finished.wait(30)
    thread.join()
    assert len(_charges()) == 9


def test_a_run_that_lost_its_lock_writes_nothing_more(ctx, tmp_path, monkeypatch):
    from app.services.usage import rating_chunk

    _samples(tmp_path)
    write = rating_chunk._write

    def taken_over(raw, *args, **kwargs):
        # another process took the lock over as stale while this chunk was worked out
        raw.execute("UPDATE process_lock SET holder = 'another run' WHERE name = 'rating'")
        return write(raw, *args, **kwargs)

    monkeypatch.setattr(rating_chunk, "_write", taken_over)
    with pytest.raises(RuntimeError, match="lost its lock"):
        rating_runs.rate_pending()
    assert _charges() == {}


def _invoice_the_samples():
    db.session.execute(db.text("UPDATE usage_charge SET invoice_id = 1"))
    db.session.commit()


def test_rerating_leaves_cycles_on_an_issued_invoice_alone(app, ctx, tmp_path):
    _samples(tmp_path)
    rating_runs.rate_pending()
    _invoice_the_samples()
    dearer = tmp_path / "dearer.csv"
    dearer.write_text(
        (SAMPLES / "rates.csv").read_text(encoding="utf-8").replace(",0.10,1,1,", ",0.20,1,1,"),
        encoding="utf-8",
    )
    _import("rates", dearer)
    summary = rating_runs.rerate()
    assert (str(summary), summary.invoiced) == ("rated 0, unrated 0", 1)
    assert _charges()["e7"].charge == Decimal("0.1000")
    result = app.test_cli_runner().invoke(args=["usage", "rerate"])
    assert result.output.splitlines() == [
        "rated 0, unrated 0",
        "cycles left alone, on issued invoices: 1",
    ]


def test_a_late_record_in_an_invoiced_cycle_takes_what_is_left(ctx, tmp_path):
    _two_sms_then_a_late_one(
        tmp_path, "2026-02-11T12:0{}:00+01:00", "2026-02-11T12:00:00+01:00", _invoice_the_samples
    )
    assert str(rating_runs.rate_pending()) == "rated 1, unrated 0"
    charges = _charges()
    # the invoice stands: s2 and s3 keep the allowance, s1 pays
    assert [charges[r].charge for r in ("s1", "s2", "s3")] == [
        Decimal("0.1000"),
        Decimal("0.0000"),
        Decimal("0.0000"),
    ]


def test_chunks_are_rated_side_by_side(app, ctx, tmp_path, monkeypatch):
    header = (SAMPLES / "customers.csv").read_text(encoding="utf-8").splitlines()[0]
    customers = tmp_path / "customers.csv"
    customers.write_text(
        header
        + "\n"
        + "".join(
            f"CU{n},individual,Customer {n},,IT-C,it,AC{n},postpaid,EUR,5,,SMART,"
            f"39333000000{n},2026-01-20\n"
            for n in range(1, 6)
        ),
        encoding="utf-8",
    )
    for kind in ("rates", "products"):
        _import(kind, SAMPLES / f"{kind}.csv")
    _import("customers", customers)
    cdrs = tmp_path / "cdrs.csv"
    cdrs.write_text(
        "record_id,service_id,usage_type,started_at,destination,quantity\n"
        + "".join(
            f"c{n}-{k},39333000000{n},sms,2026-02-11T12:0{k}:00+01:00,39347,1\n"
            for n in range(1, 6)
            for k in range(3)
        ),
        encoding="utf-8",
    )
    _import("cdrs", cdrs)
    monkeypatch.setattr(rating_runs, "CHUNK_RECORDS", {"postgresql": 3, "sqlite": 3})
    app.config["RATING_WORKERS"] = 2
    assert str(rating_runs.rate_pending()) == "rated 15, unrated 0"
    # per line: two SMS in the allowance, the third pays
    charges = _charges()
    assert sorted(charges[f"c{n}-{k}"].charge for n in range(1, 6) for k in range(3)) == (
        [Decimal("0.0000")] * 10 + [Decimal("0.1000")] * 5
    )


def test_a_plan_waiting_for_its_rates_leaves_its_records_unrated(ctx):
    _import("products", SAMPLES / "products.csv")  # names plan BASIC: created empty
    _import("customers", SAMPLES / "customers.csv")
    _import("cdrs", SAMPLES / "cdrs.csv")
    assert str(rating_runs.rate_pending()) == "rated 0, unrated 9"
    assert _charges()["e1"].reason == "no voice rates in the plan"
