"""Reading an account's ledger: newest first, a page at a time (the 360° page, the
account's payments page)."""

from sqlalchemy import select

from app.extensions import db
from app.models.ledger import LedgerEntry
from app.services.platform import bulk

PAGE = 50


def entries(account_ids: list[int], limit: int = PAGE, before: int | None = None):
    """The newest entries of the accounts, `before` an entry id when paging back: the
    ledger grows by every payment and prepaid call, so pages follow the index, not an
    offset."""
    query = select(LedgerEntry).where(bulk.among(LedgerEntry.account_id, account_ids))
    if before is not None:
        query = query.where(LedgerEntry.id < before)
    return list(db.session.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit)))
