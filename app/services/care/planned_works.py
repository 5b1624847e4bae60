"""Planned works (docs/care.md): preventive maintenance or a network change, a work order
of kind planned on an area of a region (all of it, a city or a postcode) or on a set of its
lines, with a window.

When it is scheduled, each affected account's customer is emailed beforehand, in their
language, with the window on the region's clock: a communication of kind `planned_work`
whose text is written then and sent by the bill delivery's machinery (`send_notices`, a
scheduler job). Fault tickets opened on an affected line during the window are linked to
the planned work by query (`linked_tickets`, `covering`): nothing is written on the
ticket, so a planned work scheduled late still finds the tickets it explains.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.communications import Communication, CommunicationKind
from app.models.crm import BillingAccount, Customer, Service, ServiceStatus
from app.models.tickets import Ticket, TicketCategory
from app.models.work_orders import PlannedWorkLine, WorkOrder, WorkOrderKind, WorkOrderStatus
from app.services.billing import delivery
from app.services.platform.errors import DomainError
from app.services.platform.language import account_language

# lines that can be interrupted: pending lines do not work yet, terminated ones no longer
LIVE = (ServiceStatus.ACTIVE, ServiceStatus.BARRED, ServiceStatus.SUSPENDED)


def lines_of(region_id: int, numbers) -> list[Service]:
    """The region's lines given by number (a list, or text split on commas, spaces or
    lines); an unknown one is refused by name."""
    if isinstance(numbers, str):
        numbers = numbers.replace(",", " ").split()
    found = []
    for number in dict.fromkeys(n.strip() for n in numbers if n and n.strip()):
        line = db.session.scalar(
            select(Service)
            .join(BillingAccount, Service.account_id == BillingAccount.id)
            .join(Customer, BillingAccount.customer_id == Customer.id)
            .where(Service.service_id == number, Customer.region_id == region_id)
            .order_by(Service.id.desc())
            .limit(1)
        )
        if line is None:
            raise DomainError("lines", _l("%(line)s is not a line of the region", line=number))
        found.append(line)
    return found


def _affected(work_order: WorkOrder):
    """SELECT of the ids of the lines a planned work affects."""
    query = (
        select(Service.id)
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .where(Customer.region_id == work_order.region_id, Service.status.in_(LIVE))
    )
    if work_order.lines:
        return query.join(PlannedWorkLine, PlannedWorkLine.service_id == Service.id).where(
            PlannedWorkLine.work_order_id == work_order.id
        )
    if work_order.city:
        query = query.where(func.lower(Customer.city) == work_order.city.lower())
    if work_order.postcode:
        query = query.where(Customer.postcode == work_order.postcode)
    return query


def affected_lines(work_order: WorkOrder) -> list[Service]:
    return list(db.session.scalars(
        select(Service).where(Service.id.in_(_affected(work_order))).order_by(Service.id)
    ))  # fmt: skip


def _when(moment: datetime, zone: str, language: str) -> str:
    return format_datetime(moment.astimezone(ZoneInfo(zone)), "medium", locale=language)


def queue_notices(work_order: WorkOrder, now: datetime) -> int:
    """One email per affected account, its lines and the window in its language; how
    many. Rescheduling tells the customers again, of the new window."""
    by_account: dict[int, list[Service]] = {}
    for line in affected_lines(work_order):
        by_account.setdefault(line.account_id, []).append(line)
    zone = work_order.region.timezone
    for account_id, lines in by_account.items():
        account = db.session.get(BillingAccount, account_id)
        customer = account.customer
        language = account_language(account)
        with force_locale(language):
            subject = gettext("Planned works on your line")
            body = gettext(
                "Dear %(name)s,\n\nplanned works on our network (%(title)s) may interrupt "
                "your lines %(lines)s from %(start)s to %(end)s (%(zone)s).\n\n"
                "We apologise for the inconvenience.\n%(operator)s",
                name=customer.name,
                title=work_order.title,
                lines=", ".join(line.service_id for line in lines),
                start=_when(work_order.window_start, zone, language),
                end=_when(work_order.window_end, zone, language),
                zone=zone,
                operator=customer.region.legal_name,
            )
        delivery.queue_email(account.id, CommunicationKind.PLANNED_WORK, language, subject,
                             customer.email, now, body, {"work_order": work_order.id})  # fmt: skip
    work_order.notified_at = now
    return len(by_account)


def _message(communication: Communication, config) -> EmailMessage:
    return delivery.email(communication, config, "planned-work", communication.body)


def send_notices(now: datetime | None = None) -> delivery.DeliverySummary:
    """Send the planned-work emails that are due (the scheduler's job)."""
    return delivery.send_due(now, kind=CommunicationKind.PLANNED_WORK, compose=_message)


def linked_tickets(work_order: WorkOrder) -> list[Ticket]:
    """The fault tickets opened on an affected line during the planned work's window."""
    if work_order.window_start is None:
        return []
    return list(db.session.scalars(
        select(Ticket)
        .where(
            Ticket.category == TicketCategory.NETWORK_FAULT,
            Ticket.service_id.in_(_affected(work_order)),
            Ticket.created_at >= work_order.window_start,
            Ticket.created_at < work_order.window_end,
        )
        .order_by(Ticket.id)
    ))  # fmt: skip


def covering(ticket: Ticket) -> list[WorkOrder]:
    """The planned works whose window and lines hold the fault ticket's opening."""
    if ticket.category != TicketCategory.NETWORK_FAULT or ticket.service_id is None:
        return []
    candidates = db.session.scalars(
        select(WorkOrder).where(
            WorkOrder.kind == WorkOrderKind.PLANNED,
            WorkOrder.region_id == ticket.customer.region_id,
            WorkOrder.status != WorkOrderStatus.CANCELLED,
            WorkOrder.window_start <= ticket.created_at,
            WorkOrder.window_end > ticket.created_at,
        )
    ).all()
    return [
        work for work in candidates
        if db.session.scalar(select(func.count()).where(
            Service.id == ticket.service_id, Service.id.in_(_affected(work))
        ))
    ]  # fmt: skip
