"""The interaction log (issue 21): every contact with a customer — a call, a visit, an
email, a chat, a portal message, inbound or outbound — with the agent who handled it, when
it took place, what was said and the files kept with it.

The log is append-only: nothing edits or deletes an entry (`install_guard` refuses it
before anything is written); a correction is a new entry naming the one it corrects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session, selectinload

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Service
from app.models.interactions import (
    Interaction,
    InteractionAttachment,
    InteractionChannel,
    InteractionDirection,
)
from app.models.types import utcnow
from app.services.care import attachments
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import scoped

NOTES_LIMIT = 10_000
# a contact logged as later than now is a slip of the keyboard; a clock a little ahead is not
FUTURE_SLACK = timedelta(minutes=5)
ATTACHMENTS_LIMIT = 10  # files per entry
IMMUTABLE = _l("the interaction log is never changed: add an entry that corrects it")


class InteractionImmutable(DomainError):
    """An entry of the log, or a file kept with it, was about to be changed or deleted."""


@dataclass(frozen=True)
class Upload:
    """A file as it came in: the name it was sent with and its bytes."""

    filename: str | None
    data: bytes


def _whole(field: str, value) -> int | None:
    if value in (None, ""):
        return None
    return validation.check_whole_between(field, value, 1, 2**31 - 1)


def _when(at, customer: Customer, now: datetime) -> datetime:
    """When the contact took place: now when not given; text as a form sends it
    (`2026-03-01T14:30`) is the time in the customer's region."""
    if at in (None, ""):
        return now
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at.strip())
        except ValueError as exc:
            raise DomainError("at", _l("not a date and time (YYYY-MM-DD HH:MM)")) from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(customer.region.timezone))
    try:
        at = at.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise DomainError("at", _l("not a date and time (YYYY-MM-DD HH:MM)")) from exc
    if at > now + FUTURE_SLACK:
        raise DomainError("at", _l("a contact cannot take place in the future"))
    return at


def _account(customer: Customer, account_id) -> BillingAccount | None:
    account_id = _whole("account", account_id)
    if account_id is None:
        return None
    account = db.session.get(BillingAccount, account_id)
    if account is None or account.customer_id != customer.id:
        raise DomainError("account", _l("not an account of this customer"))
    return account


def _line(customer: Customer, account: BillingAccount | None, line_id) -> Service | None:
    line_id = _whole("line", line_id)
    if line_id is None:
        return None
    line = db.session.get(Service, line_id)
    if line is None or line.account.customer_id != customer.id:
        raise DomainError("line", _l("not a line of this customer"))
    if account is not None and line.account_id != account.id:
        raise DomainError("line", _l("not a line of the account chosen"))
    return line


def _notes(notes: str | None) -> str:
    notes = (notes or "").strip()
    validation.required("notes", notes)
    validation.check_text("notes", notes, multiline=True)
    if len(notes) > NOTES_LIMIT:
        raise DomainError("notes", _l("longer than %(limit)s characters", limit=NOTES_LIMIT))
    return notes


def customer(customer_id: int, region_ids) -> Customer:
    """The customer, when in the regions."""
    found = db.session.scalar(
        scoped(select(Customer).where(Customer.id == customer_id), Customer, region_ids)
    )
    if found is None:
        raise NotFound("customer", _l("not found"))
    return found


