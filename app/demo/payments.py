"""The demo's money: prepaid accounts topped up, most bills paid — by transfer, card or at
the counter, some in part, one account in three months late — so the ledger, the 360°
page, receivables and the portal have something real to show; and voucher cards to top up
with. Everything goes through the payments service, as a payment at the counter would;
each payment's external reference makes the demo idempotent."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app

from app.extensions import db
from app.models.billing import Invoice, InvoiceStatus
from app.models.crm import BillingAccount, PaymentMode
from app.models.prepaid import VoucherBatch
from app.services.billing import invoices
from app.services.payments import payments
from app.services.platform.money import round_money
from app.services.prepaid import vouchers

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


def pay_bills(today: date, keep_latest_open=()) -> int:
    """Pay the demo's invoices as customers would: most in full, every fifth account in
    half, every seventh not at all (it falls overdue); the latest bill of the accounts
    `keep_latest_open` names stays to be paid (on the portal); returns how many payments
    were made (none when run again)."""
    latest = set(
        db.session.scalars(
            db.select(db.func.max(Invoice.id))
            .join(BillingAccount, Invoice.account_id == BillingAccount.id)
            .where(BillingAccount.ref.in_(list(keep_latest_open)))
            .group_by(Invoice.account_id)
        )
    )
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
        if account.id % 7 == 0 or invoice.id in latest:
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


# a demo voucher card per currency: (face value, currency)
VOUCHERS = (("10", "EUR"), ("10000", "KRW"), ("500", "RUB"))
VOUCHER_CARDS = 10
VOUCHER_NOTE = "demo"


def seed_vouchers(today: date) -> int:
    """A batch of demo voucher cards per currency, their PINs written once (the app keeps
    none) to instance/demo_vouchers.csv for whoever tries a top-up on the portal; returns how
    many batches were made (none when run again)."""
    path = Path(current_app.config["INSTANCE_DIR"]) / "demo_vouchers.csv"
    if db.session.scalar(db.select(VoucherBatch.id).filter_by(note=VOUCHER_NOTE)) is None:
        path.unlink(missing_ok=True)  # PINs of a database that is gone
    made = 0
    for face_value, currency in VOUCHERS:
        exists = db.session.scalar(
            db.select(VoucherBatch.id).filter_by(currency=currency, note=VOUCHER_NOTE)
        )
        if exists:
            continue
        generated = vouchers.generate(VOUCHER_CARDS, face_value, currency,
                                      today + timedelta(days=365), VOUCHER_NOTE)  # fmt: skip
        cards = vouchers.printer_csv(generated)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(cards if not out.tell() else cards.split("\n", 1)[1])
        made += 1
    return made
