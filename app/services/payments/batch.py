"""Recording many payments at once (a bank statement's thousands): `payments.record`'s
rules — its checks (`payments.check`, `payments.closed_accounts`, `payments.duplicate_of`,
`settlement.chosen_invoices`), the ledger entry with its running balance, allocation by
`settlement.OLDEST_FIRST` and `settlement.share`, the status `invoice_status.derived`
gives — applied set-wise, in the caller's transaction (it commits). The results equal
those of calling `record` for each request in order (tests/services/payments/test_batch.py).

The accounts are read FOR UPDATE (PostgreSQL) and every invoice and balance is written
back on the condition that it still holds what was read, so a payment recorded meanwhile
elsewhere makes the batch fail whole (DomainError) rather than lose an update.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import load_only
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.models.ledger import EntryKind
from app.models.payments import Payment, PaymentMethod, PaymentPurpose, PaymentStatus
from app.models.types import scaled, utcnow
from app.services.billing import invoice_status, settlement
from app.services.dunning import cases as dunning_cases
from app.services.payments import payments
from app.services.platform import bulk
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound

PAYMENT_COLUMNS = (
    "account_id", "method", "purpose", "status", "amount", "currency", "received_on",
    "external_ref", "reference", "payer", "source", "username", "created_at", "allocated",
    "refunded",
)  # fmt: skip
LEDGER_COLUMNS = (
    "account_id", "posted_at", "kind", "amount", "currency", "reference", "balance_after",
    "payment_id",
)  # fmt: skip
ALLOCATION_COLUMNS = ("payment_id", "invoice_id", "amount", "created_at", "username")
CHANGE_COLUMNS = ("invoice_id", "at", "from_status", "to_status", "username")
# what the checks and the ledger read of an account
PAYING = (
    BillingAccount.id, BillingAccount.ref, BillingAccount.customer_id,
    BillingAccount.payment_mode, BillingAccount.currency, BillingAccount.bill_to_id,
    BillingAccount.balance,
)  # fmt: skip
# what settling reads of an invoice (settlement.share, invoice_status.derived, the
# refusals): of thousands of invoices, the rest would cost more to read than the work
SETTLING = (
    Invoice.id, Invoice.account_id, Invoice.number, Invoice.status, Invoice.total,
    Invoice.credited, Invoice.paid, Invoice.due_date, Invoice.issue_date,
)  # fmt: skip


@dataclass
class Request:
    """One payment to record; `external_ref` is required here: a batch comes from a feed
    that names each payment (a bank's reference), and is idempotent by it."""

    account_id: int
    amount: Decimal | str
    currency: str
    external_ref: str
    method: str = PaymentMethod.BANK_TRANSFER
    purpose: str | None = None
    received_on: date | None = None
    reference: str = ""
    payer: str = ""
    source: str = "counter"
    invoice_ids: list[int] | None = None


@dataclass
class Outcome:
    payment_id: int | None = None
    duplicate: bool = False  # recorded before (or earlier in the batch): nothing moved
    error: DomainError | None = None


@dataclass
class _Pending:
    index: int
    checked: payments.Checked
    request: Request
    chosen: list[Invoice] | None
    allocations: list[tuple[Invoice, Decimal]]
    balance_after: Decimal = Decimal(0)


def record_many(requests: list[Request]) -> list[Outcome]:
    """Record the payments, in order; one Outcome per request. Nothing is committed."""
    today = utcnow().date()
    outcomes: list[Outcome | None] = [None] * len(requests)
    accounts = _accounts({request.account_id for request in requests})
    checked: dict[int, payments.Checked] = {}
    for index, request in enumerate(requests):
        account = accounts.get(request.account_id)
        try:
            if account is None:
                raise NotFound("account", _l("no such account"))
            if not request.external_ref:
                raise DomainError("external_ref", _l("required"))
            checked[index] = payments.check(
                account, request.amount, request.currency, request.method,
                purpose=request.purpose, received_on=request.received_on,
                external_ref=request.external_ref, reference=request.reference,
                payer=request.payer, today=today,
            )  # fmt: skip
        except DomainError as exc:
            outcomes[index] = Outcome(error=exc)
    invoices = _Invoices.read(checked.values(), requests)
    pending, twins = _new_payments(checked, requests, outcomes, invoices.by_id)
    if pending:
        changes = _allocate(pending, invoices.open_by_account, today)
        ids = _write(pending, changes, today)
        dunning_cases.review(
            {item.checked.account.id for item in pending if item.allocations}, today
        )
        for item in pending:
            outcomes[item.index] = Outcome(ids[item.checked.external_ref])
        for index, external_ref in twins.items():
            outcomes[index] = Outcome(ids[external_ref], duplicate=True)
    return outcomes


def _accounts(ids: set[int]) -> dict[int, BillingAccount]:
    """The accounts and the payers of the consolidated ones, locked for the batch."""
    found: dict[int, BillingAccount] = {}
    while ids:
        query = (
            select(BillingAccount)
            .options(load_only(*PAYING))
            .where(bulk.among(BillingAccount.id, ids))
        )
        loaded = db.session.scalars(query.with_for_update()).all()
        found.update((account.id, account) for account in loaded)
        ids = {a.bill_to_id for a in loaded if a.bill_to_id is not None} - set(found)
    return found


@dataclass
class _Invoices:
    """The invoices the batch may settle, each read once: every invoice of the accounts
    paid (their open ones oldest first) and those the requests chose."""

    by_id: dict[int, Invoice]
    open_by_account: dict[int, list[Invoice]]

    @classmethod
    def read(cls, checked, requests: list[Request]) -> _Invoices:
        paying = {c.account.id for c in checked if c.purpose == PaymentPurpose.PAYMENT}
        found = cls({}, defaultdict(list))
        if paying:
            query = (
                select(Invoice)
                .options(load_only(*SETTLING))
                .where(bulk.among(Invoice.account_id, paying))
                .order_by(Invoice.account_id, *settlement.OLDEST_FIRST)
            )
            for invoice in db.session.scalars(query):  # status filtered here: see closed_accounts
                found.by_id[invoice.id] = invoice
                if invoice.status in invoice_status.OPEN:
                    found.open_by_account[invoice.account_id].append(invoice)
        # of another account, a bad choice: read for its refusal to name it
        others = {i for r in requests if r.invoice_ids for i in r.invoice_ids} - set(found.by_id)
        if others:
            query = select(Invoice).where(bulk.among(Invoice.id, others))
            found.by_id.update((invoice.id, invoice) for invoice in db.session.scalars(query))
        return found


def _new_payments(
    checked: dict[int, payments.Checked],
    requests: list[Request],
    outcomes: list,
    found: dict[int, Invoice],
) -> tuple[list[_Pending], dict[int, str]]:
    """The requests that make a payment, and those repeating one of them earlier in the
    batch (index → its external reference); duplicates of payments recorded before and
    refusals are answered in `outcomes`."""
    refs = [c.external_ref for c in checked.values()]
    earlier = {
        p.external_ref: p
        for p in db.session.scalars(select(Payment).where(bulk.among(Payment.external_ref, refs)))
    }
    closed = payments.closed_accounts({c.account.id: c.purpose for c in checked.values()})
    pending: list[_Pending] = []
    in_batch: dict[str, _Pending] = {}
    twins: dict[int, str] = {}
    for index, values in checked.items():
        request = requests[index]
        try:
            if values.external_ref in earlier:
                recorded = payments.duplicate_of(
                    earlier[values.external_ref], values.account, values.amount
                )
                outcomes[index] = Outcome(recorded.payment.id, duplicate=True)
                continue
            if (first := in_batch.get(values.external_ref)) is not None:
                _same_payment(first, values)
                twins[index] = values.external_ref
                continue
            if values.account.id in closed:
                raise DomainError("account", _l("the account is closed: it owes nothing"))
            chosen = None
            if request.invoice_ids:
                payments.check_settles(values.purpose)
                chosen = settlement.chosen_invoices(values.account.id, request.invoice_ids, found)
        except DomainError as exc:
            outcomes[index] = Outcome(error=exc)
            continue
        in_batch[values.external_ref] = _Pending(index, values, request, chosen, [])
        pending.append(in_batch[values.external_ref])
    return pending, twins


def _same_payment(first: _Pending, values: payments.Checked) -> None:
    if first.checked.account.id != values.account.id or first.checked.amount != values.amount:
        raise DomainError(
            "external_ref", _l("already used in this batch, for another account or amount")
        )


@dataclass
class _Moved:
    """The invoices the batch moves money onto: each as read, and each status move."""

    read: dict[int, tuple[Invoice, Decimal, str]]
    changes: list[tuple[int, str, str]]


def _allocate(
    pending: list[_Pending], open_by_account: dict[int, list[Invoice]], today: date
) -> _Moved:
    """Each payment's allocations, in order, as `settlement.allocate` makes them, each
    followed by the invoice's status as `invoice_status.restate` moves it; the invoices'
    paid and status follow in memory, written by `_write`."""
    moved = _Moved({}, [])
    for item in pending:
        if item.checked.purpose != PaymentPurpose.PAYMENT:
            continue
        left = item.checked.amount
        account_id = item.checked.account.id
        invoices = settlement.in_order(item.chosen, open_by_account[account_id])
        for invoice in invoices:
            if left <= 0:
                break
            amount = settlement.share(left, invoice)
            if amount <= 0:
                continue
            item.allocations.append((invoice, amount))
            left -= amount
            moved.read.setdefault(invoice.id, (invoice, invoice.paid, invoice.status))
            # in memory only (no UPDATE is flushed): _write writes the final values
            set_committed_value(invoice, "paid", invoice.paid + amount)
            status = invoice_status.derived(invoice, today)
            if status != invoice.status:
                moved.changes.append((invoice.id, invoice.status, status))
                set_committed_value(invoice, "status", status)
    return moved


def _write(pending: list[_Pending], moved: _Moved, today: date) -> dict[str, int]:
    """Payments, ledger entries, allocations, invoices; the payments' ids by reference."""
    username, now = current_username(), utcnow()
    at = bulk.sql_timestamp(now)
    rows = []
    for item in pending:
        c = item.checked
        allocated = sum((amount for _, amount in item.allocations), Decimal(0))
        rows.append((
            c.account.id, c.method, c.purpose, PaymentStatus.POSTED.value, scaled(c.amount),
            c.account.currency, bulk.sql_date(c.received_on), c.external_ref, c.reference,
            c.payer, item.request.source, username, at, scaled(allocated), 0,
        ))  # fmt: skip
    bulk.insert_rows("payment", PAYMENT_COLUMNS, rows)
    refs = [item.checked.external_ref for item in pending]
    ids = dict(
        db.session.execute(
            select(Payment.external_ref, Payment.id).where(bulk.among(Payment.external_ref, refs))
        ).all()
    )
    _post_ledger(pending, ids, at)
    _settle_invoices(pending, moved, ids, at, username)
    return ids


def _post_ledger(pending: list[_Pending], ids: dict[str, int], at: str) -> None:
    """One entry per payment, each account's balance running through its payments in
    order; the balance is written back only if it still holds what was read."""
    before: dict[int, Decimal] = {}
    balance: dict[int, Decimal] = {}
    rows = []
    for item in pending:
        account = item.checked.account
        if account.id not in balance:
            before[account.id] = balance[account.id] = account.balance
        balance[account.id] += item.checked.amount
        rows.append((
            account.id, at, str(EntryKind(item.checked.purpose)), scaled(item.checked.amount),
            account.currency, item.checked.external_ref, scaled(balance[account.id]),
            ids[item.checked.external_ref],
        ))  # fmt: skip
    _update_many(
        "billing_account",
        ("balance",),
        [(i, scaled(balance[i]), scaled(before[i])) for i in balance],
    )
    bulk.insert_rows("ledger_entry", LEDGER_COLUMNS, rows)
    accounts = {item.checked.account.id: item.checked.account for item in pending}
    for account_id, account in accounts.items():
        set_committed_value(account, "balance", balance[account_id])


def _settle_invoices(
    pending: list[_Pending], moved: _Moved, ids: dict[str, int], at: str, username: str
) -> None:
    allocations = [
        (ids[item.checked.external_ref], invoice.id, scaled(amount), at, username)
        for item in pending
        for invoice, amount in item.allocations
    ]
    _update_many(
        "invoice",
        ("paid", "status"),
        [
            (invoice.id, scaled(invoice.paid), invoice.status, scaled(paid), status)
            for invoice, paid, status in moved.read.values()
        ],
    )
    bulk.insert_rows("payment_allocation", ALLOCATION_COLUMNS, allocations)
    bulk.insert_rows(
        "invoice_status_change",
        CHANGE_COLUMNS,
        [(invoice_id, at, was, to, username) for invoice_id, was, to in moved.changes],
    )


def _update_many(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Each row (id, the new values, the values read) written back only where the table
    still holds what was read; every row must be found, else the batch fails whole.
    PostgreSQL: the rows copied into a temporary table and one UPDATE from it (a statement
    per row cost a round trip each); SQLite: a statement per row, in process."""
    if not rows:
        return
    raw = bulk.Raw.of_session()
    count = len(columns)
    if raw.postgresql:
        sets = ", ".join(f"{c} = v.new_{c}" for c in columns)
        unchanged = " AND ".join(f"{table}.{c} = v.old_{c}" for c in columns)
        values = f"batch_{table}"
        names = ("id", *(f"new_{c}" for c in columns), *(f"old_{c}" for c in columns))
        raw.execute(f"DROP TABLE IF EXISTS pg_temp.{values}")
        raw.execute(
            f"CREATE TEMPORARY TABLE {values} ON COMMIT DROP AS SELECT id, "
            + ", ".join(f"{c} AS new_{c}, {c} AS old_{c}" for c in columns)
            + f" FROM {table} WITH NO DATA"
        )
        raw.insert_rows(values, names, rows)
        changed = raw.execute(
            f"UPDATE {table} SET {sets} FROM {values} v WHERE {table}.id = v.id AND {unchanged}"
        )
    else:
        marks = ", ".join(f"{c} = ?" for c in columns)
        where = " AND ".join(f"{c} = ?" for c in columns)
        cursor = raw.driver.executemany(
            f"UPDATE {table} SET {marks} WHERE id = ? AND {where}",
            [(*row[1 : 1 + count], row[0], *row[1 + count :]) for row in rows],
        )
        changed = cursor.rowcount
    if changed != len(rows):
        raise DomainError("amount", _l("payments were recorded meanwhile: import again"))
