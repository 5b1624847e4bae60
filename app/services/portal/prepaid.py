"""The customer's prepaid accounts (docs/portal.md, "Top up"): their balance and its
history, a voucher redeemed on one of their lines, a card top-up through the gateway.

The rules stay where staff use them too: redemption (app/services/prepaid/redemption.py,
with its limit of wrong PINs per line), the checkout (app/services/gateway/checkout.py,
with its amounts per currency) and the ledger (app/services/ledger/). Here the records
are found among the user's own only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.crm import BillingAccount, PaymentMode, Service
from app.models.gateway import CheckoutSession
from app.models.ledger import EntryKind, LedgerEntry
from app.models.payments import Payment
from app.models.security import AbonentUser
from app.models.usage import UsageRecord
from app.services.gateway import checkout
from app.services.ledger import history
from app.services.platform import bulk
from app.services.platform.errors import DomainError, NotFound
from app.services.portal import access, bills
from app.services.prepaid import redemption

PAGE = 25


def accounts(user: AbonentUser) -> list[BillingAccount]:
    """The user's prepaid accounts, by reference."""
    return [a for a in access.accounts(user) if a.payment_mode == PaymentMode.PREPAID]


def account(user: AbonentUser, account_id) -> BillingAccount:
    """One of the user's prepaid accounts (a postpaid one has no prepaid page: NotFound)."""
    found = access.account(user, account_id)
    if found.payment_mode != PaymentMode.PREPAID:
        raise NotFound("account", _l("not found"))
    return found


@dataclass
class Movement:
    """A ledger entry as the customer reads it, with what it came from."""

    entry: LedgerEntry
    method: str | None = None  # a top-up's payment method (voucher, card, …)
    usage: UsageRecord | None = None  # the record a usage debit paid for


@dataclass
class History:
    movements: list[Movement]
    before: int | None  # the cursor of the next (older) page, None on the last


def balance_history(account_: BillingAccount, before: int | None = None, size: int | None = None):
    """The account's balance movements, newest first, a page at a time (the ledger's own
    keyset paging: `before` an entry id)."""
    size = size or PAGE
    entries = history.entries([account_.id], limit=size + 1, before=before)
    shown = entries[:size]
    payment_ids = [e.payment_id for e in shown if e.payment_id is not None]
    methods = {}
    if payment_ids:
        methods = dict(
            db.session.execute(
                select(Payment.id, Payment.method).where(bulk.among(Payment.id, payment_ids))
            ).all()
        )
    # a usage debit's reference is its record's id (unique, indexed)
    references = [e.reference for e in shown if e.kind == EntryKind.USAGE]
    records = {}
    if references:
        records = {
            record.record_id: record
            for record in db.session.scalars(
                select(UsageRecord).where(bulk.among(UsageRecord.record_id, references))
            )
        }
    movements = [
        Movement(e, methods.get(e.payment_id), records.get(e.reference) if e.kind ==
                 EntryKind.USAGE else None)
        for e in shown
    ]  # fmt: skip
    return History(movements, shown[-1].id if len(entries) > size else None)


def redeem_voucher(user: AbonentUser, account_: BillingAccount, line_id, pin: str):
    """Redeem a voucher's PIN on one of the account's lines (the wrong PINs are counted per
    line, as at the counter); commits. DomainError naming the field when refused."""
    try:
        line = access.line(user, line_id)
    except NotFound:
        line = None
    if line is None or line.account_id != account_.id:
        raise DomainError("line", _l("choose one of the account's lines"))
    return redemption.redeem(line, pin)


def lines(account_: BillingAccount) -> list[Service]:
    """The lines the voucher form offers: the account's, but those terminated."""
    return sorted(
        (line for line in account_.services if line.status != "terminated"),
        key=lambda line: line.service_id,
    )


def topup_limits(currency: str) -> tuple[Decimal, Decimal] | None:
    """The least and most a card top-up may be in the currency (None: no card top-up in
    it), for the form to say; the checkout enforces them."""
    limits = current_app.config["TOPUP_LIMITS"].get(currency)
    return None if limits is None else tuple(Decimal(v) for v in limits)


def start_topup(account_: BillingAccount, amount: str) -> CheckoutSession:
    """A card top-up of `amount` on the gateway; the session to send the customer to.
    DomainError (field `amount`) when the amount is refused."""
    return checkout.start(account_, amount=amount, return_to=bills.RESULT_ENDPOINT)
