"""Repair bureau work orders (docs/care.md): a visit to repair a line, raised from its
network-fault ticket, or a planned work (app/services/care/planned_works.py).

A work order moves new → assigned → scheduled → in_progress → done, or to cancelled before
it is done, along the moves of ALLOWED only; each move is kept with who, when and why. It
is given to a Technician of its region, by hand or to the one with the fewest open work
orders; its visit is a window on the region's clock, stored in UTC. Closing a repair feeds
back to its ticket: an internal comment with the result, and a fixed line resolves the
ticket through the tickets service (which proposes an SLA credit when it was late).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.crm import Customer
from app.models.security import AbonentUser
from app.models.tickets import Ticket, TicketCategory, TicketStatus
from app.models.types import LARGEST_INTEGER, utcnow
from app.models.work_orders import (
    WorkOrder,
    WorkOrderChange,
    WorkOrderKind,
    WorkOrderResult,
    WorkOrderStatus,
)
from app.services.care import planned_works, tickets
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import region_ids_for, scoped
from app.services.platform.users import roles_of

S = WorkOrderStatus
ALLOWED = {
    S.NEW: (S.ASSIGNED, S.CANCELLED),
    S.ASSIGNED: (S.SCHEDULED, S.IN_PROGRESS, S.CANCELLED),
    S.SCHEDULED: (S.SCHEDULED, S.IN_PROGRESS, S.CANCELLED),
    S.IN_PROGRESS: (S.DONE, S.CANCELLED),
    S.DONE: (),
    S.CANCELLED: (),
}
OPEN = (S.NEW, S.ASSIGNED, S.SCHEDULED, S.IN_PROGRESS)
# what a Technician has to do: given to them and not finished
QUEUED = (S.ASSIGNED, S.SCHEDULED, S.IN_PROGRESS)
TECHNICIAN = "Technician"
NOTES_LENGTH = 10_000
MOST_MINUTES = 7 * 24 * 60


class WorkflowRefused(DomainError):
    """A move the workflow does not allow; `allowed` are the ones it does."""

    def __init__(self, reason, allowed: list[str]):
        super().__init__("to", reason)
        self.allowed = allowed


# --------------------------------------------------------------------------- reading


def get(work_order_id: int, region_ids) -> WorkOrder:
    found = db.session.scalar(
        scoped(select(WorkOrder).where(WorkOrder.id == work_order_id), WorkOrder, region_ids)
        .options(selectinload(WorkOrder.changes), selectinload(WorkOrder.lines))
    )  # fmt: skip
    if found is None:
        raise NotFound("work_order", _l("not found"))
    return found


def listing(region_ids, *, kind=None, status=None, limit: int = 200) -> list[WorkOrder]:
    """The newest work orders of the regions, of a kind and status when given."""
    query = scoped(select(WorkOrder), WorkOrder, region_ids)
    if kind is not None:
        query = query.where(WorkOrder.kind == kind)
    if status is not None:
        query = query.where(WorkOrder.status == status)
    return list(db.session.scalars(
        query.options(selectinload(WorkOrder.region), selectinload(WorkOrder.assignee))
        .order_by(WorkOrder.id.desc()).limit(limit)
    ))  # fmt: skip


def of_ticket(ticket: Ticket) -> list[WorkOrder]:
    return list(db.session.scalars(
        select(WorkOrder).where(WorkOrder.ticket_id == ticket.id).order_by(WorkOrder.id)
    ))  # fmt: skip


def queue_of(user: AbonentUser) -> list[WorkOrder]:
    """A Technician's work: their unfinished work orders, the scheduled visits first by
    time, then those still to be scheduled."""
    rows = db.session.scalars(
        select(WorkOrder)
        .where(WorkOrder.assignee_id == user.id, WorkOrder.status.in_(QUEUED))
        .options(selectinload(WorkOrder.region), selectinload(WorkOrder.service))
        .order_by(WorkOrder.window_start.is_(None), WorkOrder.window_start, WorkOrder.id)
    )
    return list(rows)


def technicians_of(region_id: int) -> list[AbonentUser]:
    """The active Technicians who work the region."""
    users = db.session.scalars(
        select(AbonentUser).where(AbonentUser.active.is_(True)).order_by(AbonentUser.username)
    ).all()
    found = []
    for user in users:
        if TECHNICIAN not in {role.name for role in roles_of(user)}:
            continue
        regions = region_ids_for(user)
        if regions is None or region_id in regions:
            found.append(user)
    return found


def open_counts(user_ids) -> dict[int, int]:
    rows = db.session.execute(
        select(WorkOrder.assignee_id, func.count())
        .where(WorkOrder.assignee_id.in_(user_ids), WorkOrder.status.in_(OPEN))
        .group_by(WorkOrder.assignee_id)
    )
    return dict(rows.all())


def least_loaded(region_id: int) -> AbonentUser | None:
    """The region's Technician with the fewest open work orders (by name on a tie)."""
    staff = technicians_of(region_id)
    counts = open_counts([user.id for user in staff])
    return min(staff, key=lambda user: (counts.get(user.id, 0), user.username), default=None)


