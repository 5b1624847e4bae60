"""Which account and invoice a statement entry pays, read from its reference
(docs/reconciliation.md, "Matching"): an invoice number, else the bill's payment reference
(RF creditor reference), else an account_ref; several accounts named, or none: the entry
waits for staff. Looked up set-wise, a chunk of entries at a time."""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from stdnum import iso11649

from app.extensions import db
from app.models.billing import Invoice, InvoiceStatus
from app.models.crm import BillingAccount
from app.models.reconciliation import MatchRule
from app.services.billing import invoice_status, payment_reference
from app.services.platform import bulk

# a word of letters and digits, joined by the separators refs and numbers use
WORD = re.compile(r"[0-9A-Za-z]+(?:[-_./][0-9A-Za-z]+)*")
SEPARATOR = re.compile(r"[-_./]")
CREDITOR_REFERENCE = re.compile(r"RF\d\d(?: ?[0-9A-Z]){1,21}")
MAX_PARTS = 12  # of one word: enough for any ref or number, and a bound on the candidates


@dataclass
class Match:
    account_id: int | None = None
    invoice_ids: list[int] = field(default_factory=list)  # the open ones named
    rule: str | None = None
    reason: str = ""  # why nothing matched
    payment_id: int | None = None  # once recorded
    duplicate: bool = False  # its payment was recorded before

    @property
    def invoice_id(self) -> int | None:
        return self.invoice_ids[0] if self.invoice_ids else None


def candidates(reference: str) -> list[str]:
    """Every run of whole words of the reference (`INV/IT-C-2026-000001` gives the number
    too), as written and in capitals, in order of appearance."""
    found: dict[str, None] = {}
    for word in WORD.findall(reference):
        parts = SEPARATOR.split(word)[:MAX_PARTS]
        seps = SEPARATOR.findall(word)
        for start in range(len(parts)):
            text = parts[start]
            found[text] = None
            for end in range(start + 1, len(parts)):
                text += seps[end - 1] + parts[end]
                found[text] = None
    for text in list(found):
        found.setdefault(text.upper(), None)
    return list(found)


def creditor_bodies(reference: str) -> dict[str, str]:
    """The valid RF references in the text: compact reference → its invoice part."""
    found = {}
    for text in CREDITOR_REFERENCE.findall(reference.upper()):
        compact = text.replace(" ", "")
        if iso11649.is_valid(compact):
            found[compact] = compact[4:]
    return found


def match(references: list[str]) -> list[Match]:
    """A Match per reference, in order."""
    words = [candidates(reference) for reference in references]
    creditor = [creditor_bodies(reference) for reference in references]
    every = {w for ws in words for w in ws}
    invoices = _invoices_by_number(every)
    invoices.update(_invoices_by_creditor_reference({b for c in creditor for b in c.values()}))
    accounts = _accounts_by_ref(every)
    return [_one(ws, cr, invoices, accounts) for ws, cr in zip(words, creditor, strict=True)]


def _one(words, creditor, invoices, accounts) -> Match:
    named = [invoices[w] for w in words if w in invoices]
    rule = MatchRule.INVOICE
    if not named:
        named = [invoices[ref] for ref in creditor if ref in invoices]
        rule = MatchRule.PAYMENT_REFERENCE
    if named:
        owners = {account_id for _, account_id, _ in named}
        if len(owners) > 1:
            return Match(reason=str(_l("the reference names invoices of several accounts")))
        open_ids = list(dict.fromkeys(i for i, _, status in named if status in invoice_status.OPEN))
        return Match(owners.pop(), open_ids, rule)
    owners = list(dict.fromkeys(accounts[w] for w in words if w in accounts))
    if len(owners) > 1:
        return Match(reason=str(_l("the reference names several accounts")))
    if owners:
        return Match(owners[0], [], MatchRule.ACCOUNT)
    return Match(reason=str(_l("no invoice number, payment reference or account in the reference")))


# never paid: a draft is not a bill yet, a void one was cancelled
NOT_ISSUED = (InvoiceStatus.DRAFT, InvoiceStatus.VOID)


def _invoices_by_number(words: set[str]) -> dict[str, tuple[int, int, str]]:
    if not words:
        return {}
    rows = db.session.execute(
        select(Invoice.number, Invoice.id, Invoice.account_id, Invoice.status)
        .where(bulk.among(Invoice.number, words))
        .where(Invoice.status.not_in(NOT_ISSUED))
    )
    return {number: (id_, account_id, status) for number, id_, account_id, status in rows}


def _invoices_by_creditor_reference(bodies: set[str]) -> dict[str, tuple[int, int, str]]:
    """RF reference → invoice: the number's letters and digits are the reference's body
    (app/services/billing/payment_reference.py)."""
    if not bodies:
        return {}
    compact = func.upper(Invoice.number)
    for separator in "-_./ ":
        compact = func.replace(compact, separator, "")
    rows = db.session.execute(
        select(Invoice.number, Invoice.id, Invoice.account_id, Invoice.status)
        .where(bulk.among(compact, bodies))
        .where(Invoice.status.not_in(NOT_ISSUED))
    )
    return {
        payment_reference.for_invoice(number): (id_, account_id, status)
        for number, id_, account_id, status in rows
    }


def _accounts_by_ref(words: set[str]) -> dict[str, int]:
    if not words:
        return {}
    rows = db.session.execute(
        select(BillingAccount.ref, BillingAccount.id).where(bulk.among(BillingAccount.ref, words))
    )
    return dict(rows.all())
