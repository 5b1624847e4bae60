"""Recording a payment (docs/payments.md): at the counter, through the API, from a bank
statement, a gateway, a direct debit collection or a voucher — one function, whatever the
entry point.

A payment is checked whole before anything is written (currency, decimals, the account
open), then, in one transaction: the payment, its ledger entry, and its allocation to the
invoices (the chosen ones, else the oldest open first). A unique external reference makes
it idempotent: sent again, it is answered as a duplicate and nothing moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount, Customer, CustomerStatus, PaymentMode, Service
from app.models.ledger import EntryKind
from app.models.payments import Payment, PaymentMethod, PaymentPurpose, PaymentStatus
from app.models.types import utcnow
from app.services.billing import invoice_status, settlement
from app.services.dunning import cases as dunning_cases
from app.services.ledger import posting
from app.services.platform import bulk, validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError
from app.services.platform.scoping import scoped, scoped_get

TEXT_LENGTH = Payment.__table__.c.reference.type.length
REF_LENGTH = Payment.__table__.c.external_ref.type.length


@dataclass
class Recorded:
    payment: Payment
    duplicate: bool = False  # the external reference was recorded before: nothing moved


def get(payment_id: int, region_ids) -> Payment:
    return scoped_get(Payment, payment_id, region_ids, "payment", _l("no such payment"))


def search(
    region_ids,
    account_ref: str | None = None,
    status: str | None = None,
    method: str | None = None,
    external_ref: str | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
    page: int = 0,
    page_size: int = 50,
) -> tuple[int, list[Payment]]:
    """A page of the payments a user may see matching the filters, newest first, and how
    many there are in all."""
    query = scoped(select(Payment), Payment, region_ids)
    if account_ref:
        accounts = select(BillingAccount.id).where(BillingAccount.ref == account_ref.strip())
        query = query.where(Payment.account_id.in_(accounts))
    for column, value in (
        (Payment.status, status),
        (Payment.method, method),
        (Payment.external_ref, external_ref),
    ):
        if value:
            query = query.where(column == value)
    if received_from:
        query = query.where(Payment.received_on >= received_from)
    if received_to:
        query = query.where(Payment.received_on <= received_to)
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    found = db.session.scalars(
        query.options(selectinload(Payment.account), selectinload(Payment.allocations))
        .order_by(Payment.received_on.desc(), Payment.id.desc())
        .offset(page * page_size)
        .limit(page_size)
    )
    return count, list(found)


def by_external_ref(external_ref: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.external_ref == external_ref))


def record(
    account: BillingAccount,
    amount,
    currency: str,
    method: str,
    *,
    purpose: str | None = None,
    received_on: date | None = None,
    external_ref: str | None = None,
    reference: str = "",
    payer: str = "",
    source: str = "counter",
    invoice_ids: list[int] | None = None,
) -> Recorded:
    """Record money received for the account (for a consolidated account: its payer's
    bills) and settle its invoices; commits. DomainError naming the field when refused."""
    today = utcnow().date()
    checked = check(
        account, amount, currency, method, purpose=purpose, received_on=received_on,
        external_ref=external_ref, reference=reference, payer=payer, today=today,
    )  # fmt: skip
    account, amount, purpose = checked.account, checked.amount, checked.purpose
    external_ref = checked.external_ref
    if external_ref and (earlier := by_external_ref(external_ref)) is not None:
        return duplicate_of(earlier, account, amount)
    _check_open(account, purpose)
    chosen = None
    if invoice_ids:
        check_settles(purpose)
        chosen = settlement.chosen_invoices(account.id, invoice_ids)
    payment = Payment(
        account_id=account.id,
        method=checked.method,
        purpose=purpose,
        amount=amount,
        currency=account.currency,
        received_on=checked.received_on,
        external_ref=external_ref,
        reference=checked.reference,
        payer=checked.payer,
        source=source,
        username=current_username(),
    )
    try:
        db.session.add(payment)
        db.session.flush()
        posting.entry(
            account.id,
            EntryKind(purpose),
            amount,
            external_ref or f"#{payment.id}",
            payment_id=payment.id,
        )
        if purpose == PaymentPurpose.PAYMENT:
            invoices = settlement.in_order(chosen, settlement.open_invoices(account.id))
            settlement.allocate(payment, invoices, today)
            dunning_cases.review([account.id], today)
        db.session.commit()
    except IntegrityError:
        # the same external reference, recorded by someone else at the same moment
        db.session.rollback()
        earlier = by_external_ref(external_ref) if external_ref else None
        if earlier is None:
            raise
        return duplicate_of(earlier, account, amount)
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(payment)
    return Recorded(payment)


@dataclass
class Checked:
    """A payment's values once every rule that needs no other payment has passed."""

    account: BillingAccount  # the one whose bills it pays (a consolidated account's payer)
    amount: Decimal
    method: str
    purpose: str
    received_on: date
    external_ref: str | None
    reference: str
    payer: str