def allowed_moves(work_order: WorkOrder) -> list[str]:
    return [str(status) for status in ALLOWED[S(work_order.status)]]


def local_window(work_order: WorkOrder) -> tuple[datetime, datetime] | None:
    """The window on the region's clock."""
    if work_order.window_start is None:
        return None
    zone = ZoneInfo(work_order.region.timezone)
    return work_order.window_start.astimezone(zone), work_order.window_end.astimezone(zone)


# --------------------------------------------------------------------------- checks


def _text(field: str, value, model_column: bool = True) -> str:
    text = (value or "").strip()
    validation.check_text(field, text, not model_column)
    if model_column:
        return validation.check_length(WorkOrder, field, text)
    if len(text) > NOTES_LENGTH:
        raise DomainError(field, _l("longer than %(limit)s characters", limit=NOTES_LENGTH))
    return text


def _technician(work_order: WorkOrder, key) -> AbonentUser:
    user_id = validation.check_whole_between("assignee", key, 1, LARGEST_INTEGER)
    user = next((u for u in technicians_of(work_order.region_id) if u.id == user_id), None)
    if user is None:
        raise DomainError("assignee", _l("not a Technician of the region"))
    return user


def _clock(field: str, value) -> time:
    try:
        return time.fromisoformat(validation.required(field, (value or "").strip()))
    except ValueError:
        raise DomainError(field, _l("%(value)s is not a time (HH:MM)", value=repr(value))) from None


def window(region_timezone: str, day, starts, ends) -> tuple[datetime, datetime]:
    """A window given as a day and two times on the region's clock, as UTC."""
    on = validation.check_date("day", validation.required("day", (day or "").strip()))
    return _span(region_timezone, on, _clock("starts", starts), on, _clock("ends", ends))


def _span(zone_name: str, first: date, start: time, last: date, end: time):
    zone = ZoneInfo(zone_name)
    begins = datetime.combine(first, start, zone).astimezone(ZoneInfo("UTC"))
    finishes = datetime.combine(last, end, zone).astimezone(ZoneInfo("UTC"))
    if finishes <= begins:
        raise DomainError("ends", _l("after the start"))
    return begins, finishes


# --------------------------------------------------------------------------- changes


def _move(work_order: WorkOrder, to: str, note: str, now: datetime) -> None:
    allowed = allowed_moves(work_order)
    if to not in allowed:
        raise WorkflowRefused(
            _l("a %(current)s work order cannot move to %(target)s; it can move to %(allowed)s",
               current=work_order.status, target=repr(to),
               allowed=", ".join(allowed) or "-"),
            allowed,
        )  # fmt: skip
    change = WorkOrderChange(work_order=work_order, at=now, from_status=work_order.status,
                             to_status=to, username=current_username(), note=note)  # fmt: skip
    db.session.add(change)
    work_order.status = to
    work_order.updated_at = now


def _new(now: datetime, **fields) -> WorkOrder:
    work_order = WorkOrder(status=S.NEW, created_by=current_username(), created_at=now,
                           updated_at=now, **fields)  # fmt: skip
    db.session.add(work_order)
    db.session.flush()
    db.session.add(WorkOrderChange(work_order=work_order, at=now, from_status="", to_status=S.NEW,
                                   username=current_username(), note=""))  # fmt: skip
    return work_order


def _address(customer: Customer) -> str:
    place = " ".join(part for part in (customer.postcode, customer.city) if part)
    return ", ".join(part for part in (customer.street, place) if part)


