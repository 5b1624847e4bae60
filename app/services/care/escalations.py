"""Escalation emails: the Supervisors told of a ticket that breached its SLA.

The breach job (app/services/care/sla.py) moves a breached ticket to the Supervisors'
team with a note in its thread; this is the email that makes them look. Every active
Supervisor who works the ticket's region gets one message, in the region's language (staff
of a region work in its language), naming the ticket, its customer, when it breached and
who has it, with a link to its page when APP_URL is set.

Each ticket is claimed with a conditional UPDATE of `escalation_mailed_at` before its email
goes, so two jobs running at once never both send it; when the mail server refuses, the
claim is given back and the run stops (the server is likely down for the rest too): the
next run tries again. The ticket's thread records who was emailed, or that nobody could be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.extensions import db
from app.models.security import AbonentUser
from app.models.tickets import UNMAILED_ESCALATION, Ticket, TicketComment
from app.models.types import utcnow
from app.services.billing.delivery import SmtpConnection
from app.services.platform.actor import current_username
from app.services.platform.language import DEFAULT_LANGUAGE, in_english
from app.services.platform.scoping import region_ids_for
from app.services.platform.users import holders_of

SUPERVISOR_ROLE = "Supervisor"
CHUNK = 100


@dataclass
class EscalationSummary:
    mailed: int = 0
    unmailed: int = 0  # no active Supervisor works the region
    retrying: int = 0

    def __str__(self) -> str:
        return (
            f"escalations mailed {self.mailed}, to nobody {self.unmailed}, retrying {self.retrying}"
        )


def supervisors_of(region_id: int) -> list[AbonentUser]:
    """The active Supervisors who work the region and can be emailed."""
    return [
        user
        for user in holders_of(SUPERVISOR_ROLE)
        if user.email and ((regions := region_ids_for(user)) is None or region_id in regions)
    ]


def mail_escalations(now: datetime | None = None) -> EscalationSummary:
    """Email the Supervisors about every escalated ticket they have not heard of yet."""
    now = now or utcnow()
    summary = EscalationSummary()
    ids = db.session.scalars(
        select(Ticket.id).where(UNMAILED_ESCALATION).order_by(Ticket.id).limit(CHUNK)
    ).all()
    db.session.commit()
    if not ids:
        return summary
    with SmtpConnection(current_app.config) as transport:
        for ticket_id in ids:
            outcome = _mail_one(ticket_id, transport, now)
            if outcome is not None:
                setattr(summary, outcome, getattr(summary, outcome) + 1)
            if outcome == "retrying":
                break
    return summary


def _mail_one(ticket_id: int, transport, now: datetime) -> str | None:
    claimed = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, UNMAILED_ESCALATION)
        .values(escalation_mailed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return None  # another job has it
    ticket = db.session.get(Ticket, ticket_id)
    recipients = supervisors_of(ticket.customer.region_id)
    if not recipients:
        _note(
            ticket,
            now,
            in_english(_l("No active Supervisor to tell of the escalation.")),
        )
        return "unmailed"
    try:
        transport.send(_message(ticket, recipients))
    except transport.failures as exc:
        db.session.rollback()
        db.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.escalation_mailed_at == now)
            .values(escalation_mailed_at=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        current_app.logger.warning("escalation email of ticket %s: %s", ticket.number, exc)
        return "retrying"
    names = ", ".join(user.username for user in recipients)
    with force_locale(DEFAULT_LANGUAGE):
        _note(
            ticket, now, gettext("Escalation emailed to the Supervisors: %(names)s.", names=names)
        )
    return "mailed"


def _note(ticket: Ticket, now: datetime, body: str) -> None:
    db.session.add(
        TicketComment(
            ticket_id=ticket.id, at=now, body=body, public=False, username=current_username()
        )
    )
    db.session.commit()


def _message(ticket: Ticket, recipients: list[AbonentUser]) -> EmailMessage:
    config = current_app.config
    region = ticket.customer.region
    language = region.language or DEFAULT_LANGUAGE
    customer = f"{ticket.customer.name} ({ticket.customer.ref})"
    link = f"{config['APP_URL']}/tickets/{ticket.id}" if config["APP_URL"] else None
    with force_locale(language):
        breached = format_datetime(
            ticket.breached_at or ticket.escalated_at,
            "medium",
            tzinfo=ZoneInfo(region.timezone),
            locale=language,
        )
        subject = gettext("Ticket %(number)s breached its SLA", number=ticket.number)
        body = gettext(
            'Ticket %(number)s ("%(subject)s") of %(customer)s breached its SLA on %(at)s '
            "and is escalated to the Supervisors.\n\nAssigned to: %(assignee)s",
            number=ticket.number,
            subject=ticket.subject,
            customer=customer,
            at=breached,
            assignee=ticket.assignee.username if ticket.assignee else gettext("nobody"),
        )
        if link:
            body += "\n\n" + gettext("Open the ticket: %(url)s", url=link)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = ", ".join(user.email for user in recipients)
    message["Message-ID"] = make_msgid(f"escalation-{ticket.id}")
    message.set_content(body)
    message["Content-Language"] = language
    return message
