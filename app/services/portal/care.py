"""Customer care in the portal (docs/portal.md, "Care"): the customer's tickets and bill
disputes, found among the user's customers only (access.customer_ids in every WHERE, so
another customer's answer NotFound), opened and answered through the care services exactly
as staff's are (app/services/care/tickets.py, disputes.py); and the knowledge base's public
articles in the reader's language.

Every message the customer sends through the portal — a ticket opened, a reply, a reopened
ticket, a dispute — is a contact, so it is logged as an inbound interaction of channel
`portal` (docs/care.md, "Interactions"), its note in English like every note the system
writes, right after the care service has committed its own change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount, Customer, Service
from app.models.disputes import Dispute, DisputeChange, DisputeLine, DisputeStatus
from app.models.interactions import InteractionChannel, InteractionDirection
from app.models.knowledge import Article, ArticleCategory
from app.models.security import AbonentUser
from app.models.tickets import Ticket, TicketComment, TicketPriority, TicketStatus
from app.models.types import LARGEST_INTEGER
from app.services.billing import invoices
from app.services.care import disputes as dispute_service
from app.services.care import interactions, knowledge
from app.services.care import tickets as ticket_service
from app.services.care.markdown_text import render
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.language import DEFAULT_LANGUAGE, in_english
from app.services.portal import access

S = TicketStatus
PAGE_SIZE = 25
# the customer tells what is wrong; how urgent it is, staff judge when they take it
PRIORITY = TicketPriority.NORMAL
# a closed ticket is over for the customer: a problem back again is a new request
NO_REPLY = (S.CLOSED,)


@dataclass
class Page:
    rows: list
    older: int | None  # the id the next (older) page starts before, None at the end


# --------------------------------------------------------------------------- tickets


def _owned_tickets(user: AbonentUser):
    return select(Ticket).where(Ticket.customer_id.in_(access.customer_ids(user)))


def tickets(user: AbonentUser, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """The tickets of the user's customers, newest first, a page at a time (keyset)."""
    query = _owned_tickets(user).options(
        selectinload(Ticket.service), selectinload(Ticket.customer).selectinload(Customer.region)
    )
    before = _before(before)
    if before is not None:
        query = query.where(Ticket.id < before)
    rows = list(db.session.scalars(query.order_by(Ticket.id.desc()).limit(size + 1)))
    return Page(rows[:size], rows[size - 1].id if len(rows) > size else None)


def _key(value, field: str) -> int:
    """A record's id from an address: a number a column can hold, else not found (an id
    past the column's range would be an error of the database, not a 404)."""
    try:
        key = int(value)
    except (TypeError, ValueError):
        raise NotFound(field, _l("not found")) from None
    if not 0 < key <= LARGEST_INTEGER:
        raise NotFound(field, _l("not found"))
    return key


def _before(value: int | None) -> int | None:
    """Where a page starts (an id), or None for the first page."""
    return value if value is not None and 0 < value <= LARGEST_INTEGER else None


def ticket(user: AbonentUser, ticket_id) -> Ticket:
    key = _key(ticket_id, "ticket")
    found = db.session.scalar(_owned_tickets(user).where(Ticket.id == key))
    if found is None:
        raise NotFound("ticket", _l("not found"))
    return found


@dataclass
class Message:
    comment: TicketComment
    from_customer: bool  # written by a portal user (the customer's side), else by staff


def customer_comments(ticket_: Ticket) -> list[Message]:
    """The ticket's comments marked for the customer, oldest first: never an internal one."""
    comments = list(
        db.session.scalars(
            select(TicketComment)
            .where(TicketComment.ticket_id == ticket_.id, TicketComment.public.is_(True))
            .order_by(TicketComment.at, TicketComment.id)
        )
    )
    customers = set(
        db.session.scalars(
            select(AbonentUser.username).where(
                AbonentUser.username.in_({c.username for c in comments}),
                AbonentUser.customer_id.is_not(None),
            )
        )
    )
    return [Message(c, c.username in customers) for c in comments]


def can_reply(ticket_: Ticket) -> bool:
    return ticket_.status not in NO_REPLY


def can_reopen(ticket_: Ticket) -> bool:
    """Whether the customer may say the problem is still there: a resolved ticket goes
    back to work."""
    return ticket_.status == S.RESOLVED and S.IN_PROGRESS in ticket_service.ALLOWED[S.RESOLVED]


def open_ticket(user: AbonentUser, *, category, subject, description, line=None) -> Ticket:
    """Open a ticket for the customer whose line it concerns (the user's own customer when
    no line is named); its creator is the portal user, and the customer is emailed as for
    any ticket."""
    chosen = None
    if line not in (None, ""):
        try:
            chosen = access.line(user, line)
        except NotFound:
            raise DomainError("service", _l("not one of your lines")) from None
    customer_id = chosen.account.customer_id if chosen is not None else user.customer_id
    created = ticket_service.create(
        customer_id,
        None,  # the customer is the user's own, checked above
        category=category,
        priority=PRIORITY,
        subject=subject,
        description=description,
        service=chosen.id if chosen is not None else None,
    )
    _log(
        created.customer,
        _l(
            "Ticket %(number)s opened in the portal: %(subject)s",
            number=created.number,
            subject=created.subject,
        ),
        line=created.service,
    )
    return created


