"""Gapless document numbers per series and year (`IT-C-2026-000123`): taken in the
document's own transaction, so a rollback gives them back and no number is skipped."""

from sqlalchemy import insert, update

from app.extensions import db
from app.models.billing import InvoiceCounter


def take(series: str, year: int, count: int = 1) -> list[str]:
    """The next `count` numbers of the series and year. The conditional UPDATE holds the
    counter's row until commit, so concurrent takers queue instead of sharing numbers."""
    moved = db.session.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.series == series, InvoiceCounter.year == year)
        .values(last=InvoiceCounter.last + count)
        .returning(InvoiceCounter.last)
    ).scalar()
    if moved is None:
        db.session.execute(insert(InvoiceCounter).values(series=series, year=year, last=count))
        moved = count
    return [f"{series}-{year}-{n:06d}" for n in range(moved - count + 1, moved + 1)]
