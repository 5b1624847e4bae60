"""Redeeming a voucher on a prepaid line (docs/prepaid.md), from the account's page or the
API: the PIN is looked up by its keyed hash, the voucher claimed by a conditional UPDATE (of
two redemptions of one PIN at once, one wins), and its value recorded as a top-up payment
(`payments.record`, external reference `voucher:<serial>`) in the same transaction.

Every try is kept per line; a line that gave WRONG_LIMIT wrong PINs within BLOCK_WINDOW
may not try again until the oldest of them is BLOCK_WINDOW old.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.crm import PaymentMode, Service
from app.models.payments import Payment, PaymentMethod, PaymentPurpose
from app.models.prepaid import AttemptOutcome, Voucher, VoucherAttempt, VoucherStatus
from app.models.types import utcnow
from app.services.payments import payments
from app.services.platform.actor import current_username
from app.services.platform.claims import claim
from app.services.platform.errors import DomainError
from app.services.prepaid.vouchers import PIN_DIGITS, normal_pin, pin_hash

WRONG_LIMIT = 5
BLOCK_WINDOW = timedelta(hours=1)

REFUSALS = {
    AttemptOutcome.WRONG: _l("wrong PIN"),
    AttemptOutcome.USED: _l("this voucher was used already"),
    AttemptOutcome.EXPIRED: _l("this voucher has expired"),
    AttemptOutcome.VOID: _l("this voucher was cancelled"),
}


class Blocked(DomainError):
    """The line gave too many wrong PINs; `until` is when it may try again."""

    def __init__(self, until: datetime, timezone: str):
        self.until = until
        shown = format_datetime(until, "short", tzinfo=ZoneInfo(timezone), locale=get_locale())
        super().__init__(
            "pin",
            _l("too many wrong PINs from this line: it may try again after %(time)s",
               time=" ".join((shown, timezone))),
        )  # fmt: skip


@dataclass
class Redeemed:
    voucher: Voucher
    payment: Payment


def blocked_until(service_id: int, now: datetime | None = None) -> datetime | None:
    """When the line may try again, if it gave too many wrong PINs lately."""
    now = now or utcnow()
    wrong = db.session.scalars(
        select(VoucherAttempt.at)
        .where(
            VoucherAttempt.service_id == service_id,
            VoucherAttempt.outcome == AttemptOutcome.WRONG,
            VoucherAttempt.at > now - BLOCK_WINDOW,
        )
        .order_by(VoucherAttempt.at.desc())
        .limit(WRONG_LIMIT)
    ).all()
    if len(wrong) < WRONG_LIMIT:
        return None
    return wrong[-1] + BLOCK_WINDOW


def redeem(service: Service, pin: str, now: datetime | None = None) -> Redeemed:
    """Top the line's prepaid account up with the voucher's value; commits. DomainError
    (field `pin`) naming the reason when the PIN is wrong, used, expired or cancelled, or
    the line is blocked; nothing moves then but the attempt, which is kept."""
    now = now or utcnow()
    account = service.account
    until = blocked_until(service.id, now)
    if until is not None:
        _refuse(service, AttemptOutcome.BLOCKED, None, now)
        raise Blocked(until, account.customer.region.timezone)
    pin = normal_pin(pin)
    voucher = None
    if len(pin) == PIN_DIGITS and pin.isdecimal() and pin.isascii():
        voucher = db.session.scalar(select(Voucher).where(Voucher.pin_hash == pin_hash(pin)))
    outcome = _outcome(voucher, now)
    if outcome is not None:
        _refuse(service, outcome, voucher, now)
        raise DomainError("pin", REFUSALS[outcome])
    batch = voucher.batch
    if account.payment_mode != PaymentMode.PREPAID:
        raise DomainError("service_id", _l("a voucher tops up a prepaid line only"))
    if batch.currency != account.currency:
        raise DomainError(
            "pin",
            _l("the voucher is in %(voucher)s, the account in %(account)s",
               voucher=batch.currency, account=account.currency),
        )  # fmt: skip
    voucher_id, serial = voucher.id, voucher.serial
    value, currency = batch.face_value, batch.currency
    # the claim opens the transaction: on SQLite a transaction that read first could not
    # take the write lock once another redemption had written
    db.session.rollback()
    try:
        claimed = claim(
            Voucher,
            voucher_id,
            VoucherStatus.UNUSED,
            status=VoucherStatus.REDEEMED,
            redeemed_at=now,
            account_id=account.id,
            service_id=service.id,
            username=current_username(),
        )
        if not claimed:  # redeemed by someone else a moment ago
            db.session.rollback()
            _refuse(service, AttemptOutcome.USED, voucher, now)
            raise DomainError("pin", REFUSALS[AttemptOutcome.USED])
        db.session.add(_attempt(service, AttemptOutcome.REDEEMED, voucher, now))
        # record() commits the claim, the attempt and the payment together
        recorded = payments.record(
            account,
            value,
            currency,
            PaymentMethod.VOUCHER,
            purpose=PaymentPurpose.TOPUP,
            external_ref=f"voucher:{serial}",
            reference=serial,
            source="voucher",
        )
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(voucher)
    return Redeemed(voucher, recorded.payment)


def _outcome(voucher: Voucher | None, now: datetime) -> AttemptOutcome | None:
    if voucher is None:
        return AttemptOutcome.WRONG
    if voucher.status == VoucherStatus.REDEEMED:
        return AttemptOutcome.USED
    if voucher.status == VoucherStatus.VOID:
        return AttemptOutcome.VOID
    if voucher.batch.expires_on < now.date():
        return AttemptOutcome.EXPIRED
    return None


def _attempt(service: Service, outcome: str, voucher: Voucher | None, now: datetime):
    return VoucherAttempt(
        service_id=service.id,
        at=now,
        outcome=outcome,
        voucher_id=voucher.id if voucher is not None else None,
        username=current_username(),
    )


def _refuse(service: Service, outcome: str, voucher: Voucher | None, now: datetime) -> None:
    db.session.add(_attempt(service, outcome, voucher, now))
    db.session.commit()


def attempts(service_id: int, limit: int = 20) -> list[VoucherAttempt]:
    """The line's latest tries, newest first."""
    return list(
        db.session.scalars(
            select(VoucherAttempt)
            .where(VoucherAttempt.service_id == service_id)
            .order_by(VoucherAttempt.id.desc())
            .limit(limit)
        )
    )
