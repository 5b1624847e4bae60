"""Bills: bill runs, invoices and their lines, the counters that number them, and what the
next bill must carry (adjustments, discounts granted to an account)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.catalog import Discount
from app.models.crm import BillingAccount, Customer
from app.models.types import ExactDecimal, UTCDateTime, utcnow


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    CREDITED = "credited"
    VOID = "void"


class LineKind(StrEnum):
    RECURRING = "recurring"
    ACTIVATION = "activation"
    USAGE = "usage"
    DISCOUNT = "discount"
    ADJUSTMENT = "adjustment"
    CREDIT = "credit"


class CreditNoteStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


# an invoice's content, fixed once issued; what may still move is its status and the
# amounts credited and paid against it (app/services/billing/invoices.py guards this)
INVOICE_MUTABLE = frozenset({"status", "credited", "paid"})
LIVE_INVOICE = text("status != 'void'")
# invoices still asking for money (app/services/billing/invoice_status.py OPEN)
OPEN_INVOICE = text("status IN ('issued', 'partially_paid', 'overdue')")


class BillRunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BillRun(Model):
    """One bill run: for which date, who started it, when, and what came of it."""

    __tablename__ = "bill_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[date] = mapped_column(Date, index=True)
    username: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=BillRunStatus.RUNNING)
    created: Mapped[int] = mapped_column(default=0)
    already_billed: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # why a failed run stopped (its process ended, the database refused, ...)
    reason: Mapped[str | None] = mapped_column(String(500))

    errors: Mapped[list[BillRunError]] = relationship(back_populates="run")

    def __str__(self) -> str:
        return f"{self.run_date} #{self.id}"


class BillRunError(Model):
    """An account a bill run left unbilled, and why."""

    __tablename__ = "bill_run_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("bill_run.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))

    run: Mapped[BillRun] = relationship(back_populates="errors")
    account: Mapped[BillingAccount] = relationship()


class InvoiceCounter(Model):
    """The last number given in a series and year: taken in the invoice's own transaction,
    so numbers have no gaps."""

    __tablename__ = "invoice_counter"

    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Invoice(Model):
    """A bill of one paying account for one period; never edited once issued (credit notes
    and adjustments correct it)."""

    __tablename__ = "invoice"
    __table_args__ = (
        # exactly once: a second run of the same date finds the account billed; a void
        # invoice gives its period back, to be billed again by running the date again
        Index(
            "uq_invoice_account_period",
            "account_id",
            "period_start",
            unique=True,
            sqlite_where=LIVE_INVOICE,
            postgresql_where=LIVE_INVOICE,
        ),
        # receivables aging reads open invoices only, from this index alone
        # (app/services/receivables/aging.py)
        Index(
            "ix_invoice_open_due",
            "customer_id",
            "currency",
            "due_date",
            "issue_date",
            "total",
            "credited",
            "paid",
            sqlite_where=OPEN_INVOICE,
            postgresql_where=OPEN_INVOICE,
        ),
        CheckConstraint(
            "status in ('draft', 'issued', 'partially_paid', 'paid', 'overdue', 'credited', "
            "'void')",
            name="ck_invoice_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_run.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issue_date: Mapped[date] = mapped_column(Date, index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(5))
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    subtotal: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    tax: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    total: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    status: Mapped[str] = mapped_column(String(16), default=InvoiceStatus.ISSUED, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # what approved credit notes took off the total, and what payments covered
    credited: Mapped[Decimal] = mapped_column(
        ExactDecimal(4), default=Decimal(0), server_default="0"
    )
    paid: Mapped[Decimal] = mapped_column(ExactDecimal(4), default=Decimal(0), server_default="0")

    account: Mapped[BillingAccount] = relationship()
    customer: Mapped[Customer] = relationship()
    bill_run: Mapped[BillRun | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position"
    )
    credit_notes: Mapped[list[CreditNote]] = relationship(
        back_populates="invoice", order_by="CreditNote.id"
    )
    changes: Mapped[list[InvoiceStatusChange]] = relationship(
        back_populates="invoice", order_by="InvoiceStatusChange.id"
    )

    @property
    def months(self) -> int:
        """How many months the period covers (the account's bill frequency then)."""
        start, end = self.period_start, self.period_end
        return (end.year - start.year) * 12 + end.month - start.month

    @property
    def balance_due(self) -> Decimal:
        # a void invoice was cancelled before any payment: it asks for nothing
        if self.status == InvoiceStatus.VOID:
            return Decimal(0)
        return self.total - self.credited - self.paid

    def __str__(self) -> str:
        return self.number


class InvoiceLine(Model):
    """One line of an invoice, in the section of the account it bills (a consolidated
    invoice has a section per child account)."""

    __tablename__ = "invoice_line"
    __table_args__ = (
        CheckConstraint(
            "kind in ('recurring', 'activation', 'usage', 'discount', 'adjustment', 'credit')",
            name="ck_invoice_line_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int] = mapped_column()
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"))
    kind: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    number: Mapped[str | None] = mapped_column(String(32))  # the line's number when billed
    usage_type: Mapped[str | None] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(200))
    # the month of the bill's period a recurring fee is for (a bill of two or three months
    # has one per month); empty on other lines and on invoices made before
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    # days for a recurring fee, billed units for usage, 1 otherwise
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    account: Mapped[BillingAccount] = relationship()


class AdjustmentStatus(StrEnum):
    PENDING = "pending"  # above its currency's approval limit: waits for a second person
    APPROVED = "approved"
    REJECTED = "rejected"


class Adjustment(Model):
    """An amount staff put on an account's next bill (negative: in the customer's favour),
    net of VAT like every bill line. One above its currency's approval limit waits for
    another member of staff to approve it; only approved ones reach a bill."""

    __tablename__ = "adjustment"
    __table_args__ = (
        CheckConstraint(
            "status in ('pending', 'approved', 'rejected')", name="ck_adjustment_status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the invoice that carried it; empty until then
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    status: Mapped[str] = mapped_column(
        String(16), default=AdjustmentStatus.APPROVED, server_default="approved", index=True
    )
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))
    # the credit a bill could not take (it never goes below zero) is carried to the next
    # bill as a new adjustment of the rest, pointing at the one it comes from
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("adjustment.id"), index=True)

    account: Mapped[BillingAccount] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    carried_from: Mapped[Adjustment | None] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return f"#{self.id}"


class AdjustmentLimit(Model):
    """Per currency, set by supervisors: an adjustment above `approval` waits for a second
    person's approval; one above `maximum` is refused."""

    __tablename__ = "adjustment_limit"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(
            "approval >= 0 and maximum > 0 and approval <= maximum",
            name="ck_adjustment_limit_amounts",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), unique=True)
    approval: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    maximum: Mapped[Decimal] = mapped_column(ExactDecimal(4))

    def __str__(self) -> str:
        return self.currency


