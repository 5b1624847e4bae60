"""The `ledger` export (docs/formats.md): every entry of every account's ledger, in the
order posted, with the balance it left."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.ledger import LedgerEntry
from app.services.platform.money import exact_text
from app.services.platform.scoping import scoped

COLUMNS = ("account_ref", "posted_at", "kind", "amount", "currency", "reference", "balance_after")
CHUNK = 5000


def entries(query, since: date | None, until: date | None):
    """Entries posted on the days [since, until] (UTC), either end open."""
    if since is not None:
        query = query.where(LedgerEntry.posted_at >= _midnight(since))
    if until is not None:
        query = query.where(LedgerEntry.posted_at < _midnight(until + timedelta(days=1)))
    return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def rows(
    region_ids: list[int] | None, since: date | None = None, until: date | None = None
) -> Iterator[tuple]:
    query = (
        db.select(
            BillingAccount.ref,
            LedgerEntry.posted_at,
            LedgerEntry.kind,
            LedgerEntry.amount,
            LedgerEntry.currency,
            LedgerEntry.reference,
            LedgerEntry.balance_after,
        )
        .join(BillingAccount, LedgerEntry.account_id == BillingAccount.id)
        .order_by(LedgerEntry.id)
    )
    query = entries(scoped(query, LedgerEntry, region_ids), since, until)
    result = db.session.execute(query, execution_options={"yield_per": CHUNK})
    for ref, posted_at, kind, amount, currency, reference, balance in result:
        yield (
            ref,
            posted_at.isoformat(),
            kind,
            exact_text(amount, currency),
            currency,
            reference,
            exact_text(balance, currency),
        )