def record(
    customer: Customer,
    channel: str,
    direction: str,
    notes: str,
    at=None,
    account_id=None,
    line_id=None,
    uploads: list[Upload] | tuple = (),
    corrects: Interaction | None = None,
    now: datetime | None = None,
) -> Interaction:
    """Log a contact with the customer, with its files; all of it or, when anything is
    refused (a file's type or size included), nothing."""
    now = now or utcnow()
    try:
        validation.required("channel", channel)
        validation.check_choice("channel", channel, list(InteractionChannel))
        validation.required("direction", direction)
        validation.check_choice("direction", direction, list(InteractionDirection))
        account = _account(customer, account_id)
        line = _line(customer, account, line_id)
        if line is not None and account is None:
            account = line.account
        if corrects is not None and corrects.customer_id != customer.id:
            raise DomainError("corrects", _l("not an interaction of this customer"))
        uploads = [u for u in uploads if u.data or u.filename]
        if len(uploads) > ATTACHMENTS_LIMIT:
            raise DomainError("attachment", _l("at most %(limit)s files", limit=ATTACHMENTS_LIMIT))
        interaction = Interaction(
            customer=customer,
            account=account,
            service=line,
            channel=channel,
            direction=direction,
            at=_when(at, customer, now),
            notes=_notes(notes),
            username=current_username(),
            created_at=now,
            corrects=corrects,
        )
        db.session.add(interaction)
        for upload in uploads:
            attachments.attach(interaction, upload.filename, upload.data)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return interaction


def get(interaction_id: int, region_ids) -> Interaction:
    query = select(Interaction).where(Interaction.id == interaction_id)
    found = db.session.scalar(
        scoped(query, Interaction, region_ids).options(
            selectinload(Interaction.attachments), selectinload(Interaction.customer)
        )
    )
    if found is None:
        raise NotFound("interaction", _l("not found"))
    return found


def corrections(interaction: Interaction) -> list[Interaction]:
    """The entries correcting this one, oldest first."""
    return list(
        db.session.scalars(
            select(Interaction)
            .where(Interaction.corrects_id == interaction.id)
            .order_by(Interaction.at, Interaction.id)
        )
    )


@dataclass(frozen=True)
class Filters:
    channel: str | None = None
    direction: str | None = None
    agent: str | None = None
    customer_ref: str | None = None
    since: datetime | None = None  # from this moment on
    until: datetime | None = None  # before this moment


def search(
    region_ids, filters: Filters, before: tuple[datetime, int] | None = None, limit: int = 50
) -> tuple[list[Interaction], tuple[datetime, int] | None]:
    """A page of the entries of the regions' customers matching the filters, newest first,
    older than `before` (the (at, id) the previous page ended with); and where the next
    page starts, None on the last one. Keyset paging: as fast on the thousandth page as on
    the first."""
    query = scoped(select(Interaction), Interaction, region_ids)
    if filters.channel:
        query = query.where(Interaction.channel == filters.channel)
    if filters.direction:
        query = query.where(Interaction.direction == filters.direction)
    if filters.agent:
        query = query.where(Interaction.username == filters.agent)
    if filters.customer_ref:
        query = query.join(Customer, Interaction.customer_id == Customer.id).where(
            Customer.ref == filters.customer_ref
        )
    if filters.since:
        query = query.where(Interaction.at >= filters.since)
    if filters.until:
        query = query.where(Interaction.at < filters.until)
    if before is not None:
        at, last_id = before
        query = query.where(
            or_(Interaction.at < at, and_(Interaction.at == at, Interaction.id < last_id))
        )
    rows = list(
        db.session.scalars(
            query.options(
                selectinload(Interaction.customer).selectinload(Customer.region),
                selectinload(Interaction.account),
                selectinload(Interaction.service),
                selectinload(Interaction.attachments),
            )
            .order_by(Interaction.at.desc(), Interaction.id.desc())
            .limit(limit + 1)
        )
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, (rows[-1].at, rows[-1].id)


def _refuse_changes(session: Session, _context, _instances) -> None:
    changed = [
        obj
        for obj in session.dirty
        if isinstance(obj, Interaction | InteractionAttachment)
        and session.is_modified(obj, include_collections=False)
    ]
    changed += [o for o in session.deleted if isinstance(o, Interaction | InteractionAttachment)]
    if changed:
        raise InteractionImmutable(type(changed[0]).__tablename__, IMMUTABLE)


def install_guard() -> None:
    if not event.contains(Session, "before_flush", _refuse_changes):
        event.listen(Session, "before_flush", _refuse_changes)
