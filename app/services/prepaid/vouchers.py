"""Voucher batches (docs/prepaid.md): N cards of one face value, currency and expiry date,
each a serial number and a secret PIN.

A PIN is kept only as an HMAC keyed by a key derived from the app's SECRET_KEY, so a PIN
typed in can be looked up by its hash while the table alone (a backup, a dump) gives no PIN
away: with PIN_DIGITS digits there are far too many to try them all against the key. The
PINs are handed out once, as the CSV for the printer returned by `generate`.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.prepaid import Voucher, VoucherBatch, VoucherStatus
from app.models.types import utcnow
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound

PIN_DIGITS = 14
MAX_BATCH = 100_000
NOTE_LENGTH = VoucherBatch.__table__.c.note.type.length
INSERT_CHUNK = 5_000
_KEY_PURPOSE = b"abonent voucher pin v1"


@dataclass
class Generated:
    batch: VoucherBatch
    cards: list[tuple[str, str]]  # (serial, PIN): the only time the PINs exist


def pin_hash(pin: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), _KEY_PURPOSE, hashlib.sha256)
    return hmac.new(key.digest(), pin.encode(), hashlib.sha256).hexdigest()


def normal_pin(pin: str | None) -> str:
    """The PIN as printed, read the way people type it (spaces and dashes between groups)."""
    return "".join(ch for ch in str(pin or "") if ch not in " -")


def generate(quantity, face_value, currency: str, expires_on: date | None, note: str = ""):
    """Make a batch; commits. Returns it with its cards' PINs, which are stored nowhere."""
    quantity = validation.check_whole_between("quantity", quantity, 1, MAX_BATCH)
    currency = validation.check_currency(currency)
    value = validation.parse_amount("face_value", face_value, currency)
    if value <= 0:
        raise DomainError("face_value", _l("more than 0"))
    if expires_on is None:
        raise DomainError("expires_on", _l("required"))
    if expires_on < utcnow().date():
        raise DomainError("expires_on", _l("the expiry date is past"))
    note = (validation.check_text("note", (note or "").strip()) or "")[:NOTE_LENGTH]
    for _attempt in range(3):
        try:
            batch = VoucherBatch(
                username=current_username(),
                quantity=quantity,
                face_value=value,
                currency=currency,
                expires_on=expires_on,
                note=note,
            )
            db.session.add(batch)
            db.session.flush()
            cards = _cards(batch.id, quantity)
            rows = [
                {"batch_id": batch.id, "serial": serial, "pin_hash": pin_hash(pin),
                 "status": VoucherStatus.UNUSED}
                for serial, pin in cards
            ]  # fmt: skip
            for start in range(0, len(rows), INSERT_CHUNK):
                db.session.execute(insert(Voucher), rows[start : start + INSERT_CHUNK])
            db.session.commit()
            return Generated(batch, cards)
        except IntegrityError:
            # a PIN another batch holds already (one chance in 10**PIN_DIGITS / N): make
            # the batch again with new PINs
            db.session.rollback()
        except Exception:
            db.session.rollback()
            raise
    raise DomainError("quantity", _l("the PINs could not be made unique: try again"))


def _cards(batch_id: int, quantity: int) -> list[tuple[str, str]]:
    pins: set[str] = set()
    while len(pins) < quantity:
        pins.add(f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}")
    return [(f"{batch_id:06d}{n:06d}", pin) for n, pin in enumerate(pins, start=1)]


def printer_csv(generated: Generated) -> str:
    """The cards for the printer: serial, PIN, value, currency, last day of use."""
    batch = generated.batch
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["serial", "pin", "face_value", "currency", "expires_on"])
    value = format(batch.face_value.normalize(), "f")
    for serial, pin in generated.cards:
        writer.writerow([serial, pin, value, batch.currency, batch.expires_on.isoformat()])
    return out.getvalue()


def get(batch_id: int) -> VoucherBatch:
    batch = db.session.get(VoucherBatch, batch_id)
    if batch is None:
        raise NotFound("voucher_batch", _l("no such voucher batch"))
    return batch


def counts(batch_id: int) -> dict[str, int]:
    """How many of the batch's vouchers are unused, redeemed, void."""
    rows = db.session.execute(
        select(Voucher.status, db.func.count())
        .where(Voucher.batch_id == batch_id)
        .group_by(Voucher.status)
    ).all()
    return {status: 0 for status in VoucherStatus} | dict(rows)


def cancel(batch: VoucherBatch) -> int:
    """Void the batch's unused vouchers (lost or stolen cards); commits; how many."""
    if batch.cancelled_at is not None:
        raise DomainError("voucher_batch", _l("the batch is cancelled already"))
    try:
        voided = db.session.execute(
            update(Voucher)
            .where(Voucher.batch_id == batch.id, Voucher.status == VoucherStatus.UNUSED)
            .values(status=VoucherStatus.VOID)
            .execution_options(synchronize_session=False)
        ).rowcount
        batch.cancelled_at = utcnow()
        batch.cancelled_by = current_username()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return voided
