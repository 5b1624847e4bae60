"""Trouble tickets: a customer's problem recorded, assigned, worked on and resolved.

A ticket moves new → assigned → in_progress → waiting_customer → resolved → closed, along
the moves of ALLOWED only; a resolved or closed ticket may be reopened (back to
in_progress). A refused move names the ones the ticket could make (WorkflowRefused). Each
move is kept with who, when and its comment; comments are internal (staff only) or for the
customer. A ticket is assigned to a team, a person (a staff member who works the
customer's region), or both; assigning a new ticket moves it to assigned.

Its SLA clock (app/services/care/sla.py) starts when it is opened, stands still while it
waits for the customer or is resolved, and goes on when it is reopened.

The customer is emailed, in their language, when the ticket is opened, when it waits for
them and when it is resolved: each message is written when the ticket moves (a
communication of kind `ticket_update` on the customer's account, its text kept) and sent
by the bill delivery's machinery (`send_updates`, the scheduler's `follow_up`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.communications import Communication, CommunicationKind
from app.models.crm import BillingAccount, Customer, Service
from app.models.security import AbonentUser
from app.models.tickets import (
    Ticket,
    TicketCategory,
    TicketChange,
    TicketComment,
    TicketPriority,
    TicketStatus,
    TicketTeam,
)
from app.models.types import LARGEST_INTEGER, utcnow
from app.services.billing import delivery
from app.services.care import escalations, sla, sla_credits
from app.services.crm import customers
from app.services.platform import validation
from app.services.platform.actor import SYSTEM_USERNAME, current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.language import customer_language
from app.services.platform.scoping import region_ids_for, scoped
from app.services.platform.users import roles_of

S = TicketStatus
ALLOWED = {
    S.NEW: (S.ASSIGNED, S.IN_PROGRESS),
    S.ASSIGNED: (S.IN_PROGRESS, S.WAITING_CUSTOMER, S.RESOLVED),
    S.IN_PROGRESS: (S.WAITING_CUSTOMER, S.RESOLVED),
    S.WAITING_CUSTOMER: (S.IN_PROGRESS, S.RESOLVED),
    S.RESOLVED: (S.CLOSED, S.IN_PROGRESS),
    S.CLOSED: (S.IN_PROGRESS,),
}
# the moves the customer hears of, by email
TOLD = {S.WAITING_CUSTOMER: "waiting_customer", S.RESOLVED: "resolved"}
SUBJECT_LENGTH = Ticket.__table__.c.subject.type.length
TEXT_LENGTH = 10_000
EDITABLE = ("category", "priority", "subject", "description", "service")


class WorkflowRefused(DomainError):
    """A move the workflow does not allow; `allowed` are the ones it does."""

    def __init__(self, reason, allowed: list[str]):
        super().__init__("to", reason)
        self.allowed = allowed


@dataclass
class QueuePage:
    tickets: list[Ticket]
    older: bool  # whether rows come after this page
    newer: bool  # and before it


# --------------------------------------------------------------------------- reading


def get(ticket_id: int, region_ids) -> Ticket:
    ticket = db.session.scalar(
        scoped(select(Ticket).where(Ticket.id == ticket_id), Ticket, region_ids).options(
            selectinload(Ticket.changes).selectinload(TicketChange.comment),
            selectinload(Ticket.comments),
        )
    )
    if ticket is None:
        raise NotFound("ticket", _l("not found"))
    return ticket


def _filtered(region_ids, *, status=None, priority=None, category=None, breached=None,
              assignee_id=None, team=None, customer_id=None):  # fmt: skip
    query = scoped(select(Ticket), Ticket, region_ids)
    for column, value in (
        (Ticket.status, status),
        (Ticket.priority, priority),
        (Ticket.category, category),
        (Ticket.breached, breached),
        (Ticket.assignee_id, assignee_id),
        (Ticket.team, team),
        (Ticket.customer_id, customer_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return query


def _loaded(query):
    return query.options(
        selectinload(Ticket.customer).selectinload(Customer.region),
        selectinload(Ticket.assignee),
        selectinload(Ticket.service),
    )


def queue(region_ids, *, before: int | None = None, after: int | None = None,
          size: int = 50, **filters) -> QueuePage:  # fmt: skip
    """A page of tickets newest first, those older than `before` (or newer than `after`):
    a page is found through the filters' indexes without counting every match."""
    query = _loaded(_filtered(region_ids, **filters))
    if after is not None:
        rows = list(db.session.scalars(
            query.where(Ticket.id > after).order_by(Ticket.id).limit(size + 1)
        ))  # fmt: skip
        newer = len(rows) > size
        return QueuePage(list(reversed(rows[:size])), older=True, newer=newer)
    if before is not None:
        query = query.where(Ticket.id < before)
    rows = list(db.session.scalars(query.order_by(Ticket.id.desc()).limit(size + 1)))
    return QueuePage(rows[:size], older=len(rows) > size, newer=before is not None)


