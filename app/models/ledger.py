"""The account ledger: every movement of an account's money, append-only. An account's
balance is the sum of its entries; the balance column on the account is that sum, kept
by the same conditional UPDATE that writes each entry."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.crm import BillingAccount
from app.models.types import ExactDecimal, UTCDateTime, utcnow
from app.models.usage import BIG_ID


class EntryKind(StrEnum):
    """What moved the balance; positive amounts are in the customer's favour."""

    INVOICE = "invoice"  # − the invoice's total
    VOID = "void"  # + the total of an invoice voided
    CREDIT_NOTE = "credit_note"  # + the note's total
    PAYMENT = "payment"  # + money received for bills
    DEPOSIT = "deposit"  # + money held against the account
    TOPUP = "topup"  # + prepaid credit
    REFUND = "refund"  # − money given back
    REVERSAL = "reversal"  # − a payment taken back (chargeback, direct debit returned)
    USAGE = "usage"  # − prepaid usage debited when rated
    ADJUSTMENT = "adjustment"  # ± a correction of a prepaid balance


class LedgerEntry(Model):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        # a top-up, a usage debit, a payment is posted once, however often it is sent
        UniqueConstraint("account_id", "kind", "reference", name="uq_ledger_entry_reference"),
        Index("ix_ledger_entry_account_posted", "account_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # EntryKind: positive amounts credit the account, negative ones debit it
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(100))
    balance_after: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    # the document or payment the entry comes from, when there is one
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)

    account: Mapped[BillingAccount] = relationship()

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"