def create_repair(ticket: Ticket, *, equipment: str = "", port: str = "", assign: bool = True,
                  now: datetime | None = None) -> WorkOrder:  # fmt: skip
    """A repair work order for a network-fault ticket's line, its address the customer's;
    given at once to the region's least loaded Technician unless `assign` is false."""
    now = now or utcnow()
    if ticket.category != TicketCategory.NETWORK_FAULT:
        raise DomainError("ticket", _l("work orders are for network faults"))
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise DomainError("ticket", _l("the ticket is resolved"))
    if any(found.status in OPEN for found in of_ticket(ticket)):
        raise DomainError("ticket", _l("the ticket has an open work order"))
    customer = ticket.customer
    try:
        work_order = _new(
            now,
            kind=WorkOrderKind.REPAIR,
            region_id=customer.region_id,
            ticket=ticket,
            customer=customer,
            service=ticket.service,
            title=ticket.subject,
            equipment=_text("equipment", equipment),
            port=_text("port", port),
            address=validation.check_length(WorkOrder, "address", _address(customer)),
        )
        if assign:
            user = least_loaded(customer.region_id)
            if user is not None:
                work_order.assignee = user
                _move(work_order, S.ASSIGNED, "", now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return work_order


def create_planned(region_id: int, region_ids, *, title: str, city: str = "", postcode: str = "",
                   lines=(), now: datetime | None = None) -> WorkOrder:  # fmt: skip
    """A planned work on a region the user works: its whole area, a city or postcode of
    it, or a set of its lines (by number)."""
    now = now or utcnow()
    region_id = validation.check_whole_between("region", region_id, 1, LARGEST_INTEGER)
    if region_ids is not None and region_id not in region_ids:
        raise DomainError("region", _l("not a region you work"))
    try:
        work_order = _new(
            now,
            kind=WorkOrderKind.PLANNED,
            region_id=region_id,
            title=validation.required("title", _text("title", title)),
            city=_text("city", city),
            postcode=_text("postcode", postcode),
        )
        work_order.lines = planned_works.lines_of(region_id, lines)
        db.session.commit()
    except Exception:
        db.session.rollback()  # a line refused leaves no half-made work order behind
        raise
    return work_order


def update_line(work_order: WorkOrder, *, equipment, port, address,
                now: datetime | None = None) -> WorkOrder:  # fmt: skip
    """The last-mile data the Technician found."""
    work_order.equipment = _text("equipment", equipment)
    work_order.port = _text("port", port)
    work_order.address = _text("address", address)
    work_order.updated_at = now or utcnow()
    db.session.commit()
    return work_order


def assign(work_order: WorkOrder, assignee=None, now: datetime | None = None) -> WorkOrder:
    """Give it to a Technician of its region, or (none given) to the least loaded one."""
    now = now or utcnow()
    if work_order.status not in OPEN:
        raise DomainError("status", _l("the work order is finished"))
    if assignee in (None, ""):
        user = least_loaded(work_order.region_id)
        if user is None:
            raise DomainError("assignee", _l("the region has no Technician"))
    else:
        user = _technician(work_order, assignee)
    work_order.assignee = user
    if work_order.status == S.NEW:
        _move(work_order, S.ASSIGNED, "", now)
    work_order.updated_at = now
    db.session.commit()
    return work_order


def schedule(work_order: WorkOrder, day, starts, ends, *, last_day=None,
             now: datetime | None = None) -> WorkOrder:  # fmt: skip
    """The visit's (or the planned work's) window, a day and times on the region's clock
    (a planned work may end on a later day). A planned work's customers are told."""
    now = now or utcnow()
    zone = work_order.region.timezone
    if last_day:
        first = validation.check_date("day", validation.required("day", day))
        last = validation.check_date("last_day", last_day)
        begins, finishes = _span(zone, first, _clock("starts", starts), last, _clock("ends", ends))
    else:
        begins, finishes = window(zone, day, starts, ends)
    if begins <= now:
        raise DomainError("day", _l("in the future"))
    if work_order.status == S.NEW and work_order.kind == WorkOrderKind.PLANNED:
        # a planned work needs nobody's name to be announced
        _move(work_order, S.ASSIGNED, "", now)
    _move(work_order, S.SCHEDULED, "", now)
    work_order.window_start, work_order.window_end = begins, finishes
    if work_order.kind == WorkOrderKind.PLANNED:
        planned_works.queue_notices(work_order, now)
    db.session.commit()
    return work_order


def start(work_order: WorkOrder, now: datetime | None = None) -> WorkOrder:
    """The Technician is on it."""
    _move(work_order, S.IN_PROGRESS, "", now or utcnow())
    db.session.commit()
    return work_order


def cancel(work_order: WorkOrder, note, now: datetime | None = None) -> WorkOrder:
    note = validation.required("note", _text("notes", note, model_column=False))
    _move(work_order, S.CANCELLED, note, now or utcnow())
    db.session.commit()
    return work_order


def result_text(work_order: WorkOrder) -> str:
    labels = {
        WorkOrderResult.FIXED: gettext("fixed"),
        WorkOrderResult.NOT_FIXED: gettext("not fixed"),
        WorkOrderResult.NO_ACCESS: gettext("no access"),
    }
    text = gettext("Work order %(number)s done: %(result)s, %(minutes)s minutes.",
                   number=work_order.number, result=labels[work_order.result],
                   minutes=work_order.minutes)  # fmt: skip
    return f"{text}\n{work_order.notes}" if work_order.notes else text


def finish(work_order: WorkOrder, result, minutes, notes="",
           now: datetime | None = None) -> WorkOrder:  # fmt: skip
    """Done, with the result and the minutes spent; the ticket hears of it, and a fixed
    line resolves it."""
    now = now or utcnow()
    result = validation.check_choice("result", result, WorkOrderResult)
    minutes = validation.check_whole_between("minutes", minutes, 0, MOST_MINUTES)
    notes = _text("notes", notes, model_column=False)
    _move(work_order, S.DONE, "", now)
    work_order.result, work_order.minutes, work_order.notes = result, minutes, notes
    ticket = work_order.ticket
    if ticket is None:
        db.session.commit()
        return work_order
    text = result_text(work_order)
    if work_order.result != WorkOrderResult.FIXED or ticket.status in (
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    ):
        tickets.add_comment(ticket, text, now=now)
        return work_order
    if TicketStatus.RESOLVED not in tickets.allowed_moves(ticket):
        tickets.transition(ticket, TicketStatus.IN_PROGRESS, now=now)
    tickets.transition(ticket, TicketStatus.RESOLVED, text, now=now)
    return work_order
