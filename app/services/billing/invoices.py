"""Invoices after the bill run: finding them, their status from issue to paid, credited,
overdue or void, and the credit notes that correct them.

An issued invoice never changes: corrections are credit notes (money taken off this
invoice) and adjustments (money on the next bill). A session guard refuses any other
change to an invoice's content or lines, whatever tries it (a screen, the API, a script).
Money moving against an invoice (credited, paid) and its status move with conditional
UPDATEs, so two people acting on one invoice at once cannot together take off more than it
holds, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, event, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from app.extensions import db
from app.models.billing import (
    INVOICE_MUTABLE,
    Adjustment,
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    InvoiceStatusChange,
)
from app.models.communications import Communication, CommunicationStatus
from app.models.crm import BillingAccount, Customer, Region
from app.models.ledger import EntryKind
from app.models.types import utcnow
from app.models.usage import UsageCharge
from app.services.billing import document_numbers, invoice_status, settlement
from app.services.ledger import posting
from app.services.platform import second_person, validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.money import round_money
from app.services.platform.scoping import scoped

IS = InvoiceStatus
CN = CreditNoteStatus
VOIDABLE = (IS.ISSUED, IS.OVERDUE)
REASON_LENGTH = 500


class InvoiceImmutable(DomainError):
    """Something tried to change an issued invoice, its lines or a decided credit note."""


# --------------------------------------------------------------------------- immutability


def _changed(obj, allowed=frozenset()) -> list[str]:
    state = db.inspect(obj)
    return [
        attr.key
        for attr in state.mapper.column_attrs
        if attr.key not in allowed and state.attrs[attr.key].history.has_changes()
    ]


def _committed(obj, key: str):
    history = db.inspect(obj).attrs[key].history
    return history.deleted[0] if history.deleted else getattr(obj, key)


def _refuse(what: str) -> None:
    raise InvoiceImmutable(
        what,
        _l("an issued invoice cannot be changed: credit it, or adjust the next bill"),
    )


def _guard(session: Session, _context, _instances) -> None:
    """Refuse, before anything is written, an edit of what an invoice says once issued."""
    with session.no_autoflush:
        _check(session)


def _check(session: Session) -> None:
    for obj in session.deleted:
        if isinstance(obj, Invoice | InvoiceLine | CreditNote | CreditNoteLine):
            _refuse(type(obj).__tablename__)
    for obj in session.dirty:
        if isinstance(obj, Invoice):
            if _committed(obj, "status") != IS.DRAFT and _changed(obj, INVOICE_MUTABLE):
                _refuse("invoice")
        elif isinstance(obj, InvoiceLine):
            if obj.invoice.status != IS.DRAFT and _changed(obj):
                _refuse("invoice_line")
        elif (
            isinstance(obj, CreditNote)
            and _committed(obj, "status") != CN.REQUESTED
            and _changed(obj)
        ):
            _refuse("credit_note")
    for obj in session.new:
        invoice = obj.invoice if isinstance(obj, InvoiceLine) else None
        if invoice is not None and db.inspect(invoice).persistent and invoice.status != IS.DRAFT:
            _refuse("invoice_line")


def install_guard() -> None:
    if not event.contains(Session, "before_flush", _guard):
        event.listen(Session, "before_flush", _guard)


# --------------------------------------------------------------------------- reading


def search(
    region_ids,
    number: str | None = None,
    account_ref: str | None = None,
    status: str | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    page: int = 0,
    page_size: int = 50,
) -> tuple[int, list[Invoice]]:
    """A page of the invoices a user may see matching the filters, newest first, and how
    many there are in all."""
    query = select(Invoice).join(BillingAccount, Invoice.account_id == BillingAccount.id)
    query = scoped(query, BillingAccount, region_ids)
    if number:
        query = query.where(Invoice.number == number.strip())
    if account_ref:
        query = query.where(BillingAccount.ref == account_ref.strip())
    if status:
        query = query.where(Invoice.status == status)
    if issued_from:
        query = query.where(Invoice.issue_date >= issued_from)
    if issued_to:
        query = query.where(Invoice.issue_date <= issued_to)
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    found = db.session.scalars(
        with_details(query.order_by(Invoice.issue_date.desc(), Invoice.id.desc()))
        .offset(page * page_size)
        .limit(page_size)
    )
    return count, list(found)


def get(invoice_id: int, region_ids) -> Invoice:
    return _one(Invoice.id == invoice_id, region_ids)


def by_number(number: str, region_ids=None) -> Invoice:
    return _one(Invoice.number == number, region_ids)


def with_details(query):
    """Load what an invoice's page or API body shows, in a few queries for any number."""
    return query.options(
        selectinload(Invoice.account),
        selectinload(Invoice.customer),
        selectinload(Invoice.lines).selectinload(InvoiceLine.account),
        selectinload(Invoice.credit_notes).selectinload(CreditNote.lines),
        selectinload(Invoice.changes),
    )