def search(region_ids, *, page: int = 0, page_size: int = 50, **filters):
    """(how many match, the page of them newest first): the API's list."""
    query = _filtered(region_ids, **filters)
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        _loaded(query).order_by(Ticket.id.desc()).offset(page * page_size).limit(page_size)
    ).all()
    return count, list(rows)


def customer_lines(customer: Customer) -> list[Service]:
    """The customer's lines a ticket may concern, by number."""
    return list(
        db.session.scalars(
            select(Service)
            .join(BillingAccount, Service.account_id == BillingAccount.id)
            .where(BillingAccount.customer_id == customer.id)
            .order_by(Service.service_id, Service.id)
        )
    )


def staff_of(region_id: int) -> list[AbonentUser]:
    """The staff who may be given a ticket of the region: active users with a role that
    works its customers (Admins and Supervisors work every region)."""
    users = db.session.scalars(
        select(AbonentUser)
        .where(
            AbonentUser.active.is_(True),
            AbonentUser.customer_id.is_(None),
            AbonentUser.username != SYSTEM_USERNAME,
        )
        .order_by(AbonentUser.username)
    ).all()
    found = []
    for user in users:
        if not roles_of(user):
            continue
        regions = region_ids_for(user)
        if regions is None or region_id in regions:
            found.append(user)
    return found


def allowed_moves(ticket: Ticket) -> list[str]:
    return [str(status) for status in ALLOWED[S(ticket.status)]]


# --------------------------------------------------------------------------- checks


def _subject(value) -> str:
    subject = validation.required("subject", (value or "").strip())
    validation.check_text("subject", subject)
    return validation.check_length(Ticket, "subject", subject)


def _text(field: str, value, required: bool = False) -> str:
    text = (value or "").strip()
    if required:
        validation.required(field, text)
    validation.check_text(field, text, True)
    if len(text) > TEXT_LENGTH:
        raise DomainError(field, _l("longer than %(limit)s characters", limit=TEXT_LENGTH))
    return text


def _line(customer: Customer, key) -> Service | None:
    """The customer's line a ticket concerns, by its id; None for none."""
    if key in (None, ""):
        return None
    line_id = validation.check_whole_between("service", key, 1, LARGEST_INTEGER)
    line = db.session.scalar(
        select(Service)
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .where(Service.id == line_id, BillingAccount.customer_id == customer.id)
    )
    if line is None:
        raise DomainError("service", _l("not a line of the customer"))
    return line


def _assignee(region_id: int, key) -> AbonentUser | None:
    if key in (None, ""):
        return None
    user_id = validation.check_whole_between("assignee", key, 1, LARGEST_INTEGER)
    user = next((u for u in staff_of(region_id) if u.id == user_id), None)
    if user is None:
        raise DomainError("assignee", _l("not a staff member of the customer's region"))
    return user


# --------------------------------------------------------------------------- changes


def create(customer_key, region_ids, *, category: str, priority: str, subject: str,
           description: str = "", service=None, now: datetime | None = None) -> Ticket:  # fmt: skip
    """Open a ticket for a customer the user sees (by id or reference); its clock starts
    and the customer is told."""
    now = now or utcnow()
    try:
        return _create(customer_key, region_ids, category, priority, subject, description,
                       service, now)  # fmt: skip
    except Exception:
        db.session.rollback()  # a refused ticket leaves nothing behind in the session
        raise