class AccountDiscount(Model):
    """A catalog discount granted to an account from the cycle holding `starts_on`."""

    __tablename__ = "account_discount"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    discount_id: Mapped[int] = mapped_column(ForeignKey("discount.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[BillingAccount] = relationship()
    discount: Mapped[Discount] = relationship()


class InvoiceStatusChange(Model):
    """One step of an invoice after its issue (overdue, credited, void, ...), with who,
    when and why; append-only."""

    __tablename__ = "invoice_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(128))

    invoice: Mapped[Invoice] = relationship(back_populates="changes")


class CreditNote(Model):
    """Money taken off an issued invoice, whole or line by line: requested by one member of
    staff with a reason, approved (then numbered) or rejected by another."""

    __tablename__ = "credit_note"
    __table_args__ = (
        CheckConstraint(
            "status in ('requested', 'approved', 'rejected')", name="ck_credit_note_status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # given on approval, gapless per series and year like invoice numbers
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CreditNoteStatus.REQUESTED, index=True)
    reason: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(String(3))
    # positive amounts: what the note takes off the invoice
    subtotal: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    tax: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    total: Mapped[Decimal] = mapped_column(ExactDecimal(4))

    invoice: Mapped[Invoice] = relationship(back_populates="credit_notes")
    lines: Mapped[list[CreditNoteLine]] = relationship(
        back_populates="credit_note", order_by="CreditNoteLine.id"
    )

    def __str__(self) -> str:
        return self.number or f"#{self.id}"


class CreditNoteLine(Model):
    """How much of one invoice line a credit note takes back (net of VAT)."""

    __tablename__ = "credit_note_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id"), index=True)
    invoice_line_id: Mapped[int] = mapped_column(ForeignKey("invoice_line.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")
    invoice_line: Mapped[InvoiceLine] = relationship()


class InvoiceDocument(Model):
    """An invoice's PDF, rendered once and kept with its checksum: what the customer got is
    what is downloaded later, whatever changes in templates or translations."""

    __tablename__ = "invoice_document"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    pages: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice] = relationship()


class CreditNoteDocument(Model):
    """An approved credit note's PDF, rendered once and kept with its checksum, like an
    invoice's."""

    __tablename__ = "credit_note_document"

    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    pages: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    credit_note: Mapped[CreditNote] = relationship()
