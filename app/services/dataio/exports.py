"""Exports of docs/formats.md, streamed in chunks and limited to the caller's regions."""

import json
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.billing import Invoice
from app.models.communications import Communication
from app.models.crm import BillingAccount, Customer, Service
from app.models.usage import UsageCharge, UsageRecord
from app.services.ledger import export as ledger_export
from app.services.platform import csv_text
from app.services.platform.money import round_money
from app.services.platform.scoping import scoped
from app.services.receivables import journal

SERVICE_COLUMNS = (
    "service_id",
    "account_ref",
    "product_code",
    "status",
    "activated_on",
    "terminated_on",
)
CHUNK = 2000


def service_rows(region_ids: list[int] | None) -> Iterator[tuple]:
    query = (
        db.select(
            Service.service_id,
            BillingAccount.ref,
            Service.product_code,
            Service.status,
            Service.activated_on,
            Service.terminated_on,
        )
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .order_by(Service.service_id)
    )
    result = db.session.execute(
        scoped(query, Service, region_ids), execution_options={"yield_per": CHUNK}
    )
    for row in result:
        yield tuple("" if value is None else str(value) for value in row)


RATED_USAGE_COLUMNS = (
    "record_id",
    "service_id",
    "usage_type",
    "started_at",
    "destination",
    "quantity",
    "billed_quantity",
    "covered_quantity",
    "charge",
    "currency",
    "status",
    "reason",
)


def rated_usage_rows(region_ids: list[int] | None) -> Iterator[tuple]:
    """Every usage record with what rating made of it; `pending` before its first rating.
    Times in UTC (ISO 8601 with offset), charges with their 4 decimals."""
    query = (
        db.select(
            UsageRecord.record_id,
            Service.service_id,
            UsageRecord.usage_type,
            UsageRecord.started_at,
            UsageRecord.destination,
            UsageRecord.quantity,
            UsageCharge.billed_quantity,
            UsageCharge.covered_quantity,
            UsageCharge.charge,
            UsageCharge.currency,
            UsageCharge.status,
            UsageCharge.reason,
        )
        .join(Service, UsageRecord.service_id == Service.id)
        .outerjoin(UsageCharge, UsageCharge.usage_id == UsageRecord.id)
        .order_by(UsageRecord.id)
    )
    result = db.session.execute(
        scoped(query, UsageRecord, region_ids), execution_options={"yield_per": CHUNK}
    )
    for row in result:
        values = list(row)
        values[3] = values[3].isoformat()
        if values[10] is None:
            values[6:12] = ["", "", "", "", "pending", ""]
        yield tuple("" if value is None else str(value) for value in values)


COMMUNICATION_COLUMNS = ("account_ref", "kind", "channel", "language", "subject", "created_at")


def communication_rows(region_ids: list[int] | None) -> Iterator[tuple]:
    query = (
        db.select(
            BillingAccount.ref,
            Communication.kind,
            Communication.channel,
            Communication.language,
            Communication.subject,
            Communication.created_at,
        )
        .join(BillingAccount, Communication.account_id == BillingAccount.id)
        .order_by(Communication.id)
    )
    result = db.session.execute(
        scoped(query, Communication, region_ids), execution_options={"yield_per": CHUNK}
    )
    for *values, created_at in result:
        yield (*values, created_at.isoformat())


EXPORTS = {
    "services": (SERVICE_COLUMNS, service_rows),
    "rated-usage": (RATED_USAGE_COLUMNS, rated_usage_rows),
    "communications": (COMMUNICATION_COLUMNS, communication_rows),
    "ledger": (ledger_export.COLUMNS, ledger_export.rows),
    "journal": (journal.COLUMNS, journal.rows),
}
# the exports of money movements take a period of days: --from, --to
PERIOD_EXPORTS = frozenset({"ledger", "journal"})


def _number(value) -> str:
    """A quantity as plain digits: 28.0000 → "28", 0.5000 → "0.5"."""
    return format(value.normalize(), "f")


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def invoice_record(invoice: Invoice, account_ref: str, customer_ref: str) -> dict:
    """An invoice as docs/formats.md `invoices` has it (also the REST API's body): amounts
    as exact strings in the currency's minor unit ("15.27", "2359" won)."""

    def money(amount) -> str:
        return str(round_money(amount, invoice.currency))

    return {
        "number": invoice.number,
        "account_ref": account_ref,
        "customer_ref": customer_ref,
        "period_start": invoice.period_start.isoformat(),
        "period_end": invoice.period_end.isoformat(),
        "bill_every": invoice.months,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "currency": invoice.currency,
        "status": invoice.status,
        "subtotal": money(invoice.subtotal),
        "tax": money(invoice.tax),
        "total": money(invoice.total),
        "balance_due": money(invoice.balance_due),
        "lines": [
            {
                "kind": line.kind,
                "service_id": line.number,
                "description": line.description,
                "quantity": _number(line.quantity),
                "amount": money(line.amount),
                # a fee line's month: a bill of several months has one per month
                "period_start": _day(line.period_start),
                "period_end": _day(line.period_end),
            }
            for line in invoice.lines
        ],
    }


def invoice_records(region_ids: list[int] | None) -> Iterator[dict]:
    query = (
        db.select(Invoice, BillingAccount.ref, Customer.ref)
        .join(BillingAccount, Invoice.account_id == BillingAccount.id)
        .join(Customer, Invoice.customer_id == Customer.id)
        .options(selectinload(Invoice.lines))
        .order_by(Invoice.id)
    )
    result = db.session.execute(
        scoped(query, BillingAccount, region_ids), execution_options={"yield_per": CHUNK}
    )
    for invoice, account_ref, customer_ref in result:
        yield invoice_record(invoice, account_ref, customer_ref)


JSON_EXPORTS = {"invoices": invoice_records}
KINDS = sorted([*EXPORTS, *JSON_EXPORTS])


def csv_lines(kind: str, region_ids: list[int] | None, for_spreadsheet=False, **period):
    """The export as CSV text, a line at a time, so a web response can stream it. Files made
    for people's spreadsheets keep formula-like cells as text; the contract's file is exact.
    `period` (since, until) limits the exports of money movements (PERIOD_EXPORTS)."""
    columns, rows = EXPORTS[kind]
    return csv_text.csv_lines(columns, rows(region_ids, **period), for_spreadsheet)


def write_export(kind: str, out: TextIO, region_ids: list[int] | None, **period) -> int:
    """Write the export to a file; returns the number of data rows (records for JSON)."""
    if kind in JSON_EXPORTS:
        return _write_json(JSON_EXPORTS[kind](region_ids), out)
    count = -1
    for count, line in enumerate(csv_lines(kind, region_ids, **period)):  # noqa: B007
        out.write(line)
    return count


def _write_json(records: Iterator[dict], out: TextIO) -> int:
    """A JSON list written record by record, so a large export never sits in memory."""
    count = 0
    out.write("[")
    for count, record in enumerate(records, start=1):
        out.write(",\n" if count > 1 else "\n")
        out.write(json.dumps(record, ensure_ascii=False))
    out.write("\n]\n" if count else "]\n")
    return count