def _create(customer_key, region_ids, category, priority, subject, description, service,
            now) -> Ticket:  # fmt: skip
    customer = customers.resolve_key(Customer, customer_key, region_ids, "customer")
    if customer is None:
        raise DomainError("customer", _l("required"))
    ticket = Ticket(
        customer=customer,
        service=_line(customer, service),
        category=validation.check_choice("category", category, TicketCategory),
        priority=validation.check_choice("priority", priority, TicketPriority),
        subject=_subject(subject),
        description=_text("description", description),
        status=S.NEW,
        created_by=current_username(),
        created_at=now,
        updated_at=now,
    )
    sla.start(ticket, now)
    db.session.add(ticket)
    db.session.flush()
    db.session.add(TicketChange(ticket=ticket, at=now, from_status="", to_status=S.NEW,
                                username=current_username()))  # fmt: skip
    _tell(ticket, "opened", None, now)
    db.session.commit()
    return ticket


def update(ticket: Ticket, changes: dict, now: datetime | None = None) -> Ticket:
    """Change what the ticket is about (EDITABLE fields); a new category or priority
    measures it by that pair's SLA target."""
    now = now or utcnow()
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(sorted(unknown)[0], _l("cannot be changed"))
    if "category" in changes:
        ticket.category = validation.check_choice("category", changes["category"],
                                                  TicketCategory)  # fmt: skip
    if "priority" in changes:
        ticket.priority = validation.check_choice("priority", changes["priority"],
                                                  TicketPriority)  # fmt: skip
    if "subject" in changes:
        ticket.subject = _subject(changes["subject"])
    if "description" in changes:
        ticket.description = _text("description", changes["description"])
    if "service" in changes:
        ticket.service = _line(ticket.customer, changes["service"])
    if {"category", "priority"} & set(changes):
        sla.retarget(ticket, now)
    ticket.updated_at = now
    db.session.commit()
    return ticket


def transition(ticket: Ticket, to: str, comment: str = "", public: bool = False,
               now: datetime | None = None) -> Ticket:  # fmt: skip
    """Move the ticket to `to`, with an optional comment (internal unless `public`).
    A move the workflow does not allow raises WorkflowRefused naming the allowed ones."""
    now = now or utcnow()
    allowed = allowed_moves(ticket)
    if to not in allowed:
        raise WorkflowRefused(
            _l("a %(current)s ticket cannot move to %(target)s; it can move to %(allowed)s",
               current=ticket.status, target=repr(to), allowed=", ".join(allowed)),
            allowed,
        )  # fmt: skip
    if to == S.ASSIGNED and ticket.team is None and ticket.assignee_id is None:
        raise DomainError("assignee", _l("assign the ticket to a team or a person first"))
    note = _comment(ticket, comment, public, now)
    _move(ticket, to, note, now)
    if to in TOLD:
        _tell(ticket, TOLD[to], note.body if note is not None and note.public else None, now)
    db.session.commit()
    return ticket


def _comment(ticket: Ticket, body, public: bool, now: datetime) -> TicketComment | None:
    text = _text("comment", body)
    if not text:
        return None
    note = TicketComment(ticket=ticket, at=now, body=text, public=bool(public),
                         username=current_username())  # fmt: skip
    db.session.add(note)
    return note


def _move(ticket: Ticket, to: str, note: TicketComment | None, now: datetime) -> None:
    db.session.add(TicketChange(ticket=ticket, at=now, from_status=ticket.status, to_status=to,
                                username=current_username(), comment=note))  # fmt: skip
    sla.follow(ticket, to, now)
    if to == S.RESOLVED:
        ticket.resolved_at = now
        sla_credits.on_resolved(ticket)
    elif to == S.CLOSED:
        ticket.closed_at = now
    elif ticket.status in (S.RESOLVED, S.CLOSED):  # reopened
        ticket.resolved_at = ticket.closed_at = None
    ticket.status = to
    ticket.updated_at = now


