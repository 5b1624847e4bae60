"""The accounting journal (docs/receivables.md, "Accounting journal"): each ledger entry
as the double-entry posting finance makes of it, on the general-ledger accounts of the
configuration (GL_ACCOUNTS).

An invoice owes its total to receivables, against revenue per line type and kind of line
(discounts and adjustments apart) and the VAT payable; a credit note or a void is the
reverse. Money received goes to cash or bank by its method, against receivables, the
deposits held or the prepaid balances by what it was for; a refund or a reversal gives it
back the same way. A prepaid usage debit moves prepaid balance to usage revenue. Every
entry's postings balance: Σ debit = Σ credit.
"""

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models.billing import CreditNote, CreditNoteLine, Invoice, InvoiceLine, LineKind
from app.models.catalog import Product
from app.models.crm import BillingAccount, Customer, Region, Service
from app.models.ledger import EntryKind, LedgerEntry
from app.models.payments import Payment, PaymentPurpose, Refund
from app.services.ledger.export import entries
from app.services.platform.money import exact_text
from app.services.platform.scoping import scope_condition

COLUMNS = (
    "date",
    "gl_account",
    "debit",
    "credit",
    "reference",
    "currency",
    "region",
    "account_ref",
    "description",
)
CHUNK = 2000
# where the money of each purpose is owed or held
HELD = {
    PaymentPurpose.PAYMENT: "receivables",
    PaymentPurpose.DEPOSIT: "deposits",
    PaymentPurpose.TOPUP: "prepaid",
}
REVENUE_KINDS = {LineKind.RECURRING, LineKind.USAGE, LineKind.ACTIVATION}
REFUND_PREFIX = "refund #"  # the reference app/services/payments/refunds.py posts

# (GL name, amount): a positive amount is a debit, a negative one a credit
Posting = tuple[str, Decimal]


def line_account(kind: str, line_type: str | None) -> str:
    """The GL name a bill line's net amount goes to."""
    if kind == LineKind.DISCOUNT:
        return "discounts"
    if kind not in REVENUE_KINDS:
        return "adjustments"
    return f"revenue_{line_type}_{kind}" if line_type else "revenue_other"


def _revenue(rows) -> dict[int, list[Posting]]:
    """Per document (an invoice, a credit note), its lines' net amounts summed per GL name,
    as credits, from (document id, line kind, line type, net) rows."""
    groups: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for document_id, kind, line_type, amount in rows:
        groups[document_id][line_account(kind, line_type)] += amount
    return {d: [(name, -amount) for name, amount in g.items()] for d, g in groups.items()}


def _with_line_type(query):
    """The line type (mobile, fixed) of each invoice line's product."""
    return query.outerjoin(Service, Service.id == InvoiceLine.service_id).outerjoin(
        Product, Product.code == Service.product_code
    )


def _balanced(postings: list[Posting]) -> list[Posting]:
    """A document whose lines and VAT miss its total by a rounding posts the difference to
    the rounding account, so the entry still balances."""
    difference = sum((amount for _name, amount in postings), Decimal(0))
    return [*postings, ("rounding", -difference)] if difference else postings


def _reversed(postings: list[Posting]) -> list[Posting]:
    return [(name, -amount) for name, amount in postings]


def _invoices(ids: set[int]) -> dict[int, list[Posting]]:
    """Each invoice: Dr receivables its total, Cr revenue per group of lines, Cr VAT."""
    revenue = _revenue(
        db.session.execute(
            _with_line_type(
                select(
                    InvoiceLine.invoice_id,
                    InvoiceLine.kind,
                    Product.line_type,
                    func.sum(InvoiceLine.amount),
                )
            )
            .where(InvoiceLine.invoice_id.in_(ids))
            .group_by(InvoiceLine.invoice_id, InvoiceLine.kind, Product.line_type)
        )
    )
    documents = db.session.execute(
        select(Invoice.id, Invoice.total, Invoice.tax).where(Invoice.id.in_(ids))
    )
    return {
        id_: _balanced([("receivables", total), *revenue.get(id_, []), ("vat", -tax)])
        for id_, total, tax in documents
    }


