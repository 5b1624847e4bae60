"""The customer's bills and payments on the portal (docs/portal.md, "Bills"): the bills
newest first, a bill's lines grouped and labelled as its PDF groups them, the PDF itself,
paying a bill online through the gateway (and the payment's outcome when the customer
comes back), the payments made, and a statement of account. Every record is found among
the user's customers (app/services/portal/access.py); another customer's is NotFound."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.billing import CreditNote, CreditNoteStatus, Invoice
from app.models.crm import BillingAccount
from app.models.gateway import CheckoutSession
from app.models.payments import Payment, PaymentAllocation
from app.models.security import AbonentUser
from app.services.billing import invoice_status, pdf, settlement, statement
from app.services.gateway import checkout
from app.services.platform import validation
from app.services.platform.errors import NotFound
from app.services.portal import access

PAGE = 20
# a list goes back this many pages at most (older bills: the statement of account)
MAX_PAGE = 50
# where the gateway sends the customer back to
RESULT_ENDPOINT = "portal.payment_result"


@dataclass
class Page:
    items: list
    number: int
    has_next: bool


def page_number(value) -> int:
    """A page asked for in an address: 1 when it is no page number, at most MAX_PAGE."""
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def _paged(query, number: int) -> Page:
    rows = list(db.session.scalars(query.limit(PAGE + 1).offset((number - 1) * PAGE)))
    return Page(rows[:PAGE], number, len(rows) > PAGE and number < MAX_PAGE)


def bills(user: AbonentUser, account_id=None, page: int = 1) -> Page:
    """The user's bills newest first, of one of their accounts when `account_id` is given
    (NotFound when it is not theirs)."""
    query = access.invoices_query(user)
    if account_id not in (None, ""):
        query = query.where(Invoice.account_id == access.account(user, account_id).id)
    return _paged(query.options(selectinload(Invoice.account)), page)


def is_payable(invoice: Invoice) -> bool:
    """Whether the bill still asks for money (the gateway's checkout refuses it otherwise)."""
    return invoice.status in invoice_status.OPEN and invoice.balance_due > 0


@dataclass
class Group:
    """The lines of one phone line, or the account's own (discounts, adjustments)."""

    title: str | None
    lines: list[tuple[str, str, Decimal]] = field(default_factory=list)  # label, qty, amount


@dataclass
class Section:
    account_ref: str
    total: Decimal
    groups: list[Group]


@dataclass
class Bill:
    invoice: Invoice
    sections: list[Section]
    allocations: list[PaymentAllocation]
    credit_notes: list[CreditNote]
    payable: bool


def bill(user: AbonentUser, number: str) -> Bill:
    """One of the user's bills with its lines as its PDF has them: by account (the
    payer's first), in each by line number, the account's own lines last; labelled and
    counted by the PDF's own rules, in the page's language."""
    invoice = access.invoice(user, number)
    zone = ZoneInfo(invoice.customer.region.timezone)
    formats = pdf.Formats(str(get_locale()), invoice.currency, zone)
    parts = pdf.account_lines(invoice, formats)
    refs = dict(
        db.session.execute(
            select(BillingAccount.id, BillingAccount.ref).where(
                BillingAccount.id.in_([part.account_id for part in parts])
            )
        ).all()
    )
    sections = [
        Section(
            refs[part.account_id],
            part.total,
            [Group(title, lines) for title, lines in part.groups],
        )
        for part in parts
    ]
    notes = [note for note in invoice.credit_notes if note.status == CreditNoteStatus.APPROVED]
    return Bill(
        invoice,
        sections,
        settlement.invoice_allocations(invoice.id),
        notes,
        is_payable(invoice),
    )


def pdf_content(user: AbonentUser, number: str) -> tuple[Invoice, bytes]:
    """The bill's PDF as the customer was sent it, as staff download it (checked against
    its checksum, marked VOID when void): pdf.DocumentFault when it cannot be handed out."""
    invoice = access.invoice(user, number)
    return invoice, pdf.download_content(invoice)


def pay(user: AbonentUser, number: str) -> CheckoutSession:
    """Start paying the bill online: a checkout for its balance due, the same as staff
    start (DomainError when it asks for nothing), that brings the customer back to the
    portal's result page."""
    invoice = access.invoice(user, number)
    return checkout.start(invoice.account, invoice=invoice, return_to=RESULT_ENDPOINT)


def checkout_session(user: AbonentUser, token: str) -> CheckoutSession:
    """A checkout session of one of the user's accounts, by its token (one past its time
    is marked expired); NotFound for anyone else's."""
    session = checkout.by_token(str(token)[:64])
    owner = db.session.scalar(
        select(BillingAccount.customer_id).where(BillingAccount.id == session.account_id)
    )
    if owner not in access.customer_ids(user):
        raise NotFound("token", _l("no such payment"))
    return session


def payments(user: AbonentUser, page: int = 1) -> Page:
    """The payments to the user's accounts newest first, with the bills each paid."""
    query = (
        select(Payment)
        .join(BillingAccount, Payment.account_id == BillingAccount.id)
        .where(BillingAccount.customer_id.in_(access.customer_ids(user)))
        .options(
            selectinload(Payment.account),
            selectinload(Payment.allocations).selectinload(PaymentAllocation.invoice),
        )
        .order_by(Payment.received_on.desc(), Payment.id.desc())
    )
    return _paged(query, page)


def statement_pdf(
    user: AbonentUser, account_id, start: str, end: str
) -> tuple[BillingAccount, bytes]:
    """A statement of account of one of the user's accounts for the days [start, end] of
    its region's calendar (DomainError naming the field when they are not a valid range)."""
    account = access.account(user, validation.required("account_id", account_id))
    today = datetime.now(ZoneInfo(account.customer.region.timezone)).date()
    first, last = statement.check_range(start, end, today)
    return account, statement.render(statement.statement(account, first, last))
