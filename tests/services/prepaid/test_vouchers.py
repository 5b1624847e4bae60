"""Voucher batches: PINs stored only as keyed hashes, shown once, batches cancelled."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.prepaid import Voucher, VoucherBatch
from app.models.types import utcnow
from app.services.platform.errors import DomainError
from app.services.prepaid import vouchers

NEXT_YEAR = date.today() + timedelta(days=365)


def _rows(generated) -> list[dict]:
    return list(csv.DictReader(io.StringIO(vouchers.printer_csv(generated))))


def test_a_batch_keeps_only_keyed_hashes_of_its_pins(ctx):
    generated = vouchers.generate(50, "10.00", "EUR", NEXT_YEAR, "shop A")
    rows = _rows(generated)
    assert len(rows) == 50 == generated.batch.quantity
    assert {row["face_value"] for row in rows} == {"10"}
    assert {row["expires_on"] for row in rows} == {NEXT_YEAR.isoformat()}
    pins = [row["pin"] for row in rows]
    assert all(len(pin) == vouchers.PIN_DIGITS and pin.isdecimal() for pin in pins)
    assert len(set(pins)) == 50
    stored = {v.serial: v.pin_hash for v in db.session.scalars(db.select(Voucher))}
    assert stored == {row["serial"]: vouchers.pin_hash(row["pin"]) for row in rows}
    # nothing stored holds a PIN, nor its plain SHA-256 (the key matters)
    import hashlib

    dump = repr(db.session.execute(db.select(Voucher.__table__)).all())
    assert not any(pin in dump for pin in pins)
    assert hashlib.sha256(pins[0].encode()).hexdigest() not in stored.values()


def test_pin_hash_depends_on_the_secret_key(app, ctx, monkeypatch):
    before = vouchers.pin_hash("12345678901234")
    monkeypatch.setitem(app.config, "SECRET_KEY", "another key")
    assert vouchers.pin_hash("12345678901234") != before


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0, "10", "EUR", NEXT_YEAR), "quantity"),
        ((100_001, "10", "EUR", NEXT_YEAR), "quantity"),
        ((5, "10.001", "EUR", NEXT_YEAR), "face_value"),
        ((5, "0", "EUR", NEXT_YEAR), "face_value"),
        ((5, "10", "EURO", NEXT_YEAR), "currency"),
        ((5, "10", "EUR", date(2020, 1, 1)), "expires_on"),
        ((5, "10", "EUR", None), "expires_on"),
    ],
)
def test_a_bad_batch_is_refused_naming_the_field(ctx, args, field):
    with pytest.raises(DomainError) as refused:
        vouchers.generate(*args)
    assert refused.value.field == field
    assert db.session.scalar(db.select(db.func.count(VoucherBatch.id))) == 0


def test_cancelling_a_batch_voids_its_unused_vouchers(ctx):
    batch = vouchers.generate(3, "500", "RUB", NEXT_YEAR).batch
    first = db.session.scalar(db.select(Voucher).filter_by(batch_id=batch.id).limit(1))
    first.status = "redeemed"
    db.session.commit()
    assert vouchers.cancel(batch) == 2
    assert vouchers.counts(batch.id) == {"unused": 0, "redeemed": 1, "void": 2}
    assert batch.cancelled_at <= utcnow()
    with pytest.raises(DomainError):
        vouchers.cancel(batch)


def test_a_batch_of_krw_takes_whole_won_only(ctx):
    assert vouchers.generate(1, "10000", "KRW", NEXT_YEAR).batch.face_value == Decimal(10000)
    with pytest.raises(DomainError):
        vouchers.generate(1, "10000.5", "KRW", NEXT_YEAR)
