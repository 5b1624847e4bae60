"""The demo's money: prepaid accounts topped up, most bills paid — by transfer, card or at
the counter, some in part, one account in three months late — so the ledger, the 360°
page, receivables and the portal have something real to show. Everything goes through the
payments service, as a payment at the counter would; each payment's external reference
makes the demo idempotent."""

from datetime import date
from decimal import Decimal

from app.extensions import db
from app.models.billing import Invoice, InvoiceStatus
from app.models.crm import BillingAccount, PaymentMode
from app.services.billing import invoices
from app.services.payments import payments
from app.services.platform.money import round_money

TOP_UP = {"EUR": Decimal(20), "KRW": Decimal(30_000), "RUB": Decimal(500)}
METHODS = ("bank_transfer", "card", "cash")


def top_up_prepaid() -> int:
    """A top-up on every prepaid demo account, so its usage is paid from its balance when
    rated; returns how many were made (none when run again)."""
    accounts = db.session.scalars(
        db.select(BillingAccount)
        .where(
            BillingAccount.ref.like("DEMO-%"),
            BillingAccount.payment_mode == PaymentMode.PREPAID,
            BillingAccount.currency.in_(list(TOP_UP)),
        )
        .order_by(BillingAccount.id)
    ).all()
    made = 0
    for account in accounts:
        recorded = payments.record(
            account,
            TOP_UP[account.currency],
            account.currency,
            "cash",
            external_ref=f"DEMO-TOPUP-{account.ref}",
            source="demo",
        )
        made += not recorded.duplicate
    return made


def pay_bills(today: date) -> int:
    """Pay the demo's invoices as customers would: most in full, every fifth account in
    half, every seventh not at all (it falls overdue); returns how many payments were
    made (none when run again)."""
    open_invoices = db.session.execute(
        db.select(Invoice, BillingAccount)
        .join(BillingAccount, Invoice.account_id == BillingAccount.id)
        .where(
            BillingAccount.ref.like("DEMO-%"),
            Invoice.status.in_((InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE)),
            Invoice.paid == 0,
        )
        .order_by(Invoice.id)
    ).all()
    made = 0
    for invoice, account in open_invoices:
        if account.id % 7 == 0:
            continue
        share = Decimal("0.5") if account.id % 5 == 0 else Decimal(1)
        amount = round_money(invoice.balance_due * share, invoice.currency)
        if amount <= 0:
            continue
        recorded = payments.record(
            account,
            amount,
            invoice.currency,
            METHODS[account.id % len(METHODS)],
            received_on=min(today, invoice.due_date),
            external_ref=f"DEMO-{invoice.number}",
            reference=invoice.number,
            payer=account.customer.name,
            source="demo",
            invoice_ids=[invoice.id],
        )
        made += not recorded.duplicate
    invoices.mark_overdue(today)
    return made
