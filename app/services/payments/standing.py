"""Where an account stands: its balance, what it owes, the credit and deposits its
payments left, and its last payment (the 360° page, the account's payments page)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, type_coerce

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.models.payments import Payment, PaymentPurpose, PaymentStatus
from app.models.types import ExactDecimal
from app.services.billing import invoice_status
from app.services.platform import bulk

MONEY = ExactDecimal(4)


@dataclass
class Standing:
    balance: Decimal  # the ledger's sum: positive in the customer's favour
    owed: Decimal  # what its open invoices still ask
    credit: Decimal  # what payments for bills left unallocated
    deposits: Decimal  # deposits held, not yet applied or refunded
    last_payment: Payment | None


def standings(accounts: list[BillingAccount]) -> dict[int, Standing]:
    ids = [account.id for account in accounts]
    if not ids:
        return {}
    asked = type_coerce(func.sum(Invoice.total - Invoice.credited - Invoice.paid), MONEY)
    owed = dict(
        db.session.execute(
            select(Invoice.account_id, asked)
            .where(bulk.among(Invoice.account_id, ids), Invoice.status.in_(invoice_status.OPEN))
            .group_by(Invoice.account_id)
        ).all()
    )
    left = {}
    for account_id, purpose, amount in db.session.execute(
        select(
            Payment.account_id,
            Payment.purpose,
            type_coerce(func.sum(Payment.amount - Payment.allocated - Payment.refunded), MONEY),
        )
        .where(bulk.among(Payment.account_id, ids), Payment.status == PaymentStatus.POSTED)
        .group_by(Payment.account_id, Payment.purpose)
    ):
        left[(account_id, purpose)] = amount
    last = {}
    newest = (
        select(func.max(Payment.id))
        .where(bulk.among(Payment.account_id, ids))
        .group_by(Payment.account_id)
    )
    for payment in db.session.scalars(select(Payment).where(Payment.id.in_(newest))):
        last[payment.account_id] = payment
    zero = Decimal(0)
    return {
        account.id: Standing(
            balance=account.balance,
            owed=owed.get(account.id) or zero,
            credit=left.get((account.id, PaymentPurpose.PAYMENT)) or zero,
            deposits=left.get((account.id, PaymentPurpose.DEPOSIT)) or zero,
            last_payment=last.get(account.id),
        )
        for account in accounts
    }
