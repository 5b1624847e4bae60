"""Online charging (docs/api.md): units a balance allows, debits once, under concurrency."""

import threading
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import pytest

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.ledger import LedgerEntry
from app.models.usage import AllowanceUsage, UsageCharge, UsageRecord
from app.services.dataio import registry
from app.services.ledger import posting as ledger
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from app.services.usage import charging, rating_chunk, rating_runs
from tests.conftest import SAMPLES
from tests.helpers import in_threads

MONDAY_PEAK = datetime(2026, 2, 9, 8, 0, tzinfo=UTC)  # 09:00 in Rome


def _prepaid(balance: str) -> BillingAccount:
    for kind in ("rates", "products", "customers"):
        assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
    account = db.session.scalar(db.select(BillingAccount))
    account.payment_mode = "prepaid"
    db.session.commit()
    ledger.post(account.id, "topup", Decimal(balance), "voucher-1")
    return account


def _record(record_id, quantity, usage_type="voice", destination="393471234567"):
    return {
        "record_id": record_id,
        "service_id": "393331234567",
        "usage_type": usage_type,
        "started_at": "2026-02-09T09:00:00+01:00",
        "destination": destination,
        "quantity": quantity,
    }


def _import_call(tmp_path, seconds: int) -> None:
    """Imports one call of the prepaid line, on MONDAY_PEAK's day."""
    cdrs = tmp_path / "cdrs.csv"
    cdrs.write_text(
        "record_id,service_id,usage_type,started_at,destination,quantity\n"
        f"r1,393331234567,voice,2026-02-09T10:00:00+01:00,393471234567,{seconds}\n",
        encoding="utf-8",
    )
    assert registry.run("cdrs", cdrs).accepted == 1


def test_authorize_gives_the_units_the_allowance_and_balance_pay_for(ctx):
    _prepaid("1.00")
    # 300 s of allowance, then 0.09/60 per second: 1.00 pays 666 s more (0.999)
    found = charging.authorize(
        "393331234567", "voice", "393471234567", MONDAY_PEAK, region_ids=None
    )
    assert found.allowed_units == 966
    # France is no bundle rate: 0.20 connect fee, then 0.50 a started minute
    found = charging.authorize("393331234567", "voice", "33123456789", MONDAY_PEAK, region_ids=None)
    assert found.allowed_units == 60  # 0.70; two minutes would cost 1.20


def test_debit_charges_a_record_once(ctx):
    account = _prepaid("1.00")
    first = charging.debit(_record("d1", 400), now=MONDAY_PEAK, region_ids=None)
    # 300 s covered; 100 s at 0.09/60 = 0.15
    assert (first.charge, first.balance) == (Decimal("0.1500"), Decimal("0.8500"))
    again = charging.debit(_record("d1", 400), now=MONDAY_PEAK, region_ids=None)
    assert (again.charge, again.balance) == (Decimal("0.1500"), Decimal("0.8500"))
    assert (
        db.session.scalar(
            db.select(db.func.count(LedgerEntry.id)).where(LedgerEntry.kind == "usage")
        )
        == 1
    )
    db.session.refresh(account)
    assert account.balance == Decimal("0.8500")


def test_parallel_debits_never_take_the_balance_below_zero(app, ctx):
    account = _prepaid("1.00")
    account_id = account.id

    def debit(worker, n):
        charging.debit(_record(f"w{worker}-{n}", 1, "sms"), now=MONDAY_PEAK, region_ids=None)

    assert in_threads(app, [partial(debit, w) for w in range(6)], rounds=6) == []
    db.session.expire_all()
    balance = db.session.scalar(
        db.select(BillingAccount.balance).where(BillingAccount.id == account_id)
    )
    total = db.session.scalar(
        db.select(db.func.sum(LedgerEntry.amount)).where(LedgerEntry.account_id == account_id)
    )
    # 36 SMS: 2 in the allowance, 10 paid at 0.10, the other 24 unrecovered
    assert balance == Decimal("0.0000") == total


def test_a_postpaid_line_is_not_debited_online(ctx):
    for kind in ("rates", "products", "customers"):
        assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
    with pytest.raises(DomainError) as refused:
        charging.debit(_record("pp1", 60), now=MONDAY_PEAK, region_ids=None)
    assert refused.value.field == "service_id"


def test_a_debit_while_a_run_works_out_its_chunk_is_taken_into_account(
    app, ctx, tmp_path, monkeypatch
):
    _prepaid("1.00")
    _import_call(tmp_path, 250)
    write = rating_chunk._write
    landed = []

    def debit_first(*args, **kwargs):
        if landed:  # the debit's own rating
            return write(*args, **kwargs)
        landed.append(True)

        # the switch's debit lands after the run worked r1 out, before it writes it
        def debit():
            with app.app_context(), acting_as():
                charging.debit(_record("x1", 250), now=MONDAY_PEAK, region_ids=None)
                db.session.remove()

        thread = threading.Thread(target=debit)
        thread.start()
        thread.join()
        return write(*args, **kwargs)

    monkeypatch.setattr(rating_chunk, "_write", debit_first)
    assert str(rating_runs.rate_pending()) == "rated 1, unrated 0"
    charges = dict(
        db.session.execute(
            db.select(UsageRecord.record_id, UsageCharge.charge).join(
                UsageCharge, UsageCharge.usage_id == UsageRecord.id
            )
        ).all()
    )
    # x1 took 250 of the 300 s; r1 has 50 s left and pays 200 s at 0.09/60
    assert charges == {"x1": Decimal("0.0000"), "r1": Decimal("0.3000")}
    assert db.session.scalar(db.select(db.func.sum(AllowanceUsage.covered))) == 300


def test_a_debit_before_the_lines_activation_is_refused(ctx):
    _prepaid("1.00")
    record = _record("early", 60) | {"started_at": "2026-01-19T23:59:59+01:00"}
    with pytest.raises(DomainError) as refused:
        charging.debit(record, now=MONDAY_PEAK, region_ids=None)
    assert refused.value.message == "started_at: line not active at that time"
    assert db.session.scalar(db.select(db.func.count(UsageRecord.id))) == 0
