"""Posting to an account's ledger (docs/payments.md, "The ledger").

Each entry moves the account's balance in the same transaction with a conditional UPDATE,
so the balance is always the sum of the entries and concurrent postings never lose one, on
SQLite and PostgreSQL alike. A prepaid debit is refused when the balance cannot cover it;
a postpaid account's bills take its balance below zero (what it owes).
"""

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.ledger import EntryKind, LedgerEntry
from app.models.types import utcnow
from app.services.platform import bulk
from app.services.platform.errors import DomainError


def entry(
    account_id: int,
    kind: EntryKind,
    amount: Decimal,
    reference: str,
    *,
    covered: bool = False,
    invoice_id: int | None = None,
    payment_id: int | None = None,
    at: datetime | None = None,
) -> LedgerEntry:
    """Write one entry in the caller's transaction (positive credits, negative debits).
    `covered`: the balance must cover a debit (prepaid money), else DomainError and
    nothing moves."""
    condition = [BillingAccount.id == account_id]
    if covered and amount < 0:
        condition.append(BillingAccount.balance + amount >= 0)
    result = db.session.execute(
        update(BillingAccount)
        .where(*condition)
        .values(balance=BillingAccount.balance + amount)
        .returning(BillingAccount.balance, BillingAccount.currency)
        .execution_options(synchronize_session=False)
    ).first()
    if result is None:
        raise DomainError("amount", _l("the balance does not cover %(amount)s", amount=-amount))
    balance, currency = result
    posted = LedgerEntry(
        account_id=account_id,
        kind=str(kind),
        amount=amount,
        currency=currency,
        reference=reference,
        balance_after=balance,
        invoice_id=invoice_id,
        payment_id=payment_id,
        posted_at=at or utcnow(),
    )
    db.session.add(posted)
    db.session.flush([posted])
    return posted


def post(account_id: int, kind: EntryKind, amount: Decimal, reference: str) -> LedgerEntry | None:
    """Post one entry of prepaid money and commit; None when an entry of this kind and
    reference is there already. A debit the balance cannot cover is refused."""
    existing = db.session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.kind == str(kind),
            LedgerEntry.reference == reference,
        )
    )
    if existing is not None:
        return None
    try:
        posted = entry(account_id, kind, amount, reference, covered=True)
        db.session.commit()
    except IntegrityError:  # the same entry, posted by someone else at the same moment
        db.session.rollback()
        return None
    except Exception:
        db.session.rollback()
        raise
    return posted


def post_invoices(invoice_ids: list[int], at: datetime) -> None:
    """Post just-written invoices (one per paying account: a bill run's chunk) in the
    caller's transaction: each takes its total off its account's balance."""
    if not invoice_ids:
        return
    ids = bulk.id_list(invoice_ids)
    connection = db.session.connection()
    connection.execute(
        text(
            "UPDATE billing_account SET balance = balance - (SELECT i.total FROM invoice i "
            f"WHERE i.account_id = billing_account.id AND i.id IN ({ids})) "
            f"WHERE id IN (SELECT account_id FROM invoice WHERE id IN ({ids}))"
        )
    )
    connection.execute(
        text(
            "INSERT INTO ledger_entry (account_id, posted_at, kind, amount, currency, "
            "reference, balance_after, invoice_id) SELECT i.account_id, :at, 'invoice', "
            "-i.total, i.currency, i.number, a.balance, i.id FROM invoice i "
            f"JOIN billing_account a ON a.id = i.account_id WHERE i.id IN ({ids})"
        ),
        {"at": bulk.sql_timestamp(at)},
    )


def balance_of(account_id: int) -> Decimal:
    return db.session.scalar(select(BillingAccount.balance).where(BillingAccount.id == account_id))
