"""Collection runs (docs/direct-debit.md, "Collection runs"): on a date, each EUR account
with an active mandate is debited once for its open invoices due by then and not collected
before; one pain.008 file per region, stored with its run.

The file and the debits are written in one transaction, before any payment: the unique
invoice of each collected line makes a second run (the same date again, or two at once)
skip what is collected. Each debit is then paid through payments.record with its
end-to-end id as the external reference, so a run interrupted between the two is finished,
not doubled, by the next one.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import uuid4

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, type_coerce
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount, Customer, Region
from app.models.direct_debit import (
    CollectedInvoice,
    CollectionItem,
    CollectionRun,
    ItemStatus,
    Mandate,
    MandateStatus,
)
from app.models.payments import PaymentMethod
from app.models.types import utcnow
from app.services.billing import invoice_status
from app.services.direct_debit import mandates, pain008
from app.services.payments import payments
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError
from app.services.platform.scoping import scoped, scoped_get

SOURCE = "collection"


@dataclass
class Collected:
    runs: list[CollectionRun] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (region, reason)

    @property
    def debits(self) -> int:
        return sum(run.debits for run in self.runs)

    def __str__(self) -> str:
        total = sum((run.total for run in self.runs), Decimal(0))
        return f"files {len(self.runs)}, debits {self.debits}, total EUR {total:.2f}"


def get(run_id: int, region_ids) -> CollectionRun:
    return scoped_get(CollectionRun, run_id, region_ids, "run", _l("not found"))


def get_item(item_id: int, region_ids) -> CollectionItem:
    return scoped_get(CollectionItem, item_id, region_ids, "item", _l("not found"))


def collect(collection_date: date, region_ids=None) -> Collected:
    """Collect what is due by the date in the regions (all when None); commits."""
    collected = Collected()
    _pay(_unpaid_items(region_ids), collected)
    due = _due(collection_date, region_ids)
    for region_id, rows in sorted(due.items()):
        region = db.session.get(Region, region_id)
        try:
            run = _run(region, collection_date, rows)
        except DomainError as exc:
            db.session.rollback()
            collected.skipped.append((region.code, exc.message))
            continue
        collected.runs.append(run)
        _pay(run.items, collected)
    return collected


def _due(collection_date: date, region_ids) -> dict[int, dict[int, list]]:
    """region -> account -> its (invoice, open amount) due by the date, not yet collected."""
    # the scaled integers subtract exactly in SQL; read back as money
    open_amount = type_coerce(Invoice.total - Invoice.credited - Invoice.paid, Invoice.total.type)
    query = (
        select(Customer.region_id, Invoice.account_id, Invoice.id, Invoice.number, open_amount)
        .join(BillingAccount, BillingAccount.id == Invoice.account_id)
        .join(Customer, Customer.id == BillingAccount.customer_id)
        .where(
            BillingAccount.currency == mandates.CURRENCY,
            Invoice.status.in_(invoice_status.OPEN),
            Invoice.due_date <= collection_date,
            open_amount > 0,
            exists().where(
                Mandate.account_id == Invoice.account_id,
                Mandate.status == MandateStatus.ACTIVE,
                Mandate.signed_on <= collection_date,
            ),
            ~exists().where(CollectedInvoice.invoice_id == Invoice.id),
        )
        .order_by(Invoice.account_id, Invoice.due_date, Invoice.id)
    )
    due: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for region_id, account_id, invoice_id, number, amount in db.session.execute(
        scoped(query, Invoice, region_ids)
    ):
        due[region_id][account_id].append((invoice_id, number, amount))
    return due


def _run(region: Region, collection_date: date, accounts: dict[int, list]) -> CollectionRun:
    """Write the region's file and its debits, in one transaction."""
    debits, lines = [], {}
    for account_id, invoices in accounts.items():
        mandate = mandates.active_of(account_id)
        debit = pain008.Debit(
            # 35 characters, unique among every debit ever sent (the bank's duplicate check)
            end_to_end_id=f"DD-{uuid4().hex}",
            amount=sum((amount for _id, _number, amount in invoices), Decimal(0)),
            sequence=mandates.next_sequence(mandate.id),
            mandate=mandate,
            remittance=" ".join(number for _id, number, _amount in invoices)[:140],
        )
        debits.append(debit)
        lines[debit.end_to_end_id] = (account_id, invoices)
    message_id, content = pain008.write(region, collection_date, debits)
    run = CollectionRun(
        region_id=region.id,
        collection_date=collection_date,
        message_id=message_id,
        debits=len(debits),
        total=sum((debit.amount for debit in debits), Decimal(0)),
        currency=mandates.CURRENCY,
        file=content,
        username=current_username(),
    )
    try:
        db.session.add(run)
        for debit in debits:
            account_id, invoices = lines[debit.end_to_end_id]
            item = CollectionItem(
                run=run,
                account_id=account_id,
                mandate_id=debit.mandate.id,
                end_to_end_id=debit.end_to_end_id,
                sequence=debit.sequence,
                amount=debit.amount,
                currency=mandates.CURRENCY,
            )
            db.session.add(item)
            for invoice_id, _number, amount in invoices:
                db.session.add(CollectedInvoice(item=item, invoice_id=invoice_id, amount=amount))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(
            "run", _l("another run collected these invoices meanwhile: run it again")
        ) from None
    return run


def _unpaid_items(region_ids) -> list[CollectionItem]:
    query = select(CollectionItem).where(
        CollectionItem.payment_id.is_(None), CollectionItem.status == ItemStatus.COLLECTED
    )
    return list(db.session.scalars(scoped(query, CollectionItem, region_ids)))


def _pay(items, collected: Collected) -> None:
    """Each debit paid by one payment, on the invoices it collects that still ask for money
    (someone may have paid one at the counter meanwhile: the rest is the account's credit)."""
    today = utcnow().date()
    for item in items:
        invoice_ids = [line.invoice_id for line in item.invoices]
        still_open = db.session.scalars(
            select(Invoice.id).where(
                Invoice.id.in_(invoice_ids), Invoice.status.in_(invoice_status.OPEN)
            )
        ).all()
        try:
            recorded = payments.record(
                item.account,
                item.amount,
                item.currency,
                PaymentMethod.DIRECT_DEBIT,
                received_on=min(item.run.collection_date, today),
                external_ref=item.end_to_end_id,
                reference=item.mandate.reference,
                payer=item.mandate.debtor_name,
                source=SOURCE,
                invoice_ids=list(still_open) or None,
            )
        except DomainError as exc:
            # left unpaid: the next run tries again
            db.session.rollback()
            collected.skipped.append((item.end_to_end_id, exc.message))
            continue
        item.payment_id = recorded.payment.id
        db.session.commit()


def debits_of_account(account_id: int) -> list[CollectionItem]:
    """The account's debits, the newest first."""
    return list(
        db.session.scalars(
            select(CollectionItem)
            .where(CollectionItem.account_id == account_id)
            .order_by(CollectionItem.id.desc())
        )
    )