def assign(ticket: Ticket, team=None, assignee=None, now: datetime | None = None) -> Ticket:
    """Give the ticket to a team, a person of the customer's region, or both (blank: none);
    a new ticket becomes assigned."""
    now = now or utcnow()
    team = team or None
    if team is not None:
        validation.check_choice("team", team, TicketTeam)
    user = _assignee(ticket.customer.region_id, assignee)
    if team is None and user is None:
        raise DomainError("assignee", _l("choose a team or a person"))
    if ticket.status == S.CLOSED:
        raise DomainError("status", _l("a closed ticket is not assigned: reopen it first"))
    ticket.team, ticket.assignee = team, user
    if ticket.status == S.NEW:
        _move(ticket, S.ASSIGNED, None, now)
    ticket.updated_at = now
    db.session.commit()
    return ticket


def add_comment(ticket: Ticket, body, public: bool = False,
                now: datetime | None = None) -> TicketComment:  # fmt: skip
    """A note in the ticket's thread: internal, or for the customer to read (`public`)."""
    now = now or utcnow()
    validation.required("comment", (body or "").strip())
    note = _comment(ticket, body, public, now)
    ticket.updated_at = now
    db.session.commit()
    return note


# --------------------------------------------------------------------------- the customer


def _account(ticket: Ticket) -> BillingAccount | None:
    """Where the customer's messages about the ticket are kept: the line's account, else
    the customer's first."""
    if ticket.service is not None:
        return ticket.service.account
    return db.session.scalar(
        select(BillingAccount)
        .where(BillingAccount.customer_id == ticket.customer_id)
        .order_by(BillingAccount.id)
        .limit(1)
    )


def _words(event: str, ticket: Ticket, note: str | None) -> tuple[str, str]:
    """The subject and body of the message about an event, in the current locale."""
    customer = ticket.customer
    values = {
        "name": customer.name,
        "number": ticket.number,
        "subject": ticket.subject,
        "operator": customer.region.legal_name,
    }
    if event == "opened":
        return gettext("Ticket %(number)s opened", **values), gettext(
            'Dear %(name)s,\n\nwe have recorded your request "%(subject)s" as ticket '
            "%(number)s and will keep you informed.\n\nThank you,\n%(operator)s",
            **values,
        )
    if event == "waiting_customer":
        return gettext("Ticket %(number)s: we need your reply", **values), gettext(
            'Dear %(name)s,\n\nto go on with ticket %(number)s ("%(subject)s") we need '
            "something from you:\n\n%(note)s\n\nThe ticket waits for your reply.\n\n"
            "Thank you,\n%(operator)s",
            note=note or gettext("Please call us or answer this email."),
            **values,
        )
    body = gettext('Dear %(name)s,\n\nticket %(number)s ("%(subject)s") is resolved.', **values)
    if note:
        body += "\n\n" + note
    body += "\n\n" + gettext(
        "If the problem is still there, tell us and we will reopen it.\n\nThank you,\n%(operator)s",
        **values,
    )
    return gettext("Ticket %(number)s resolved", **values), body


def _tell(ticket: Ticket, event: str, note: str | None, now: datetime) -> None:
    """Queue the customer's email about the event; nothing for a customer without an
    account, where communications are kept."""
    account = _account(ticket)
    if account is None:
        return
    customer = ticket.customer
    language = customer_language(customer)
    with force_locale(language):
        subject, body = _words(event, ticket, note)
    delivery.queue_email(
        account.id,
        CommunicationKind.TICKET_UPDATE,
        language,
        subject[: Communication.__table__.c.subject.type.length],
        customer.email,
        now,
        body,
        {"ticket": ticket.id, "event": event},
    )


def _message(communication: Communication, config) -> EmailMessage:
    return delivery.email(communication, config, "ticket", communication.body)


def send_updates(now: datetime | None = None) -> delivery.DeliverySummary:
    """Send the ticket emails that are due."""
    return delivery.send_due(now, kind=CommunicationKind.TICKET_UPDATE, compose=_message)


def follow_up(now: datetime | None = None) -> str:
    """The scheduler's ticket job: breaches marked and escalated, the Supervisors emailed
    about them, the customers' emails sent."""
    breaches = sla.check_breaches(now)
    escalated = escalations.mail_escalations(now)
    sent = send_updates(now)
    return f"{breaches}; {escalated}; emails {sent}"
