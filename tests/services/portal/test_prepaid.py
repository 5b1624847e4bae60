"""The portal's prepaid service: the user's prepaid accounts only, a voucher redeemed only
on a line of the account, the balance history with what each movement came from."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.security import AbonentUser
from app.services.platform.errors import DomainError, NotFound
from app.services.portal import prepaid
from app.services.prepaid import vouchers
from tests.services.payments.billed import billed_account, prepaid_account
from tests.views.portal.conftest import portal_user


def _user(app, ref) -> AbonentUser:
    email = portal_user(app, ref)
    return db.session.scalar(db.select(AbonentUser).filter_by(email=email))


def test_only_the_user_s_prepaid_accounts(app, ctx, tmp_path):
    mine = prepaid_account(tmp_path, "PP1")
    other = prepaid_account(tmp_path, "PP2")
    postpaid = billed_account(tmp_path, "PA1", runs_on=())
    user = _user(app, "C-PP1")
    assert prepaid.accounts(user) == [mine]
    assert prepaid.account(user, mine.id) == mine
    for account_id in (other.id, postpaid.id, "x"):
        with pytest.raises(NotFound):
            prepaid.account(user, account_id)
    assert prepaid.accounts(_user(app, "C-PA1")) == []
    with pytest.raises(NotFound):
        prepaid.account(_user(app, "C-PA1"), postpaid.id)


def test_a_voucher_only_on_a_line_of_the_account_and_its_movement_shown(app, ctx, tmp_path):
    account = prepaid_account(tmp_path, "PP1")
    other = prepaid_account(tmp_path, "PP2")
    user = _user(app, "C-PP1")
    generated = vouchers.generate(2, "10", "EUR", date.today() + timedelta(days=30))
    pins = [row["pin"] for row in csv.DictReader(io.StringIO(vouchers.printer_csv(generated)))]
    for line_id in (other.services[0].id, None, "x"):
        with pytest.raises(DomainError) as refused:
            prepaid.redeem_voucher(user, account, line_id, pins[0])
        assert refused.value.field == "line"
    done = prepaid.redeem_voucher(user, account, account.services[0].id, pins[0])
    assert done.payment.amount == Decimal("10.00")
    shown = prepaid.balance_history(account).movements
    assert [(m.entry.kind, m.entry.amount, m.method) for m in shown] == [
        ("topup", Decimal("10.00"), "voucher")
    ]
    assert prepaid.topup_limits("EUR") == (Decimal(5), Decimal(500))
    assert prepaid.topup_limits("USD") is None