def _one(condition, region_ids) -> Invoice:
    query = with_details(
        select(Invoice)
        .join(BillingAccount, Invoice.account_id == BillingAccount.id)
        .where(condition)
    )
    invoice = db.session.scalar(scoped(query, BillingAccount, region_ids))
    if invoice is None:
        raise NotFound("invoice", _l("not found"))
    return invoice


def account_invoices(account_ids, limit: int = 20) -> list[Invoice]:
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.account_id.in_(account_ids))
            .options(selectinload(Invoice.account))
            .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
            .limit(limit)
        )
    )


def credit_note(note_id: int, region_ids) -> CreditNote:
    return _one_note(CreditNote.id == note_id, region_ids)


def credit_note_by_number(number: str, region_ids=None) -> CreditNote:
    return _one_note(CreditNote.number == number, region_ids)


def _one_note(condition, region_ids) -> CreditNote:
    query = (
        select(CreditNote)
        .join(Invoice, CreditNote.invoice_id == Invoice.id)
        .join(BillingAccount, Invoice.account_id == BillingAccount.id)
        .where(condition)
    )
    note = db.session.scalar(scoped(query, BillingAccount, region_ids))
    if note is None:
        raise NotFound("credit_note", _l("not found"))
    return note


# --------------------------------------------------------------------------- status


