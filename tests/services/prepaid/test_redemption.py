"""Redeeming vouchers: a top-up once, refusals with their reason, a line blocked after five
wrong PINs in an hour, and two redemptions of one PIN at once."""

import csv
import io
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.ledger import LedgerEntry
from app.models.payments import Payment
from app.models.prepaid import Voucher, VoucherAttempt
from app.models.types import utcnow
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from app.services.prepaid import redemption, vouchers
from tests.services.payments.billed import billed_account, prepaid_account

D = Decimal
NEXT_YEAR = date.today() + timedelta(days=365)


def _pins(quantity=3, value="10.00", currency="EUR", expires_on=NEXT_YEAR) -> list[str]:
    generated = vouchers.generate(quantity, value, currency, expires_on)
    return [row["pin"] for row in csv.DictReader(io.StringIO(vouchers.printer_csv(generated)))]


def _refusal(service, pin, now=None) -> str:
    with pytest.raises(DomainError) as refused:
        redemption.redeem(service, pin, now)
    assert refused.value.field in ("pin", "service_id")
    return refused.value.reason


def test_a_voucher_tops_the_account_up_once(ctx, tmp_path):
    account = prepaid_account(tmp_path)
    service = account.services[0]
    pin = _pins()[0]
    # typed as printed on the card, in groups
    done = redemption.redeem(service, f"{pin[:4]} {pin[4:8]}-{pin[8:]}")
    payment = done.payment
    assert (payment.amount, payment.method, payment.purpose, payment.source) == (
        D("10.00"), "voucher", "topup", "voucher")  # fmt: skip
    assert payment.external_ref == f"voucher:{done.voucher.serial}"
    assert (done.voucher.status, done.voucher.account_id) == ("redeemed", account.id)
    db.session.refresh(account)
    assert account.balance == D("10.00")
    entries = db.session.scalars(db.select(LedgerEntry).filter_by(account_id=account.id)).all()
    assert [(e.kind, e.amount, e.balance_after) for e in entries] == [
        ("topup", D("10.00"), D("10.00"))
    ]
    assert _refusal(service, pin) == "this voucher was used already"
    db.session.refresh(account)
    assert account.balance == D("10.00")
    assert db.session.scalar(db.select(db.func.count(Payment.id))) == 1


def test_wrong_expired_cancelled_and_other_currency_vouchers_are_refused(ctx, tmp_path):
    account = prepaid_account(tmp_path)
    service = account.services[0]
    assert _refusal(service, "00000000000000") == "wrong PIN"
    assert _refusal(service, "12 34") == "wrong PIN"
    expiring = _pins(1, expires_on=date.today())[0]
    tomorrow = utcnow() + timedelta(days=1)
    assert _refusal(service, expiring, tomorrow) == "this voucher has expired"
    rub = _pins(1, "300", "RUB")[0]
    assert _refusal(service, rub) == "the voucher is in RUB, the account in EUR"
    cancelled = vouchers.generate(1, "5", "EUR", NEXT_YEAR)
    vouchers.cancel(cancelled.batch)
    assert _refusal(service, cancelled.cards[0][1]) == "this voucher was cancelled"
    db.session.refresh(account)
    assert account.balance == D(0)
    # the expiring voucher still works on its last day
    assert redemption.redeem(service, expiring).payment.amount == D("10.00")
    outcomes = db.session.scalars(db.select(VoucherAttempt.outcome).order_by(VoucherAttempt.id))
    assert list(outcomes) == ["wrong", "wrong", "expired", "void", "redeemed"]


def test_a_postpaid_line_takes_no_voucher(ctx, tmp_path):
    account = billed_account(tmp_path)
    pin = _pins(1)[0]
    assert _refusal(account.services[0], pin) == "a voucher tops up a prepaid line only"
    assert db.session.scalar(db.select(Voucher.status)) == "unused"


def test_five_wrong_pins_in_an_hour_block_the_line_for_the_rest_of_it(ctx, tmp_path):
    account = prepaid_account(tmp_path)
    service = account.services[0]
    other = prepaid_account(tmp_path, "PP2").services[0]
    pin = _pins(1)[0]
    start = utcnow()
    for minute in range(5):
        _refusal(service, f"{minute:014d}", start + timedelta(minutes=10 * minute))
    # 40 minutes after the first: the good PIN is refused too, saying until when
    at = start + timedelta(minutes=41)
    with pytest.raises(redemption.Blocked) as blocked:
        redemption.redeem(service, pin, at)
    assert blocked.value.until == start + timedelta(hours=1)
    assert "may try again after" in blocked.value.reason
    assert "Europe/Rome" in blocked.value.reason
    # another line is not blocked
    assert redemption.redeem(other, _pins(1)[0], at).payment.amount == D("10.00")
    # an hour after the first wrong PIN only four remain within the hour
    assert redemption.redeem(service, pin, start + timedelta(hours=1, seconds=1)).voucher
    db.session.refresh(account)
    assert account.balance == D("10.00")


def test_two_redemptions_of_one_pin_at_once_top_up_once(app, ctx, tmp_path):
    account = prepaid_account(tmp_path)
    services = [account.services[0].id, prepaid_account(tmp_path, "PP2").services[0].id]
    pin = _pins(1)[0]
    outcomes, barrier = [], threading.Barrier(len(services) * 2)

    def redeem(service_id):
        with app.app_context(), acting_as():
            from app.models.crm import Service

            service = db.session.get(Service, service_id)
            barrier.wait()
            try:
                redemption.redeem(service, pin)
                outcomes.append("ok")
            except DomainError as exc:
                outcomes.append(exc.reason)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=redeem, args=(s,)) for s in services * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["this voucher was used already"] * 3
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Payment.id))) == 1
    assert db.session.scalar(db.select(db.func.sum(LedgerEntry.amount))) == D("10.00")
