"""The customer's timeline (the 360° page): everything that happened with a customer in one
stream, newest first — contacts, tickets, repair visits, orders, bills, payments, dunning
steps, messages sent — filterable by kind and read a page at a time.

It is a registry of sources. A source is a function answering "the newest `limit` entries
of this customer older than the cursor" with one set-based query on its own table; the
timeline asks each source the kinds asked for, merges their answers and keeps the newest.
Paging is by keyset: the cursor is the (time, kind, id) of the last entry shown, so a page
deep in a long history costs what the first one does, and entries added meanwhile never
shift a page.

Adding a kind is one line in SOURCES, its function here, and one template
(`timeline/<kind>.html`) showing its row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.billing import Invoice
from app.models.communications import Communication
from app.models.disputes import Dispute
from app.models.dunning import DunningCase, DunningCaseStep
from app.models.interactions import Interaction
from app.models.orders import Order, OrderLine
from app.models.payments import Payment
from app.models.tickets import Ticket
from app.models.work_orders import WorkOrder, WorkOrderKind
from app.services.platform.errors import DomainError

PAGE_SIZE = 30


@dataclass(frozen=True, order=True)
class Cursor:
    """Where an entry stands in the stream: entries are shown by (at, kind, id), newest
    (the greatest) first."""

    at: datetime
    kind: str
    id: int

    def text(self) -> str:
        return f"{self.at.isoformat()}|{self.kind}|{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """A cursor as `text()` wrote it (an address's argument); DomainError otherwise."""
        try:
            at, kind, record_id = text.split("|")
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None or kind not in SOURCES:
                raise ValueError(text)
            return cls(moment.astimezone(UTC), kind, int(record_id))
        except (ValueError, OverflowError) as exc:
            raise DomainError("before", _l("not a place in the timeline")) from exc


@dataclass(frozen=True)
class Entry:
    kind: str
    at: datetime
    record: object

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.at, self.kind, self.record.id)


@dataclass(frozen=True)
class Whose:
    """The customer whose timeline it is, and its billing accounts."""

    customer_id: int
    account_ids: list[int]


@dataclass
class Page:
    entries: list[Entry] = field(default_factory=list)
    # where the next (older) page starts; None on the last page
    next: Cursor | None = None


def older(at_column, id_column, kind: str, cursor: Cursor | None):
    """SQL: a row of a source of `kind` comes after the cursor in the stream."""
    if cursor is None:
        return true()
    if kind < cursor.kind:
        return at_column <= cursor.at
    if kind > cursor.kind:
        return at_column < cursor.at
    return or_(at_column < cursor.at, and_(at_column == cursor.at, id_column < cursor.id))


def day_start(day) -> datetime:
    return datetime.combine(day, time(), UTC)


def older_by_day(day_column, id_column, kind: str, cursor: Cursor | None):
    """As `older`, for a source whose rows carry a day only (they stand at its start, UTC)."""
    if cursor is None:
        return true()
    day = cursor.at.date()
    at_midnight = cursor.at == day_start(day)
    before = day_column < day if at_midnight else day_column <= day
    if kind < cursor.kind:
        return day_column <= day
    if kind > cursor.kind or not at_midnight:
        return before
    return or_(before, and_(day_column == day, id_column < cursor.id))


def _newest(query, at_column, id_column, limit: int):
    return db.session.scalars(query.order_by(at_column.desc(), id_column.desc()).limit(limit))


def interactions(whose: Whose, cursor: Cursor | None, limit: int) -> list[Entry]:
    query = (
        select(Interaction)
        .where(Interaction.customer_id == whose.customer_id)
        .where(older(Interaction.at, Interaction.id, "interaction", cursor))
        .options(
            selectinload(Interaction.account),
            selectinload(Interaction.service),
            selectinload(Interaction.attachments),
        )
    )
    rows = _newest(query, Interaction.at, Interaction.id, limit)
    return [Entry("interaction", row.at, row) for row in rows]


def orders(whose: Whose, cursor: Cursor | None, limit: int) -> list[Entry]:
    query = (
        select(Order)
        .where(Order.account_id.in_(whose.account_ids))
        .where(older(Order.created_at, Order.id, "order", cursor))
        .options(
            selectinload(Order.account),
            selectinload(Order.lines).selectinload(OrderLine.service),
        )
    )
    rows = _newest(query, Order.created_at, Order.id, limit)
    return [Entry("order", row.created_at, row) for row in rows]


def invoices(whose: Whose, cursor: Cursor | None, limit: int) -> list[Entry]:
    query = (
        select(Invoice)
        .where(Invoice.account_id.in_(whose.account_ids))
        .where(older(Invoice.created_at, Invoice.id, "invoice", cursor))
        .options(selectinload(Invoice.account))
    )
    rows = _newest(query, Invoice.created_at, Invoice.id, limit)
    return [Entry("invoice", row.created_at, row) for row in rows]


