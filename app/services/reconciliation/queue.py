"""The unmatched queue (docs/reconciliation.md, "The unmatched queue"): entries no rule
could place, searched by staff and assigned by hand to an account (and an invoice) —
recorded as a payment like any other — or sent back to the payer."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models.crm import BillingAccount, Customer
from app.models.imports import ImportBatch
from app.models.payments import PaymentMethod
from app.models.reconciliation import EntryStatus, MatchRule, StatementEntry, StatementImport
from app.models.types import utcnow
from app.services.payments import payments
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import scoped
from app.services.reconciliation.statements import SOURCE

PAGE = 50


@dataclass
class Search:
    text: str = ""  # in the payer's name or the reference
    amount: Decimal | None = None
    booked_from: date | None = None
    booked_to: date | None = None
    status: str | None = EntryStatus.UNMATCHED  # None: whatever became of them
    import_id: int | None = None  # one statement's entries


def criteria(
    text: str = "",
    amount: str = "",
    booked_from: str = "",
    booked_to: str = "",
    status: str | None = EntryStatus.UNMATCHED,
    import_id: int | None = None,
) -> Search:
    """A Search from what staff typed; DomainError naming the field when it is not one."""
    value = None
    if (amount or "").strip():
        try:
            value = Decimal(amount.strip().replace(",", "."))
        except InvalidOperation:
            raise DomainError(
                "amount", _l("%(value)s is not an amount", value=repr(amount))
            ) from None
        if not value.is_finite():
            raise DomainError("amount", _l("%(value)s is not an amount", value=repr(amount)))
    if status is not None:
        status = validation.check_choice("status", status, list(EntryStatus))
    return Search(
        text=validation.check_text("text", (text or "").strip()) or "",
        amount=value,
        booked_from=validation.check_date("booked_from", booked_from),
        booked_to=validation.check_date("booked_to", booked_to),
        status=status,
        import_id=import_id,
    )


def search(criteria: Search, region_ids, page: int = 0) -> list[StatementEntry]:
    query = select(StatementEntry)
    if criteria.status is not None:
        query = query.where(StatementEntry.status == criteria.status)
    if criteria.import_id is not None:
        query = query.where(StatementEntry.import_id == criteria.import_id)
    if criteria.text:
        pattern = f"%{criteria.text}%"
        query = query.where(
            or_(StatementEntry.payer.ilike(pattern), StatementEntry.reference.ilike(pattern))
        )
    if criteria.amount is not None:
        query = query.where(StatementEntry.amount == criteria.amount)
    if criteria.booked_from:
        query = query.where(StatementEntry.booking_date >= criteria.booked_from)
    if criteria.booked_to:
        query = query.where(StatementEntry.booking_date <= criteria.booked_to)
    query = query.order_by(StatementEntry.booking_date.desc(), StatementEntry.id.desc())
    query = scoped(query, StatementEntry, region_ids).limit(PAGE).offset(page * PAGE)
    return list(db.session.scalars(query))


def get(entry_id: int, region_ids) -> StatementEntry:
    entry = db.session.scalar(
        scoped(select(StatementEntry).where(StatementEntry.id == entry_id), StatementEntry,
               region_ids)
    )  # fmt: skip
    if entry is None:
        raise NotFound("entry", _l("no such statement entry"))
    return entry


def accounts(text: str, region_ids, limit: int = 20) -> list[BillingAccount]:
    """Accounts to assign to: by ref, or by the customer's name (contains)."""
    text = (text or "").strip()
    if not text:
        return []
    query = (
        select(BillingAccount)
        .join(Customer, Customer.id == BillingAccount.customer_id)
        .where(or_(BillingAccount.ref == text, Customer.name.ilike(f"%{text}%")))
        .order_by(BillingAccount.ref)
        .limit(limit)
    )
    return list(db.session.scalars(scoped(query, BillingAccount, region_ids)))


def assign(entry_id: int, account_id: int, region_ids, invoice_id: int | None = None):
    """Record the entry as a payment of the account (on the invoice, if chosen)."""
    entry = get(entry_id, region_ids)
    account = db.session.scalar(
        scoped(select(BillingAccount).where(BillingAccount.id == account_id), BillingAccount,
               region_ids)
    )  # fmt: skip
    if account is None:
        raise NotFound("account", _l("no such account"))
    _take(entry, EntryStatus.MATCHED)
    entry.rule, entry.account_id, entry.invoice_id = MatchRule.STAFF, account.id, invoice_id
    try:  # record() commits the entry with the payment
        recorded = payments.record(
            account, entry.amount, entry.currency, PaymentMethod.BANK_TRANSFER,
            received_on=entry.booking_date, external_ref=f"bank:{entry.bank_ref}",
            reference=entry.reference, payer=entry.payer, source=SOURCE,
            invoice_ids=[invoice_id] if invoice_id else None,
        )  # fmt: skip
    except Exception:
        db.session.rollback()
        raise
    entry.payment_id = recorded.payment.id
    db.session.commit()
    return recorded.payment


def mark_returned(entry_id: int, note: str, region_ids) -> StatementEntry:
    """The money goes back to the payer (sent by the bank, outside Abonent): the entry
    leaves the queue with the note saying why."""
    note = validation.check_text("note", (note or "").strip(), multiline=True)
    if not note:
        raise DomainError("note", _l("required"))
    entry = get(entry_id, region_ids)
    try:
        _take(entry, EntryStatus.RETURNED)
        entry.reason = note[:500]
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return entry


def _take(entry: StatementEntry, to_status: str) -> None:
    """Out of the queue with a conditional UPDATE: two people acting at once, one wins."""
    moved = db.session.execute(
        update(StatementEntry)
        .where(StatementEntry.id == entry.id, StatementEntry.status == EntryStatus.UNMATCHED)
        .values(status=to_status, resolved_by=current_username(), resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        raise DomainError("entry", _l("the entry is not waiting any more: reload it"))
    db.session.refresh(entry)


def imports(limit: int = 100) -> list[tuple[StatementImport, ImportBatch]]:
    """The statements read, newest first, with their counts (of every region: a file holds
    what the bank sent, whoever it was for)."""
    return list(
        db.session.execute(
            select(StatementImport, ImportBatch)
            .join(ImportBatch, ImportBatch.id == StatementImport.batch_id)
            .order_by(StatementImport.id.desc())
            .limit(limit)
        ).tuples()
    )


def get_import(import_id: int) -> tuple[StatementImport, ImportBatch]:
    found = db.session.execute(
        select(StatementImport, ImportBatch)
        .join(ImportBatch, ImportBatch.id == StatementImport.batch_id)
        .where(StatementImport.id == import_id)
    ).first()
    if found is None:
        raise NotFound("import", _l("no such statement import"))
    return found.tuple()
