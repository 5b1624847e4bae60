"""The balance forward a bill states (docs/billing.md, "How to pay"): what the account owed
after its previous bill, what moved its balance since (payments, credit notes, refunds,
reversals), what it owed before this bill, the credit this bill took, and what is due now.

Everything comes from the account's ledger (app/models/ledger.py), whose entries before a
bill's own never change: a bill rendered today or next month states the same figures. The
ledger's sign is kept here (positive in the customer's favour); a bill shows what is owed.
One thing the ledger cannot tell: a deposit is in the balance like a payment, but settles
no bill unless staff apply it, so what deposits received before the bill still hold is
set apart from the credit (as the deposits stand when the bill is drawn; a bill is drawn
once, docs/billing.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import func, select

from app.extensions import db
from app.models.billing import Invoice
from app.models.ledger import EntryKind, LedgerEntry
from app.models.payments import Payment, PaymentPurpose, PaymentStatus


@dataclass(frozen=True)
class Movement:
    kind: str
    posted_at: datetime
    reference: str
    amount: Decimal  # positive in the customer's favour


@dataclass(frozen=True)
class BalanceForward:
    previous_balance: Decimal  # after the account's previous bill (0 before its first)
    movements: list[Movement]  # between that bill and this one, in the order posted
    balance_forward: Decimal  # just before this bill: previous balance + the movements
    total: Decimal  # this bill's
    balance_after: Decimal  # with this bill
    deposit_held: Decimal = Decimal(0)  # deposits in the balance that pay no bill

    @property
    def credit_applied(self) -> Decimal:
        """The credit the account had that this bill took (a bill run pays a new bill
        from the account's credit at once)."""
        return min(self.total, max(Decimal(0), self.balance_forward - self.deposit_held))

    @property
    def amount_due(self) -> Decimal:
        """What the customer is asked to pay now: this bill and what earlier ones left."""
        return max(Decimal(0), self.deposit_held - self.balance_after)

    @property
    def credit_left(self) -> Decimal:
        return max(Decimal(0), self.balance_after - self.deposit_held)


def label(kind: str) -> str:
    """What moved an account's balance between two bills, as a bill names it."""
    return {
        EntryKind.PAYMENT: gettext("Payment received"),
        EntryKind.CREDIT_NOTE: gettext("Credit note"),
        EntryKind.REFUND: gettext("Refund"),
        EntryKind.REVERSAL: gettext("Payment reversed"),
        EntryKind.VOID: gettext("Invoice cancelled"),
        EntryKind.DEPOSIT: gettext("Deposit received"),
        EntryKind.TOPUP: gettext("Top-up"),
        EntryKind.USAGE: gettext("Prepaid usage"),
        EntryKind.ADJUSTMENT: gettext("Balance adjustment"),
    }[kind]


def of_invoice(invoice: Invoice) -> BalanceForward | None:
    """The invoice's balance forward; None for an invoice the ledger does not hold."""
    own = db.session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.invoice_id == invoice.id, LedgerEntry.kind == EntryKind.INVOICE
        )
    )
    if own is None:
        return None
    # entries are numbered in the order they moved the balance (each takes its number
    # under the account's row lock), so the previous bill's entry is the highest before
    previous_id = db.session.scalar(
        select(func.max(LedgerEntry.id)).where(
            LedgerEntry.account_id == own.account_id,
            LedgerEntry.kind == EntryKind.INVOICE,
            LedgerEntry.id < own.id,
        )
    )
    window = select(LedgerEntry).where(
        LedgerEntry.account_id == own.account_id, LedgerEntry.id < own.id
    )
    previous = Decimal(0)
    if previous_id is not None:
        window = window.where(LedgerEntry.id > previous_id)
        previous = db.session.get(LedgerEntry, previous_id).balance_after
    movements = [
        Movement(entry.kind, entry.posted_at, entry.reference, entry.amount)
        for entry in db.session.scalars(window.order_by(LedgerEntry.id))
    ]
    return BalanceForward(
        previous_balance=previous,
        movements=movements,
        balance_forward=own.balance_after - own.amount,
        total=-own.amount,
        balance_after=own.balance_after,
        deposit_held=_deposits_held(own),
    )


def _deposits_held(own: LedgerEntry) -> Decimal:
    """What the account's deposits received before the bill have neither paid bills with
    nor been refunded."""
    deposits = db.session.scalars(
        select(Payment)
        .join(LedgerEntry, LedgerEntry.payment_id == Payment.id)
        .where(
            Payment.account_id == own.account_id,
            Payment.purpose == PaymentPurpose.DEPOSIT,
            Payment.status == PaymentStatus.POSTED,
            LedgerEntry.kind == EntryKind.DEPOSIT,
            LedgerEntry.id < own.id,
        )
    )
    return sum((deposit.unallocated for deposit in deposits), Decimal(0))
