"""The low-balance notice (docs/prepaid.md): when usage takes a prepaid account's balance
below the threshold of its currency (PREPAID_LOW_BALANCE), the customer is emailed once, in
the account's language. A credit that lifts the balance to the threshold again (a top-up, a
voucher) re-arms the notice for the next crossing.

Whether a notice is due is read from the ledger, so it needs no hook in what moves the
balance: each notice keeps the account's last ledger entry when it was queued, and a new
one is due when the balance is below the threshold and a credit after that entry had
reached it. The emails go through the bill delivery's machinery (retries, one SMTP
connection per run) as communications of their own kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.communications import Communication, CommunicationKind
from app.models.crm import BillingAccount, Customer, PaymentMode, Region
from app.models.ledger import LedgerEntry
from app.models.prepaid import LowBalanceNotice
from app.models.types import utcnow
from app.services.billing import delivery
from app.services.platform import money
from app.services.platform.language import account_language_sql
from app.services.platform.money import format_money
from app.services.usage import rating_runs

CHUNK = 1000


@dataclass
class NoticeSummary:
    queued: int = 0
    sent: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"queued {self.queued}, sent {self.sent}, failed {self.failed}"


def thresholds() -> dict[str, Decimal]:
    """PREPAID_LOW_BALANCE read: "EUR:5,RUB:300" → {"EUR": 5, "RUB": 300}."""
    found = {}
    for item in current_app.config["PREPAID_LOW_BALANCE"].split(","):
        if not item.strip():
            continue
        currency, _, amount = item.partition(":")
        currency = currency.strip().upper()
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            value = None
        if not money.is_currency(currency) or value is None or not value.is_finite():
            raise ValueError(f"PREPAID_LOW_BALANCE: {item!r} is not CURRENCY:AMOUNT")
        found[currency] = value
    return found


def notice_subject(language: str) -> str:
    with force_locale(language):
        return gettext("Your prepaid balance is low")


def rate_and_notify(now: datetime | None = None) -> NoticeSummary:
    """The scheduler's rating job: rate pending usage, then tell the customers whose
    balance it took below the threshold (usage knows nothing of prepaid notices)."""
    rating_runs.rate_pending(now=now)
    return notify(now)


def notify(now: datetime | None = None) -> NoticeSummary:
    """Queue the notices that are due and send those waiting."""
    summary = NoticeSummary(queued=queue_notices(now))
    sent = delivery.send_due(now, kind=CommunicationKind.LOW_BALANCE, compose=_message)
    summary.sent, summary.failed = sent.sent, sent.failed
    return summary


def queue_notices(now: datetime | None = None) -> int:
    """One notice (and its email) for every prepaid account that fell below its
    currency's threshold since its last notice was re-armed; how many."""
    now = now or utcnow()
    queued = 0
    for currency, threshold in thresholds().items():
        while rows := db.session.execute(_due(currency, threshold).limit(CHUNK)).all():
            try:
                for row in rows:
                    _queue(row, currency, threshold, now)
                db.session.commit()
            except IntegrityError:
                # queued at the same moment by another process: what is left is due still
                db.session.rollback()
                continue
            queued += len(rows)
    return queued


def _due(currency: str, threshold: Decimal):
    account, notice, entry = BillingAccount, LowBalanceNotice, LedgerEntry
    last_notice = (
        select(func.max(notice.entry_id)).where(notice.account_id == account.id).scalar_subquery()
    )
    never_told = ~exists().where(notice.account_id == account.id)
    debited = exists().where(entry.account_id == account.id, entry.amount < 0)
    rearmed = exists().where(
        entry.account_id == account.id,
        entry.id > last_notice,
        entry.amount > 0,
        entry.balance_after >= threshold,
    )
    last_entry = select(func.max(entry.id)).where(entry.account_id == account.id)
    return (
        select(
            account.id,
            account.balance,
            last_entry.scalar_subquery(),
            account_language_sql(account, Customer, Region),
            Customer.email,
        )
        .join(Customer, Customer.id == account.customer_id)
        .join(Region, Region.id == Customer.region_id)
        .where(
            account.payment_mode == PaymentMode.PREPAID,
            account.currency == currency,
            account.balance < threshold,
            or_(and_(never_told, debited), rearmed),
        )
        .order_by(account.id)
    )


def _queue(row, currency: str, threshold: Decimal, now: datetime) -> None:
    account_id, balance, entry_id, language, email = row
    communication = delivery.queue_email(account_id, CommunicationKind.LOW_BALANCE, language,
                                         notice_subject(language), email, now)  # fmt: skip
    db.session.flush()
    db.session.add(
        LowBalanceNotice(
            account_id=account_id,
            entry_id=entry_id,
            balance=balance,
            threshold=threshold,
            currency=currency,
            created_at=now,
            communication_id=communication.id,
        )
    )
    db.session.flush()


def _message(communication: Communication, config) -> EmailMessage:
    notice = db.session.scalar(
        select(LowBalanceNotice).where(LowBalanceNotice.communication_id == communication.id)
    )
    account = notice.account
    customer = account.customer
    language = communication.language
    with force_locale(language):
        body = gettext(
            "Dear %(name)s,\n\nthe balance of your prepaid account %(account)s is "
            "%(balance)s, below %(threshold)s. Top it up to keep your lines working.\n\n"
            "Thank you,\n%(operator)s",
            name=customer.name,
            account=account.ref,
            balance=format_money(notice.balance, notice.currency, language),
            threshold=format_money(notice.threshold, notice.currency, language),
            operator=customer.region.legal_name,
        )
    return delivery.email(communication, config, "low-balance", body)