def _credit_notes(numbers: set[str]) -> dict[str, list[Posting]]:
    """Each credit note, by number: the reverse of an invoice of its lines and VAT."""
    notes = db.session.execute(
        select(CreditNote.id, CreditNote.number, CreditNote.total, CreditNote.tax).where(
            CreditNote.number.in_(numbers)
        )
    ).all()
    revenue = _revenue(
        db.session.execute(
            _with_line_type(
                select(
                    CreditNoteLine.credit_note_id,
                    InvoiceLine.kind,
                    Product.line_type,
                    func.sum(CreditNoteLine.amount),
                ).join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
            )
            .where(CreditNoteLine.credit_note_id.in_([note.id for note in notes]))
            .group_by(CreditNoteLine.credit_note_id, InvoiceLine.kind, Product.line_type)
        )
    )
    return {
        number: _reversed(_balanced([("receivables", total), *revenue.get(id_, []), ("vat", -tax)]))
        for id_, number, total, tax in notes
    }


def _payments(ids: set[int]) -> dict[int, tuple[str, str]]:
    """Each payment's method and purpose."""
    query = select(Payment.id, Payment.method, Payment.purpose).where(Payment.id.in_(ids))
    return {id_: (method, purpose) for id_, method, purpose in db.session.execute(query)}


def _refund_methods(references: set[str]) -> dict[str, str]:
    ids = [int(r.removeprefix(REFUND_PREFIX)) for r in references if r.startswith(REFUND_PREFIX)]
    query = select(Refund.id, Refund.method).where(Refund.id.in_(ids))
    return {f"{REFUND_PREFIX}{id_}": method for id_, method in db.session.execute(query)}


def _postings(chunk) -> dict[int, list[Posting]]:
    """The postings of each ledger entry of the chunk, by entry id."""
    of_kind = defaultdict(list)
    for entry in chunk:
        of_kind[entry.kind].append(entry)
    invoices = _invoices(
        {e.invoice_id for e in of_kind[EntryKind.INVOICE] + of_kind[EntryKind.VOID]}
    )
    notes = _credit_notes({e.reference for e in of_kind[EntryKind.CREDIT_NOTE]})
    payments = _payments({e.payment_id for e in chunk if e.payment_id is not None})
    refunds = _refund_methods({e.reference for e in of_kind[EntryKind.REFUND]})
    result = {}
    for entry in chunk:
        kind, amount = entry.kind, entry.amount
        if kind == EntryKind.INVOICE:
            postings = invoices[entry.invoice_id]
        elif kind == EntryKind.VOID:
            postings = _reversed(invoices[entry.invoice_id])
        elif kind == EntryKind.CREDIT_NOTE:
            postings = notes[entry.reference]
        elif kind == EntryKind.USAGE:
            postings = [("prepaid", -amount), ("prepaid_usage", amount)]
        elif kind == EntryKind.ADJUSTMENT:
            postings = [("adjustments", amount), ("prepaid", -amount)]
        else:  # money received (payment, deposit, top-up) or given back (refund, reversal)
            method, purpose = payments[entry.payment_id]
            method = refunds.get(entry.reference, method) if kind == EntryKind.REFUND else method
            postings = [(f"cash_{method}", amount), (HELD[purpose], -amount)]
        result[entry.id] = postings
    return result


def rows(
    region_ids: list[int] | None, since: date | None = None, until: date | None = None
) -> Iterator[tuple]:
    """The journal's lines, entry by entry in the order posted, on the days [since, until]
    (UTC); a debit or a credit per line, never both, none of zero."""
    accounts = current_app.config["GL_ACCOUNTS"]
    query = (
        select(
            LedgerEntry.id,
            LedgerEntry.posted_at,
            LedgerEntry.kind,
            LedgerEntry.amount,
            LedgerEntry.currency,
            LedgerEntry.reference,
            LedgerEntry.invoice_id,
            LedgerEntry.payment_id,
            BillingAccount.ref,
            Region.code,
        )
        .join(BillingAccount, BillingAccount.id == LedgerEntry.account_id)
        .join(Customer, Customer.id == BillingAccount.customer_id)
        .join(Region, Region.id == Customer.region_id)
    )
    condition = scope_condition(Customer, region_ids)
    if condition is not None:
        query = query.where(condition)
    query = entries(query, since, until).order_by(LedgerEntry.id).limit(CHUNK)
    last = 0
    # pages by id rather than one cursor: each page's documents are read in between
    while chunk := db.session.execute(query.where(LedgerEntry.id > last)).all():
        last = chunk[-1].id
        postings = _postings(chunk)
        for entry in chunk:
            day = entry.posted_at.date().isoformat()
            for name, amount in postings[entry.id]:
                if not amount:
                    continue
                money = exact_text(abs(amount), entry.currency)
                yield (
                    day,
                    accounts[name],
                    money if amount > 0 else "",
                    "" if amount > 0 else money,
                    entry.reference,
                    entry.currency,
                    entry.code,
                    entry.ref,
                    f"{entry.kind}: {name}",
                )
