"""Posting to an account's ledger. Each entry moves the account's balance in the same
transaction with a conditional UPDATE, so concurrent debits never take a balance below
zero (on SQLite and PostgreSQL alike) and the balance is always the sum of the entries."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.ledger import LedgerEntry
from app.services.platform.errors import DomainError


def post(account_id: int, kind: str, amount: Decimal, reference: str) -> LedgerEntry | None:
    """Post one entry (positive credits, negative debits) and commit; None when an entry of
    this kind and reference is there already. A debit the balance cannot cover is refused."""
    existing = db.session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.kind == kind,
            LedgerEntry.reference == reference,
        )
    )
    if existing is not None:
        return None
    result = db.session.execute(
        update(BillingAccount)
        .where(BillingAccount.id == account_id, BillingAccount.balance + amount >= 0)
        .values(balance=BillingAccount.balance + amount)
        .returning(BillingAccount.balance, BillingAccount.currency)
        .execution_options(synchronize_session=False)
    ).first()
    if result is None:
        db.session.rollback()
        raise DomainError("amount", _l("the balance does not cover %(amount)s", amount=-amount))
    balance, currency = result
    entry = LedgerEntry(
        account_id=account_id,
        kind=kind,
        amount=amount,
        currency=currency,
        reference=reference,
        balance_after=balance,
    )
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:  # the same entry, posted by someone else at the same moment
        db.session.rollback()
        return None
    return entry