def check(
    account: BillingAccount,
    amount,
    currency: str,
    method: str,
    *,
    purpose: str | None,
    received_on: date | None,
    external_ref: str | None,
    reference: str,
    payer: str,
    today: date,
) -> Checked:
    """The checks of `record` that read nothing but the account (the batch path,
    app/services/payments/batch.py, runs them too); DomainError naming the field."""
    method = validation.check_choice("method", method, list(PaymentMethod))
    purpose = _purpose(account, purpose)
    if purpose == PaymentPurpose.PAYMENT and account.bill_to_id is not None:
        account = db.session.get(BillingAccount, _payer_id(account))
    amount = _amount(amount, currency, account)
    external_ref = _external_ref(external_ref)
    received_on = received_on or today
    if received_on > today:
        raise DomainError("received_on", _l("a payment cannot be received in the future"))
    return Checked(
        account, amount, method, purpose, received_on, external_ref,
        _text("reference", reference), _text("payer", payer),
    )  # fmt: skip


def check_settles(purpose: str) -> None:
    if purpose != PaymentPurpose.PAYMENT:
        raise DomainError("invoices", _l("only a payment for bills settles invoices"))


def allocate_to(payment: Payment, invoice_ids: list[int]) -> Decimal:
    """Staff settle chosen invoices with what a payment or a deposit has left; returns
    what was allocated."""
    if payment.status != PaymentStatus.POSTED or payment.purpose == PaymentPurpose.TOPUP:
        raise DomainError("payment", _l("the payment has nothing to settle invoices with"))
    if payment.unallocated <= 0:
        raise DomainError("payment", _l("the payment is allocated in full"))
    try:
        invoices = settlement.chosen_invoices(payment.account_id, invoice_ids)
        allocated = settlement.allocate(payment, invoices, utcnow().date())
        dunning_cases.review([payment.account_id])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(payment)
    return allocated


def _purpose(account: BillingAccount, purpose: str | None) -> str:
    if not purpose:
        prepaid = account.payment_mode == PaymentMode.PREPAID
        return PaymentPurpose.TOPUP if prepaid else PaymentPurpose.PAYMENT
    purpose = validation.check_choice("purpose", purpose, list(PaymentPurpose))
    if purpose == PaymentPurpose.TOPUP and account.payment_mode != PaymentMode.PREPAID:
        raise DomainError("purpose", _l("only a prepaid account is topped up"))
    if purpose == PaymentPurpose.PAYMENT and account.payment_mode == PaymentMode.PREPAID:
        raise DomainError("purpose", _l("a prepaid account has no bills: top it up"))
    return purpose


def _payer_id(account: BillingAccount) -> int:
    seen = {account.id}
    while account.bill_to_id is not None and account.bill_to_id not in seen:
        seen.add(account.bill_to_id)
        account = db.session.get(BillingAccount, account.bill_to_id)
    return account.id


def _amount(amount, currency: str, account: BillingAccount) -> Decimal:
    code = validation.check_currency(currency)
    if code != account.currency:
        raise DomainError(
            "currency",
            _l("the account is billed in %(account)s, not %(currency)s",
               account=account.currency, currency=code),
        )  # fmt: skip
    if not isinstance(amount, Decimal):
        amount = validation.parse_amount("amount", amount, code)
    amount = validation.check_amount("amount", amount, code)
    if amount is None or amount <= 0:
        raise DomainError("amount", _l("more than 0"))
    return amount


def _external_ref(value: str | None) -> str | None:
    value = validation.check_text("external_ref", (value or "").strip()) or None
    if value and len(value) > REF_LENGTH:
        raise DomainError("external_ref", _l("at most %(count)s characters", count=REF_LENGTH))
    return value


def _text(field: str, value: str | None) -> str:
    value = validation.check_text(field, (value or "").strip()) or ""
    return value[:TEXT_LENGTH]


def duplicate_of(earlier: Payment, account: BillingAccount, amount: Decimal) -> Recorded:
    """The payment sent again: the earlier one, unless it paid another account or amount."""
    if earlier.account_id != account.id or earlier.amount != amount:
        raise DomainError(
            "external_ref",
            _l("already used by payment %(id)s, of another account or amount", id=earlier.id),
        )
    return Recorded(earlier, duplicate=True)


def _check_open(account: BillingAccount, purpose: str) -> None:
    if account.id in closed_accounts({account.id: purpose}):
        raise DomainError("account", _l("the account is closed: it owes nothing"))


def closed_accounts(purposes: dict[int, str]) -> set[int]:
    """Of the accounts (id → the purpose of the money for it), those closed: the customer
    gone, or every line ended, and nothing owed. A closed account takes no money: it would
    stay there with no bill to pay."""
    ids = list(purposes)
    owing = set()
    paying = [key for key, purpose in purposes.items() if purpose == PaymentPurpose.PAYMENT]
    if paying:
        # the status filtered here: SQLite would otherwise walk the status index, every
        # open invoice of every account, for each batch
        rows = db.session.execute(
            select(Invoice.account_id, Invoice.status).where(bulk.among(Invoice.account_id, paying))
        )
        owing = {account_id for account_id, status in rows if status in invoice_status.OPEN}
    gone = set(
        db.session.scalars(
            select(BillingAccount.id)
            .join(Customer, Customer.id == BillingAccount.customer_id)
            .where(bulk.among(BillingAccount.id, ids))
            .where(Customer.status == CustomerStatus.TERMINATED)
        )
    )
    ended = set(
        db.session.scalars(
            select(Service.account_id)
            .where(bulk.among(Service.account_id, ids))
            .group_by(Service.account_id)
            .having(func.count().filter(Service.status != "terminated") == 0)
        )
    )
    return (gone | ended) - owing
