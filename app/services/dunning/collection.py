"""The hand-over to a collection agency (docs/dunning.md, "Collection"): the cases whose
lines were terminated for non-payment, written as one CSV of their debts and marked handed
over — each case once, so a second hand-over carries only the cases added since.

The debt is what the account's open bills still ask, all of them (the final bill too),
less what a hold keeps out: a disputed amount is not the agency's to collect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Service
from app.models.dunning import CaseStatus, DunningCase
from app.models.types import utcnow
from app.services.dunning import cases, overdue
from app.services.platform.csv_text import csv_lines
from app.services.platform.errors import DomainError
from app.services.platform.language import in_english
from app.services.platform.money import exact_text
from app.services.platform.scoping import scoped

COLUMNS = (
    "case", "account_ref", "customer_ref", "customer_name", "document_type", "document_number",
    "tax_number", "street", "postcode", "city", "country_region", "email", "phone",
    "currency", "debt", "oldest_due_date", "invoices", "terminated_on",
)  # fmt: skip


def waiting(region_ids) -> list[DunningCase]:
    """The cases whose lines were terminated, waiting to be handed over, oldest first."""
    query = select(DunningCase).where(DunningCase.status == CaseStatus.COLLECTION)
    return list(
        db.session.scalars(
            scoped(query, DunningCase, region_ids)
            .options(
                selectinload(DunningCase.account)
                .selectinload(BillingAccount.customer)
                .selectinload(Customer.region)
            )
            .order_by(DunningCase.id)
        )
    )


def hand_over(region_ids, deliver: Callable[[str], None]) -> int:
    """Every waiting case of the regions as CSV, given to `deliver` (written to a file, sent
    as a download) before the cases count as handed over: a file that could not be
    written hands over nothing. How many; DomainError when none is waiting."""
    found = waiting(region_ids)
    if not found:
        raise DomainError("cases", _l("no case is waiting to be handed over"))
    account_ids = [case.account_id for case in found]
    debts = overdue.invoices_by_account(date.max, account_ids)
    ended = _terminated_on(account_ids)
    rows = []
    now = utcnow()
    for case in found:
        moved = db.session.execute(
            update(DunningCase)
            .where(DunningCase.id == case.id, DunningCase.status == CaseStatus.COLLECTION)
            .values(status=CaseStatus.HANDED_OVER, handed_over_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            continue  # handed over by someone else meanwhile
        cases.record(case, CaseStatus.COLLECTION, CaseStatus.HANDED_OVER,
                     in_english(_l("handed over to collection")))  # fmt: skip
        invoices = debts.get(case.account_id, [])
        rows.append(_row(case, invoices, ended))
    try:
        # the agency reads it in a spreadsheet: a name starting "=" stays text
        deliver("".join(csv_lines(COLUMNS, rows, for_spreadsheet=True)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(rows)


def _row(case: DunningCase, invoices, ended: dict[int, date]) -> list:
    account, customer = case.account, case.account.customer
    debt = sum((invoice.owed for invoice in invoices), start=0)
    return [
        str(case), account.ref, customer.ref, customer.name, customer.document_type or "",
        customer.document_number or "", customer.tax_number or "", customer.street or "",
        customer.postcode or "", customer.city or "", customer.region.code,
        customer.email or "", customer.phone or "", case.currency,
        exact_text(debt, case.currency),
        invoices[0].due_date.isoformat() if invoices else "",
        " ".join(invoice.number for invoice in invoices),
        ended[case.account_id].isoformat() if case.account_id in ended else "",
    ]  # fmt: skip


def _terminated_on(account_ids) -> dict[int, date]:
    return dict(
        db.session.execute(
            select(Service.account_id, func.max(Service.terminated_on))
            .where(Service.account_id.in_(account_ids))
            .group_by(Service.account_id)
        ).all()
    )
