"""Bill disputes (docs/care.md, "Disputes"): a customer contests an invoice, or some of
its lines, for an amount and a reason; someone other than who opened it decides, once.

While a dispute is open its amount is held out of what is overdue (dunning's holds, by the
dispute's ref), so no reminder or restriction is taken for money under discussion. The
decision is one of:

- *accepted*: the whole amount is credited;
- *partially accepted*: a smaller amount is credited, with the reason for the rest;
- *rejected*: nothing is credited, with the reason.

A credit is an approved credit note issued through billing in the decision's own
transaction: the resolver's decision is the approval, the dispute's opener having been
the first person (billing's `issue_credit`). Every decision releases the hold and is
written to the customer by email, in the account's language, with the reason given.
Every step is kept with who, when, why and the amount (the dispute's history).

No dispute asks for more than the invoice's open amount: its total less what was credited
and paid, less what other open disputes already hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.billing import Invoice
from app.models.communications import Communication, CommunicationKind
from app.models.crm import BillingAccount
from app.models.disputes import Dispute, DisputeChange, DisputeLine, DisputeStatus
from app.models.types import utcnow
from app.services.billing import delivery, invoice_status, invoices
from app.services.dunning import cases, holds
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.language import account_language
from app.services.platform.money import format_money, round_money
from app.services.platform.scoping import scoped

DS = DisputeStatus
HOLD_SOURCE = "dispute"
REASON_LENGTH = 500
OUTCOMES = {
    "accepted": DS.ACCEPTED,
    "partial": DS.PARTIALLY_ACCEPTED,
    "rejected": DS.REJECTED,
}


@dataclass
class Filters:
    status: str | None = None
    invoice_id: int | None = None
    account_ref: str | None = None


# --------------------------------------------------------------------------- reading


def _with_details(query):
    return query.options(
        selectinload(Dispute.invoice),
        selectinload(Dispute.account).selectinload(BillingAccount.customer),
        selectinload(Dispute.credit_note),
        selectinload(Dispute.lines),
        selectinload(Dispute.changes),
    )


def search(
    region_ids, filters: Filters | None = None, page: int = 0, page_size: int = 50
) -> tuple[int, list[Dispute]]:
    """A page of the disputes a user may see, newest first, and how many match in all."""
    filters = filters or Filters()
    query = scoped(select(Dispute), Dispute, region_ids)
    if filters.status:
        query = query.where(Dispute.status == filters.status)
    if filters.invoice_id:
        query = query.where(Dispute.invoice_id == filters.invoice_id)
    if filters.account_ref:
        accounts = select(BillingAccount.id).where(BillingAccount.ref == filters.account_ref)
        query = query.where(Dispute.account_id.in_(accounts))
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    found = db.session.scalars(
        _with_details(query.order_by(Dispute.opened_at.desc(), Dispute.id.desc()))
        .offset(page * page_size)
        .limit(page_size)
    )
    return count, list(found)


def get(dispute_id: int, region_ids) -> Dispute:
    query = _with_details(select(Dispute).where(Dispute.id == dispute_id))
    dispute = db.session.scalar(scoped(query, Dispute, region_ids))
    if dispute is None:
        raise NotFound("dispute", _l("not found"))
    return dispute


def open_amount(invoice: Invoice, besides: Dispute | None = None) -> Decimal:
    """What may still be disputed on the invoice: its balance less what other open
    disputes hold (all of them but `besides`)."""
    others = select(func.coalesce(func.sum(Dispute.amount), 0)).where(
        Dispute.invoice_id == invoice.id, Dispute.status == DS.OPEN
    )
    if besides is not None:
        others = others.where(Dispute.id != besides.id)
    held = Decimal(db.session.scalar(others))
    if invoice.status not in invoice_status.OPEN:
        return Decimal(0)
    return max(invoice.balance_due - held, Decimal(0))


# --------------------------------------------------------------------------- opening


def open_dispute(
    invoice: Invoice,
    amount,
    reason: str | None,
    lines: dict[int, object] | None = None,
) -> Dispute:
    """Open a dispute on an invoice for `amount` (VAT included), or on some of its lines
    (line id → net amount as the line shows it; the amount is then theirs plus VAT and
    may be left out). Its amount is held out of dunning at once."""
    try:
        _hold_invoice(invoice)
        reason = _reason(reason)
        if invoice.status not in invoice_status.OPEN:
            raise DomainError(
                "invoice", _l("only an invoice that still asks for money can be disputed")
            )
        parts = _lines(invoice, lines) if lines else []
        amount = _amount(invoice, amount, parts)
        left = open_amount(invoice)
        if amount > left:
            raise DomainError("amount", _over(left, invoice.currency))
        dispute = Dispute(
            invoice_id=invoice.id,
            account_id=invoice.account_id,
            amount=amount,
            currency=invoice.currency,
            reason=reason,
            status=DS.OPEN,
            opened_by=current_username(),
            opened_at=utcnow(),
            lines=[DisputeLine(invoice_line_id=line_id, amount=net) for line_id, net in parts],
        )
        db.session.add(dispute)
        db.session.flush()
        _record(dispute, "", DS.OPEN, amount, reason)
        holds.hold(invoice, amount, HOLD_SOURCE, dispute.ref)
        # a case the disputed amount took below its minimum closes now
        cases.review([invoice.account_id])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return dispute


def _hold_invoice(invoice: Invoice) -> None:
    """First thing in the transaction, a no-op UPDATE holds the invoice's row: two
    disputes opened at once wait for each other, and the second sees the first's
    amount."""
    db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id)
        .values(status=Invoice.status)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invoice)


def _reason(reason: str | None) -> str:
    reason = validation.check_text(
        "reason", validation.required("reason", (reason or "").strip()), True
    )
    if len(reason) > REASON_LENGTH:
        raise DomainError("reason", _l("at most %(length)s characters", length=REASON_LENGTH))
    return reason


def _lines(invoice: Invoice, lines: dict[int, object]) -> list[tuple[int, Decimal]]:
    """(invoice line id, net amount) pairs, each within what is left to credit on it."""
    left = invoices.left_to_credit(invoice)
    parts = []
    for key, value in lines.items():
        field = f"lines.{key}"
        try:
            line_id = int(key)
        except (TypeError, ValueError):
            raise DomainError(field, _l("not a line of this invoice")) from None
        if line_id not in left:
            raise DomainError(field, _l("not a line of this invoice"))
        net = validation.parse_amount(field, value, invoice.currency)
        if net <= 0:
            raise DomainError(field, _l("must be more than zero"))
        if net > left[line_id]:
            raise DomainError(
                field,
                _l(
                    "at most %(left)s can still be credited on this line",
                    left=round_money(max(left[line_id], Decimal(0)), invoice.currency),
                ),
            )
        parts.append((line_id, net))
    return parts


def _amount(invoice: Invoice, amount, parts: list[tuple[int, Decimal]]) -> Decimal:
    """The dispute's amount: as given, or its lines' net plus VAT; both must agree."""
    of_lines = None
    if parts:
        net = sum((part for _line, part in parts), Decimal(0))
        of_lines = net + round_money(net * invoice.vat_rate / 100, invoice.currency)
    if amount in (None, "") and of_lines is not None:
        return of_lines
    amount = validation.parse_amount("amount", amount, invoice.currency)
    if amount <= 0:
        raise DomainError("amount", _l("must be more than zero"))
    if of_lines is not None and amount != of_lines:
        raise DomainError(
            "amount",
            _l(
                "the lines disputed come to %(amount)s with VAT",
                amount=round_money(of_lines, invoice.currency),
            ),
        )
    return amount


def _over(left: Decimal, currency: str):
    return _l(
        "more than the invoice's open amount: at most %(left)s can be disputed",
        left=round_money(left, currency),
    )


def _record(dispute: Dispute, from_status: str, to_status: str, amount, reason) -> None:
    db.session.add(
        DisputeChange(
            dispute_id=dispute.id,
            at=utcnow(),
            from_status=from_status,
            to_status=to_status,
            amount=amount,
            reason=reason,
            username=current_username(),
        )
    )


# --------------------------------------------------------------------------- deciding


def resolve(dispute: Dispute, outcome: str, amount=None, reason: str | None = None) -> Dispute:
    """Decide an open dispute (`accepted`, `partial` or `rejected`), once, by someone
    other than who opened it: credit what is accepted, release the hold, tell the
    customer."""
    status = OUTCOMES.get(outcome)
    if status is None:
        raise DomainError(
            "outcome",
            _l(
                "%(value)s is not one of %(choices)s",
                value=repr(outcome),
                choices=", ".join(OUTCOMES),
            ),
        )
    if dispute.status != DS.OPEN:
        raise DomainError("status", _l("the dispute was already decided"))
    if dispute.opened_by == current_username():
        raise DomainError(
            "decided_by", _l("a dispute is decided by someone other than who opened it")
        )
    invoice = dispute.invoice
    try:
        _hold_invoice(invoice)
        # what was not accepted is explained to the customer
        text = _reason(reason) if status != DS.ACCEPTED or (reason or "").strip() else None
        credited = _credited(dispute, status, amount)
        # conditional: of two staff deciding at once, one wins and the other is told
        moved = db.session.execute(
            update(Dispute)
            .where(Dispute.id == dispute.id, Dispute.status == DS.OPEN)
            .values(status=status, credited=credited)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise DomainError("status", _l("the dispute was already decided"))
        # the hold goes first: the credit note then finds the invoice as it stands
        holds.release(HOLD_SOURCE, dispute.ref)
        note = None
        if credited:
            caps = {line.invoice_line_id: line.amount for line in dispute.lines} or None
            note = invoices.issue_credit(invoice, _note_reason(dispute, text), credited, caps)
        _record(dispute, DS.OPEN, status, credited, text)
        communication = _queue_decision(dispute, status, credited, text, note)
        db.session.execute(
            update(Dispute)
            .where(Dispute.id == dispute.id)
            .values(
                credit_note_id=note.id if note else None,
                communication_id=communication.id,
            )
            .execution_options(synchronize_session=False)
        )
        cases.review([dispute.account_id])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.expire_all()
    return get(dispute.id, None)


def _credited(dispute: Dispute, status: str, amount) -> Decimal:
    """What the decision credits: the whole amount, a smaller one, or nothing."""
    currency = dispute.currency
    if status == DS.REJECTED:
        return Decimal(0)
    if status == DS.ACCEPTED and amount in (None, ""):
        credited = dispute.amount
    else:
        credited = validation.parse_amount("amount", amount, currency)
    if credited <= 0:
        raise DomainError("amount", _l("must be more than zero"))
    left = open_amount(dispute.invoice, besides=dispute)
    if credited > left:
        raise DomainError("amount", _over(left, currency))
    if status == DS.ACCEPTED and credited != dispute.amount:
        raise DomainError(
            "amount",
            _l(
                "accepting in full credits %(amount)s: a smaller amount is a partial outcome",
                amount=round_money(dispute.amount, currency),
            ),
        )
    if status == DS.PARTIALLY_ACCEPTED and credited >= dispute.amount:
        raise DomainError(
            "amount",
            _l(
                "a partial outcome credits less than the %(amount)s disputed",
                amount=round_money(dispute.amount, currency),
            ),
        )
    return credited


def _note_reason(dispute: Dispute, text: str | None) -> str:
    return f"{dispute.ref}: {text or dispute.reason}"[:REASON_LENGTH]


# --------------------------------------------------------------------------- telling


def decision_subject(dispute: Dispute, language: str) -> str:
    with force_locale(language):
        return gettext(
            "Your dispute of bill %(number)s has been decided", number=dispute.invoice.number
        )


def _queue_decision(dispute, status, credited, text, note) -> Communication:
    """The decision's email, written now in the account's language, sent by `send_due`."""
    account = dispute.account
    customer = account.customer
    language = account_language(account)
    values = {
        "name": customer.name,
        "number": dispute.invoice.number,
        "amount": format_money(dispute.amount, dispute.currency, language),
        "credited": format_money(credited, dispute.currency, language),
        "note": note.number if note else "",
        "reason": text or "",
        "operator": customer.region.legal_name,
    }
    with force_locale(language):
        if status == DS.ACCEPTED:
            body = gettext(
                "Dear %(name)s,\n\nwe accepted your dispute of %(amount)s on bill "
                "%(number)s. Credit note %(note)s takes %(credited)s off the bill.\n\n"
                "Thank you,\n%(operator)s",
                **values,
            )
        elif status == DS.PARTIALLY_ACCEPTED:
            body = gettext(
                "Dear %(name)s,\n\nwe accepted %(credited)s of your dispute of %(amount)s "
                "on bill %(number)s: credit note %(note)s takes it off the bill.\n\n"
                "%(reason)s\n\nThank you,\n%(operator)s",
                **values,
            )
        else:
            body = gettext(
                "Dear %(name)s,\n\nwe looked into your dispute of %(amount)s on bill "
                "%(number)s and could not accept it, for this reason:\n\n%(reason)s\n\n"
                "The amount is due as the bill says.\n\nThank you,\n%(operator)s",
                **values,
            )
    now = utcnow()
    communication = delivery.queue_email(
        account.id,
        CommunicationKind.DISPUTE_DECISION,
        language,
        decision_subject(dispute, language),
        customer.email,
        now,
        body,
        {"dispute": dispute.id, "status": str(status)},
    )
    db.session.flush()
    return communication


def send_due(now: datetime | None = None) -> delivery.DeliverySummary:
    """The scheduler's job: send the decisions' emails that are due."""
    return delivery.send_due(now, kind=CommunicationKind.DISPUTE_DECISION, compose=_message)


def _message(communication: Communication, config) -> EmailMessage:
    return delivery.email(communication, config, "dispute-decision", communication.body)