def reply(ticket_: Ticket, body: str | None, reopen: bool = False) -> Ticket:
    """The customer's comment on their ticket (found through `ticket`), for staff and the
    customer to read. A ticket waiting for the customer goes back to work with it; a
    resolved one, when the customer says the problem is still there (`reopen`), is
    reopened."""
    body = (body or "").strip()
    if not can_reply(ticket_):
        raise DomainError("comment", _l("this request is closed: open a new one"))
    if reopen:
        if not can_reopen(ticket_):
            raise DomainError("reopen", _l("only a resolved request can be reopened"))
        ticket_service.transition(ticket_, S.IN_PROGRESS, body, public=True)
        note = _l("Ticket %(number)s reopened in the portal", number=ticket_.number)
    elif ticket_.status == S.WAITING_CUSTOMER:
        validation.required("comment", body)
        ticket_service.transition(ticket_, S.IN_PROGRESS, body, public=True)
        note = _l("Reply in the portal on ticket %(number)s", number=ticket_.number)
    else:
        ticket_service.add_comment(ticket_, body, public=True)
        note = _l("Reply in the portal on ticket %(number)s", number=ticket_.number)
    _log(ticket_.customer, note, line=ticket_.service)
    return ticket_


def _log(customer: Customer, note, *, line: Service | None = None, account_id=None) -> None:
    interactions.record(
        customer,
        InteractionChannel.PORTAL,
        InteractionDirection.INBOUND,
        in_english(note),
        account_id=account_id,
        line_id=line.id if line is not None else None,
    )


# --------------------------------------------------------------------------- disputes


def _owned_disputes(user: AbonentUser):
    accounts = select(BillingAccount.id).where(
        BillingAccount.customer_id.in_(access.customer_ids(user))
    )
    return select(Dispute).where(Dispute.account_id.in_(accounts))


def disputes(user: AbonentUser, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """The disputes of the user's customers, newest first, a page at a time (keyset)."""
    query = _owned_disputes(user).options(
        selectinload(Dispute.invoice), selectinload(Dispute.changes)
    )
    before = _before(before)
    if before is not None:
        query = query.where(Dispute.id < before)
    rows = list(db.session.scalars(query.order_by(Dispute.id.desc()).limit(size + 1)))
    return Page(rows[:size], rows[size - 1].id if len(rows) > size else None)


def dispute(user: AbonentUser, dispute_id) -> Dispute:
    key = _key(dispute_id, "dispute")
    found = db.session.scalar(
        _owned_disputes(user)
        .where(Dispute.id == key)
        .options(
            selectinload(Dispute.lines).selectinload(DisputeLine.invoice_line),
            selectinload(Dispute.credit_note),
            selectinload(Dispute.changes),
        )
    )
    if found is None:
        raise NotFound("dispute", _l("not found"))
    return found


def decision(dispute_: Dispute) -> DisputeChange | None:
    """The step that decided the dispute (its reason is the customer's answer), if any."""
    return next((c for c in dispute_.changes if c.to_status != DisputeStatus.OPEN), None)


@dataclass
class DisputeForm:
    invoice: Invoice
    open_amount: Decimal  # what may still be disputed, VAT included
    left: dict[int, Decimal]  # invoice line id → net still open to dispute on it


def dispute_form(user: AbonentUser, number: str) -> DisputeForm:
    """One of the user's bills with what may be disputed on it, as a whole and per line."""
    invoice = access.invoice(user, number)
    return DisputeForm(
        invoice, dispute_service.open_amount(invoice), invoices.left_to_credit(invoice)
    )


def open_dispute(form: DisputeForm, amount, reason, chosen=(), nets=None) -> Dispute:
    """Dispute the bill for `amount`, or the `chosen` lines (invoice line ids), each for
    the net typed in `nets` or, when blank, all that is left on it; the care service
    checks every figure against the bill and its open amount. The dispute is opened by
    the portal user, so anyone at the operator may decide it."""
    nets = nets or {}
    lines = {}
    for key in chosen:
        typed = (nets.get(str(key)) or "").strip()
        if not typed:
            try:
                typed = form.left.get(int(key), "")
            except ValueError:
                typed = ""
        lines[str(key)] = typed
    invoice = form.invoice
    opened = dispute_service.open_dispute(invoice, amount, reason, lines or None)
    _log(
        invoice.customer,
        _l(
            "Dispute %(ref)s of bill %(number)s opened in the portal: %(reason)s",
            ref=opened.ref,
            number=invoice.number,
            reason=opened.reason,
        ),
        account_id=invoice.account_id,
    )
    return opened


# --------------------------------------------------------------------------- help


def help_articles(language: str, query: str | None = None) -> list[tuple[str, list[Article]]]:
    """The public articles in `language` (found by `query` when given), by category."""
    grouped = defaultdict(list)
    for article in knowledge.public_articles(language, query or None):
        grouped[article.category].append(article)
    return [(str(c), grouped[c]) for c in ArticleCategory if grouped.get(c)]


def help_article(slug: str, language: str) -> Article:
    """The public article of the group `slug` in `language`; else in English; else in the
    first language it is written in. Internal articles are not found."""
    versions = {a.language: a for a in knowledge.public_versions(slug)}
    for code in (language, DEFAULT_LANGUAGE, *sorted(versions)):
        if code in versions:
            return versions[code]
    raise NotFound("article", _l("not found"))


def article_html(article: Article) -> Markup:
    """The article's body as a page may show it: Markdown rendered, then sanitised."""
    return render(article.body)