def void(invoice: Invoice, reason: str) -> None:
    """Cancel an invoice issued in error, before any payment. Its usage and adjustments go
    back to be billed, and running its bill date again bills the period anew."""
    reason = _reason(reason)
    if invoice.status not in VOIDABLE:
        raise DomainError("status", _l("only an issued or overdue invoice can be voided"))
    if invoice.paid:
        raise DomainError("status", _l("the invoice has payments: credit it instead"))
    if any(note.status != CN.REJECTED for note in invoice.credit_notes):
        raise DomainError("status", _l("the invoice has credit notes: credit the rest instead"))
    # a credit the invoice took in part left its rest for the next bill: voiding gives the
    # whole credit back, so the rest goes, unless a later invoice already carries it
    taken = select(Adjustment.id).where(Adjustment.invoice_id == invoice.id)
    rests = select(Adjustment).where(Adjustment.carried_from_id.in_(taken))
    if db.session.scalar(rests.where(Adjustment.invoice_id.is_not(None)).limit(1)):
        raise DomainError(
            "status",
            _l("a later invoice carries the rest of a credit on this one: void that one first"),
        )
    try:
        invoice_status.move(invoice, IS.VOID, reason, Invoice.paid == 0, Invoice.credited == 0)
        posting.entry(
            invoice.account_id, EntryKind.VOID, invoice.total, invoice.number, invoice_id=invoice.id
        )
        db.session.execute(
            delete(Adjustment)
            .where(Adjustment.carried_from_id.in_(taken), Adjustment.invoice_id.is_(None))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(UsageCharge)
            .where(UsageCharge.invoice_id == invoice.id)
            .values(invoice_id=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(Adjustment)
            .where(Adjustment.invoice_id == invoice.id)
            .values(invoice_id=None)
            .execution_options(synchronize_session=False)
        )
        _withdraw_delivery(invoice)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _withdraw_delivery(invoice: Invoice) -> None:
    """A void bill still waiting to go out (an email not sent yet, a letter no print batch
    holds) is not sent: it would ask for money no longer due."""
    with force_locale(invoice.language):
        reason = str(_l("the invoice is void"))
    db.session.execute(
        update(Communication)
        .where(
            Communication.invoice_id == invoice.id,
            Communication.status == CommunicationStatus.QUEUED,
            Communication.print_batch_id.is_(None),
        )
        .values(status=CommunicationStatus.FAILED, next_attempt_at=None, last_error=reason)
        .execution_options(synchronize_session=False)
    )


def mark_overdue(today: date) -> int:
    """Invoices past their due date with money still asked become overdue (the daily job);
    returns how many."""
    due = (
        select(Invoice.id, Invoice.status)
        .where(Invoice.status.in_((IS.ISSUED, IS.PARTIALLY_PAID)), Invoice.due_date < today)
        .subquery()
    )
    now, user = utcnow(), current_username()
    db.session.execute(
        insert(InvoiceStatusChange).from_select(
            ["invoice_id", "from_status", "to_status", "username", "at"],
            select(
                due.c.id,
                due.c.status,
                db.literal(IS.OVERDUE.value),
                db.literal(user),
                db.literal(now, InvoiceStatusChange.at.type),
            ),
        )
    )
    moved = db.session.execute(
        update(Invoice)
        .where(Invoice.status.in_((IS.ISSUED, IS.PARTIALLY_PAID)), Invoice.due_date < today)
        .values(status=IS.OVERDUE)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return moved


def mark_overdue_today() -> int:
    return mark_overdue(utcnow().date())


# --------------------------------------------------------------------------- credit notes


def _reason(reason: str | None) -> str:
    reason = validation.check_text(
        "reason", validation.required("reason", (reason or "").strip()), True
    )
    if len(reason) > REASON_LENGTH:
        raise DomainError("reason", _l("at most %(length)s characters", length=REASON_LENGTH))
    return reason


def _credited_lines(invoice: Invoice, statuses) -> dict[int, Decimal]:
    """Invoice line → what credit notes in these statuses take off it."""
    taken: dict[int, Decimal] = defaultdict(Decimal)
    for line_id, amount in db.session.execute(
        select(CreditNoteLine.invoice_line_id, func.sum(CreditNoteLine.amount))
        .join(CreditNote, CreditNoteLine.credit_note_id == CreditNote.id)
        .where(CreditNote.invoice_id == invoice.id, CreditNote.status.in_(statuses))
        .group_by(CreditNoteLine.invoice_line_id)
    ):
        taken[line_id] = Decimal(amount)
    return taken


def _credited_tax(invoice: Invoice, statuses) -> Decimal:
    return Decimal(
        db.session.scalar(
            select(func.coalesce(func.sum(CreditNote.tax), 0)).where(
                CreditNote.invoice_id == invoice.id, CreditNote.status.in_(statuses)
            )
        )
    )


def _amount(value, currency: str, field: str) -> Decimal:
    amount = validation.parse_amount(field, value, currency)
    if amount <= 0:
        raise DomainError(field, _l("must be more than zero"))
    return amount


def _note_lines(invoice: Invoice, amounts: dict[int, object] | None, statuses):
    """(invoice line, net amount) pairs of a note: every line's remainder for a whole
    credit (amounts None), else the amounts asked per line, each within what is left."""
    taken = _credited_lines(invoice, statuses)
    lines = {line.id: line for line in invoice.lines}
    if amounts is None:
        return [
            (line, line.amount - taken[line.id])
            for line in invoice.lines
            if line.amount - taken[line.id] != 0
        ]
    result = []
    for line_id, value in amounts.items():
        line = lines.get(int(line_id))
        field = f"line {line_id}"
        if line is None:
            raise DomainError(field, _l("not a line of this invoice"))
        amount = _amount(value, invoice.currency, field)
        left = line.amount - taken[line.id]
        if amount > left:
            raise DomainError(
                field,
                _l(
                    "at most %(left)s can still be credited on this line",
                    left=round_money(left, invoice.currency),
                ),
            )
        result.append((line, amount))
    return result


def _note_totals(invoice: Invoice, lines, statuses) -> tuple[Decimal, Decimal]:
    """Net and tax of a note. The note that takes the last of the invoice's net takes the
    last of its tax too, so rounding never leaves a cent behind or credits one too many."""
    net = sum((amount for _line, amount in lines), Decimal(0))
    taken = sum(_credited_lines(invoice, statuses).values(), Decimal(0))
    if net == invoice.subtotal - taken:
        tax = invoice.tax - _credited_tax(invoice, statuses)
    else:
        tax = round_money(net * invoice.vat_rate / 100, invoice.currency)
    return net, tax


def request_credit(
    invoice: Invoice, reason: str, amounts: dict[int, object] | None = None
) -> CreditNote:
    """Ask for a credit note on an issued invoice: the whole of what is left (amounts
    None) or amounts per line (line id → net amount). Another member of staff approves it.
    With the notes already asked for, it never takes off more than the invoice holds."""
    reason = _reason(reason)
    if invoice.status not in invoice_status.SETTLED:
        raise DomainError(
            "status", _l("only an issued, partially paid, overdue or paid invoice is credited")
        )
    pending = (CN.REQUESTED, CN.APPROVED)
    lines = _note_lines(invoice, amounts, pending)
    if not lines:
        raise DomainError("lines", _l("nothing is left to credit on this invoice"))
    net, tax = _note_totals(invoice, lines, pending)
    left = invoice.total - _credit_asked(invoice)
    if net + tax > left or net + tax <= 0:
        raise DomainError(
            "lines",
            _l(
                "at most %(left)s can still be credited on this invoice",
                left=round_money(left, invoice.currency),
            ),
        )
    note = CreditNote(
        invoice_id=invoice.id,
        reason=reason,
        requested_by=current_username(),
        currency=invoice.currency,
        subtotal=net,
        tax=tax,
        total=net + tax,
        lines=[CreditNoteLine(invoice_line_id=line.id, amount=amount) for line, amount in lines],
    )
    db.session.add(note)
    db.session.commit()
    return note


def _credit_asked(invoice: Invoice) -> Decimal:
    return Decimal(
        db.session.scalar(
            select(func.coalesce(func.sum(CreditNote.total), 0)).where(
                CreditNote.invoice_id == invoice.id,
                CreditNote.status.in_((CN.REQUESTED, CN.APPROVED)),
            )
        )
    )


def _decide(note: CreditNote, to_status: str, note_text: str | None) -> None:
    second_person.decide(
        note,
        note.requested_by,
        CN.REQUESTED,
        to_status,
        note_text,
        _l("the credit note was already decided"),
        _l("a credit note is decided by someone other than who asked for it"),
    )


def approve_credit(note: CreditNote, note_text: str | None = None) -> CreditNote:
    """Approve a requested credit note: it is numbered (gapless, `<region>-CN-<year>-…`)
    and its total is taken off the invoice, which becomes credited once nothing is left."""
    try:
        _decide(note, CN.APPROVED, note_text)
        _take_off(note)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(note)
    return note


def _take_off(note: CreditNote) -> None:
    """An approved note's total off its invoice: numbered, in the ledger, the invoice's
    status restated; in the caller's transaction."""
    invoice = note.invoice
    # the conditional UPDATE holds the invoice: a concurrent approval waits, then finds
    # less left
    moved = db.session.execute(
        update(Invoice)
        .where(
            Invoice.id == invoice.id,
            Invoice.status.in_(invoice_status.SETTLED),
            Invoice.credited + note.total <= Invoice.total,
        )
        .values(credited=Invoice.credited + note.total)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise DomainError("total", _l("more than is left to credit on the invoice"))
    _recheck_lines(note)
    db.session.refresh(invoice)
    series = f"{_region_code(invoice)}-CN"
    (number,) = document_numbers.take(series, utcnow().year)
    db.session.execute(update(CreditNote).where(CreditNote.id == note.id).values(number=number))
    posting.entry(
        invoice.account_id,
        EntryKind.CREDIT_NOTE,
        note.total,
        number,
        invoice_id=invoice.id,
    )
    settlement.release_excess(invoice, utcnow().date(), note.reason)
    invoice_status.restate(invoice, utcnow().date(), note.reason)


def left_to_credit(invoice: Invoice) -> dict[int, Decimal]:
    """Invoice line id → what credit notes (asked for or approved) have left on it."""
    taken = _credited_lines(invoice, (CN.REQUESTED, CN.APPROVED))
    return {line.id: line.amount - taken[line.id] for line in invoice.lines}


def issue_credit(
    invoice: Invoice, reason: str, total, caps: dict[int, Decimal] | None = None
) -> CreditNote:
    """A credit note whose decision was taken elsewhere, issued approved in one step, in
    the caller's transaction: the resolver of a bill dispute weighed the customer's case,
    and that decision is the approval (the dispute was opened by someone else). `total`,
    VAT included, is taken off the invoice: its net is spread over the lines in their
    order, each up to what is left on it and, with `caps` (line id → net), only over
    those lines and up to their cap. Everything left, asked with no caps, is a whole
    credit, whose tax is the rest of the invoice's."""
    reason = _reason(reason)
    if invoice.status not in invoice_status.SETTLED:
        raise DomainError(
            "status", _l("only an issued, partially paid, overdue or paid invoice is credited")
        )
    total = _amount(total, invoice.currency, "amount")
    pending = (CN.REQUESTED, CN.APPROVED)
    left = invoice.total - _credit_asked(invoice)
    if total > left:
        raise DomainError(
            "amount",
            _l(
                "at most %(left)s can still be credited on this invoice",
                left=round_money(left, invoice.currency),
            ),
        )
    if total == left and caps is None:
        lines = _note_lines(invoice, None, pending)
        net, tax = _note_totals(invoice, lines, pending)
    else:
        net = round_money(total * 100 / (100 + invoice.vat_rate), invoice.currency)
        tax = total - net
        lines = _spread(invoice, net, caps)
    user, now = current_username(), utcnow()
    note = CreditNote(
        invoice_id=invoice.id,
        status=CN.APPROVED,
        reason=reason,
        requested_by=user,
        requested_at=now,
        decided_by=user,
        decided_at=now,
        currency=invoice.currency,
        subtotal=net,
        tax=tax,
        total=net + tax,
        lines=[CreditNoteLine(invoice_line_id=line.id, amount=amount) for line, amount in lines],
    )
    db.session.add(note)
    db.session.flush()
    _take_off(note)
    db.session.refresh(note)
    return note


def _spread(invoice: Invoice, net: Decimal, caps: dict[int, Decimal] | None):
    """(invoice line, net amount) pairs taking `net` off the lines in their order."""
    left = left_to_credit(invoice)
    lines, rest = [], net
    for line in invoice.lines:
        room = min(
            left[line.id], caps.get(line.id, Decimal(0)) if caps is not None else left[line.id]
        )
        if rest <= 0 or room <= 0:
            continue
        taken = min(rest, room)
        lines.append((line, taken))
        rest -= taken
    if rest > 0:
        raise DomainError(
            "amount",
            _l(
                "the lines hold at most %(net)s before VAT",
                net=round_money(net - rest, invoice.currency),
            ),
        )
    return lines


def _recheck_lines(note: CreditNote) -> None:
    """Within the invoice's lock: the approved notes, this one included, take no line below
    zero (for positive lines) — two notes asked at once on one line cannot both pass."""
    taken = _credited_lines(note.invoice, (CN.APPROVED,))
    for line in note.invoice.lines:
        if line.amount > 0 and taken[line.id] > line.amount:
            raise DomainError(f"line {line.id}", _l("more than is left to credit on the line"))


def reject_credit(note: CreditNote, note_text: str) -> CreditNote:
    try:
        _decide(note, CN.REJECTED, _reason(note_text))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(note)
    return note


def _region_code(invoice: Invoice) -> str:
    return db.session.scalar(
        select(Region.code)
        .join(Customer, Customer.region_id == Region.id)
        .where(Customer.id == invoice.customer_id)
    )
