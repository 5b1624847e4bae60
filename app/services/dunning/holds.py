"""Amounts of an invoice kept out of what is overdue while another part of the product
decides on them — a bill dispute holds its amount until it is resolved. The other domain
holds and releases by its own reference (source and ref), so doing either twice changes
nothing."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, type_coerce, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.billing import Invoice
from app.models.dunning import InvoiceHold
from app.models.types import ExactDecimal, utcnow
from app.services.platform.errors import DomainError


def hold(invoice: Invoice, amount: Decimal, source: str, source_ref: str) -> InvoiceHold:
    """Keep `amount` of the invoice out of dunning until released; in the caller's
    transaction. The same source and ref again returns the hold made the first time."""
    if amount <= 0:
        raise DomainError("amount", _l("more than 0"))
    earlier = _find(source, source_ref)
    if earlier is not None:
        return earlier
    held = InvoiceHold(invoice_id=invoice.id, amount=amount, source=source, source_ref=source_ref)
    try:
        with db.session.begin_nested():
            db.session.add(held)
    except IntegrityError:
        return _find(source, source_ref)
    return held


def release(source: str, source_ref: str) -> bool:
    """The hold counts no more (the dispute was decided); False when none was active."""
    released = db.session.execute(
        update(InvoiceHold)
        .where(
            InvoiceHold.source == source,
            InvoiceHold.source_ref == source_ref,
            InvoiceHold.released_at.is_(None),
        )
        .values(released_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return released == 1


def _find(source: str, source_ref: str) -> InvoiceHold | None:
    return db.session.scalar(
        select(InvoiceHold).where(
            InvoiceHold.source == source, InvoiceHold.source_ref == source_ref
        )
    )


def held_by_invoice():
    """A subquery of the amount held on each invoice with active holds: (invoice_id, held)."""
    return (
        select(
            InvoiceHold.invoice_id,
            type_coerce(func.sum(InvoiceHold.amount), ExactDecimal(4)).label("held"),
        )
        .where(InvoiceHold.released_at.is_(None))
        .group_by(InvoiceHold.invoice_id)
        .subquery()
    )