def payments(whose: Whose, cursor: Cursor | None, limit: int) -> list[Entry]:
    query = (
        select(Payment)
        .where(Payment.account_id.in_(whose.account_ids))
        .where(older(Payment.created_at, Payment.id, "payment", cursor))
        .options(selectinload(Payment.account))
    )
    rows = _newest(query, Payment.created_at, Payment.id, limit)
    return [Entry("payment", row.created_at, row) for row in rows]


def dunning_steps(whose: Whose, cursor: Cursor | None, limit: int) -> list[Entry]:
    step = DunningCaseStep
    query = (
        select(step)
        .join(DunningCase, step.case_id == DunningCase.id)
        .where(DunningCase.account_id.in_(whose.account_ids))
        .where(older_by_day(step.taken_on, step.id, "dunning_step", cursor))
        .options(selectinload(step.case).selectinload(DunningCase.account))
    )
    rows = _newest(query, step.taken_on, step.id, limit)
    return [Entry("dunning_step", day_start(row.taken_on), row) for row in rows]


def communications(whose: Whose, cursor: Cursor | None, limit: int) -> list[Entry]:
    message = Communication
    query = (
        select(message)
        .where(message.account_id.in_(whose.account_ids))
        .where(older(message.created_at, message.id, "communication", cursor))
        .options(selectinload(message.account))
    )
    rows = _newest(query, message.created_at, message.id, limit)
    return [Entry("communication", row.created_at, row) for row in rows]


def tickets(whose: Whose, cursor: Cursor | None, limit: int) -> list[Entry]:
    query = (
        select(Ticket)
        .where(Ticket.customer_id == whose.customer_id)
        .where(older(Ticket.created_at, Ticket.id, "ticket", cursor))
        .options(selectinload(Ticket.service))
    )
    rows = _newest(query, Ticket.created_at, Ticket.id, limit)
    return [Entry("ticket", row.created_at, row) for row in rows]


def work_orders(whose: Whose, cursor: Cursor | None, limit: int) -> list[Entry]:
    """The repair visits to the customer's lines, when they were raised (their status,
    visit and result as they are now). Planned works are not here: a customer one touches
    has its notice in the stream (a communication of kind planned_work), while finding them
    from the works would read every work order of the region and match the customer's lines
    and address as they are now, not as they were then."""
    query = (
        select(WorkOrder)
        .where(WorkOrder.customer_id == whose.customer_id, WorkOrder.kind == WorkOrderKind.REPAIR)
        .where(older(WorkOrder.created_at, WorkOrder.id, "work_order", cursor))
        .options(selectinload(WorkOrder.service), selectinload(WorkOrder.assignee))
    )
    rows = _newest(query, WorkOrder.created_at, WorkOrder.id, limit)
    return [Entry("work_order", row.created_at, row) for row in rows]


def disputes(whose: Whose, cursor: Cursor | None, limit: int) -> list[Entry]:
    query = (
        select(Dispute)
        .where(Dispute.account_id.in_(whose.account_ids))
        .where(older(Dispute.opened_at, Dispute.id, "dispute", cursor))
        .options(selectinload(Dispute.account), selectinload(Dispute.invoice))
    )
    rows = _newest(query, Dispute.opened_at, Dispute.id, limit)
    return [Entry("dispute", row.opened_at, row) for row in rows]


Fetch = Callable[[Whose, "Cursor | None", int], list[Entry]]
# kind -> its source; the filters offer the kinds in this order
SOURCES: dict[str, Fetch] = {
    "interaction": interactions,
    "ticket": tickets,
    "work_order": work_orders,
    "order": orders,
    "invoice": invoices,
    "payment": payments,
    "dunning_step": dunning_steps,
    "communication": communications,
    "dispute": disputes,
}


def page(whose: Whose, kinds=None, cursor: Cursor | None = None, limit: int | None = None) -> Page:
    """The newest `limit` (PAGE_SIZE) entries of the kinds (every kind when None) after the
    cursor."""
    limit = limit or PAGE_SIZE
    chosen = [kind for kind in SOURCES if kinds is None or kind in kinds]
    entries: list[Entry] = []
    for kind in chosen:
        # one more than a page: whether a next page exists
        entries += SOURCES[kind](whose, cursor, limit + 1)
    entries.sort(key=lambda entry: entry.cursor, reverse=True)
    if len(entries) <= limit:
        return Page(entries)
    shown = entries[:limit]
    return Page(shown, shown[-1].cursor)
