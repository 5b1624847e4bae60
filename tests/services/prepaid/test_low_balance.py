"""The low-balance email: sent through SMTP once per crossing of the threshold, in the
account's language, re-armed by a credit that lifts the balance back to it."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.communications import Communication
from app.models.ledger import EntryKind
from app.models.prepaid import LowBalanceNotice
from app.services.billing import delivery
from app.services.ledger import posting
from app.services.payments import payments
from app.services.prepaid import low_balance
from tests.services.payments.billed import prepaid_account
from tests.services.usage.test_charging import MONDAY_PEAK, _import_call, _prepaid

D = Decimal


def _usage(account, amount, ref):
    assert posting.post(account.id, EntryKind.USAGE, -D(amount), ref) is not None


@pytest.fixture
def customer_account(ctx, tmp_path):
    account = prepaid_account(tmp_path)
    account.customer.email = "prepaid@example.it"
    db.session.commit()
    payments.record(account, "10.00", "EUR", "cash")
    return account


def test_one_notice_per_crossing_in_the_accounts_language(customer_account, smtp):
    mailbox, _server = smtp
    account = customer_account
    _usage(account, "4.00", "u1")
    assert str(low_balance.notify()) == "queued 0, sent 0, failed 0"  # 6.00 left
    _usage(account, "2.50", "u2")
    assert str(low_balance.notify()) == "queued 1, sent 1, failed 0"  # 3.50
    (message,) = mailbox.messages
    assert message["To"] == "prepaid@example.it"
    assert message["Content-Language"] == "it"
    body = message.get_content()
    assert account.ref in body and "3,50\xa0€" in body and "5,00\xa0€" in body
    # further usage below the threshold: no second email
    _usage(account, "1.00", "u3")
    assert str(low_balance.notify()) == "queued 0, sent 0, failed 0"
    # a top-up that stays below does not re-arm it; one that reaches the threshold does
    payments.record(account, "1.00", "EUR", "cash")  # 3.50
    _usage(account, "0.50", "u4")
    assert low_balance.notify().queued == 0
    payments.record(account, "2.00", "EUR", "cash")  # 5.00
    assert low_balance.notify().queued == 0
    _usage(account, "0.01", "u5")  # 4.99
    assert str(low_balance.notify()) == "queued 1, sent 1, failed 0"
    assert len(mailbox.messages) == 2
    notices = db.session.scalars(db.select(LowBalanceNotice).order_by(LowBalanceNotice.id))
    assert [n.balance for n in notices] == [D("3.50"), D("4.99")]
    kinds = db.session.scalars(db.select(Communication.kind)).all()
    assert kinds == ["low_balance", "low_balance"]


def test_the_notice_follows_the_account_language_and_thresholds(app, customer_account, smtp,
                                                                monkeypatch):  # fmt: skip
    mailbox, _server = smtp
    account = customer_account
    account.language = "ru"
    db.session.commit()
    monkeypatch.setitem(app.config, "PREPAID_LOW_BALANCE", "EUR:9.50, RUB:300")
    assert low_balance.thresholds() == {"EUR": D("9.50"), "RUB": D(300)}
    _usage(account, "1.00", "u1")
    assert low_balance.notify().sent == 1
    (message,) = mailbox.messages
    assert message["Content-Language"] == "ru"
    assert message["Subject"] == low_balance.notice_subject("ru")
    assert "9,50\xa0€" in message.get_content()
    monkeypatch.setitem(app.config, "PREPAID_LOW_BALANCE", "EUR:five")
    with pytest.raises(ValueError, match="PREPAID_LOW_BALANCE"):
        low_balance.thresholds()


def test_no_address_is_a_failed_notice_and_the_bill_delivery_leaves_it(customer_account, smtp):
    mailbox, _server = smtp
    account = customer_account
    account.customer.email = None
    db.session.commit()
    _usage(account, "6.00", "u1")
    assert str(low_balance.notify()) == "queued 1, sent 0, failed 0"
    communication = db.session.scalar(db.select(Communication))
    assert (communication.status, communication.last_error) == (
        "failed", "il cliente non ha un indirizzo email")  # fmt: skip
    assert low_balance.notify().queued == 0
    assert delivery.send_due().sent == 0 and mailbox.messages == []


def test_a_mail_server_down_is_retried(customer_account, smtp):
    mailbox, server = smtp
    _usage(customer_account, "6.00", "u1")
    mailbox.refuse = 1
    summary = low_balance.notify()
    assert (summary.queued, summary.sent) == (1, 0)
    communication = db.session.scalar(db.select(Communication))
    assert communication.status == "queued" and communication.attempts == 1
    later = communication.next_attempt_at
    assert low_balance.notify(later).sent == 1
    assert len(mailbox.messages) == 1


def test_the_rating_job_tells_the_customer_rating_took_below(ctx, tmp_path, smtp):
    mailbox, _server = smtp
    account = _prepaid("5.50")
    account.customer.email = "rated@example.it"
    db.session.commit()
    _import_call(tmp_path, 700)
    # 300 s in the allowance, 400 s at 0.09/60 = 0.60: 4.90 left
    summary = low_balance.rate_and_notify(MONDAY_PEAK)
    assert (summary.queued, summary.sent) == (1, 1)
    db.session.refresh(account)
    assert account.balance == D("4.9000")
    assert mailbox.messages[0]["To"] == "rated@example.it"
