"""Dunning cases (docs/dunning.md): one per account with overdue bills, from the run that
finds the debt to the payment that clears it, or its hand-over to a collection agency.
Staff pause and resume a case with a reason, and record the customer's promise to pay,
which holds the case until its date. Every move is kept with who, when and why.

A payment closes the case at once (`review`, called by the payments domain in the
payment's transaction): the lines the case barred or suspended are restored through
provisioning without waiting for the next run.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.dunning import (
    ACTIVE_CASE,
    CaseStatus,
    DunningCase,
    DunningCaseChange,
    DunningCaseStep,
    PromiseStatus,
    PromiseToPay,
)
from app.models.types import utcnow
from app.services.dunning import overdue, policies, restrictions
from app.services.platform import bulk, validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.language import in_english
from app.services.platform.scoping import scoped

CS = CaseStatus
# where a case may go from each status, by staff or by the run
ALLOWED = {
    CS.OPEN: {CS.PAUSED, CS.COLLECTION, CS.CLOSED},
    CS.PAUSED: {CS.OPEN, CS.CLOSED},
    CS.COLLECTION: {CS.HANDED_OVER, CS.CLOSED},
    CS.HANDED_OVER: {CS.CLOSED},
    CS.CLOSED: set(),
}


def get(case_id: int, region_ids) -> DunningCase:
    case = db.session.scalar(
        scoped(
            select(DunningCase).where(DunningCase.id == case_id), DunningCase, region_ids
        ).options(
            selectinload(DunningCase.steps).selectinload(DunningCaseStep.orders),
            selectinload(DunningCase.changes),
            selectinload(DunningCase.promises),
        )
    )
    if case is None:
        raise NotFound("case", _l("not found"))
    return case


def search(region_ids, status: str | None = None, account_ref: str | None = None,
           page: int = 0, page_size: int = 50) -> tuple[list[DunningCase], int]:  # fmt: skip
    """Cases newest first, of a status or an account when asked; and how many there are."""
    query = scoped(select(DunningCase), DunningCase, region_ids)
    if status:
        query = query.where(DunningCase.status == status)
    if account_ref:
        query = query.join(BillingAccount, DunningCase.account_id == BillingAccount.id).where(
            BillingAccount.ref == account_ref.strip()
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(
            selectinload(DunningCase.account).selectinload(BillingAccount.customer),
            selectinload(DunningCase.steps),
        )
        .order_by(DunningCase.id.desc())
        .offset(page * page_size)
        .limit(page_size)
    ).all()
    return list(rows), total


def active_case(account_id: int) -> DunningCase | None:
    return db.session.scalar(
        select(DunningCase).where(DunningCase.account_id == account_id, ACTIVE_CASE)
    )


def account_cases(account_ids, limit: int = 10) -> list[DunningCase]:
    """The accounts' cases, newest first (the 360° page)."""
    return list(
        db.session.scalars(
            select(DunningCase)
            .where(DunningCase.account_id.in_(list(account_ids)))
            .options(selectinload(DunningCase.account), selectinload(DunningCase.steps))
            .order_by(DunningCase.id.desc())
            .limit(limit)
        )
    )


def move(case: DunningCase, to_status: str, reason: str | None = None) -> None:
    if to_status not in ALLOWED[CaseStatus(case.status)]:
        raise DomainError(
            "status",
            _l("a %(current)s case cannot become %(target)s", current=case.status,
               target=to_status),
        )  # fmt: skip
    record(case, case.status, to_status, reason)
    case.status = to_status


def record(case: DunningCase, from_status: str, to_status: str, reason: str | None) -> None:
    db.session.add(
        DunningCaseChange(
            case=case,
            from_status=from_status,
            to_status=to_status,
            reason=reason and reason[: DunningCaseChange.__table__.c.reason.type.length],
            username=current_username(),
        )
    )


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    reason = validation.check_text("reason", validation.required("reason", reason), True)
    return validation.check_length(DunningCaseChange, "reason", reason)


def pause(case: DunningCase, reason: str) -> None:
    """No step is taken while a case is paused (a complaint being looked into, a customer
    in hospital); the reason is kept."""
    _decide(case, CS.PAUSED, reason, CS.OPEN)


def resume(case: DunningCase, reason: str) -> None:
    """The case goes on from where it stood: steps whose day passed meanwhile are taken by
    the next run."""
    _decide(case, CS.OPEN, reason, CS.PAUSED)


def _decide(case: DunningCase, to_status: str, reason: str, from_status: str) -> None:
    reason = _reason(reason)
    if case.status != from_status:
        raise DomainError("status", _l("the case is %(status)s", status=case.status))
    try:
        move(case, to_status, reason)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def open_promise(case: DunningCase) -> PromiseToPay | None:
    return next((p for p in case.promises if p.status == PromiseStatus.OPEN), None)


def promise(case: DunningCase, pay_by, amount, note: str | None = None,
            today: date | None = None) -> PromiseToPay:  # fmt: skip
    """The customer promises to pay `amount` by `pay_by`: the case takes no step until
    that day has passed. At most DUNNING_PROMISE_MAX_DAYS ahead, one promise at a time."""
    today = today or utcnow().date()
    if case.status not in (CS.OPEN, CS.PAUSED):
        raise DomainError("status", _l("the case is %(status)s", status=case.status))
    if open_promise(case) is not None:
        raise DomainError("pay_by", _l("a promise is open already: cancel it first"))
    if isinstance(pay_by, str):
        pay_by = validation.check_date("pay_by", pay_by)
    pay_by = validation.required("pay_by", pay_by)
    longest = current_app.config["DUNNING_PROMISE_MAX_DAYS"]
    if pay_by < today:
        raise DomainError("pay_by", _l("a promise is to pay on a day to come"))
    if pay_by > today + timedelta(days=longest):
        raise DomainError("pay_by", _l("at most %(days)s days ahead", days=longest))
    amount = validation.parse_amount("amount", amount, case.currency)
    if amount <= 0:
        raise DomainError("amount", _l("more than 0"))
    note = validation.check_text("note", note or "", True) or ""
    made = PromiseToPay(
        case=case,
        pay_by=pay_by,
        amount=amount,
        currency=case.currency,
        note=validation.check_length(PromiseToPay, "note", note),
        status=PromiseStatus.OPEN,
        username=current_username(),
    )
    db.session.add(made)
    record(case, case.status, case.status, in_english(_l("promise to pay by %(day)s", day=pay_by)))
    db.session.commit()
    return made


def cancel_promise(case: DunningCase, reason: str) -> None:
    promised = open_promise(case)
    if promised is None:
        raise NotFound("promise", _l("no promise is open"))
    reason = _reason(reason)
    promised.status = PromiseStatus.CANCELLED
    promised.settled_on = utcnow().date()
    record(case, case.status, case.status, reason)
    db.session.commit()


def holds_steps(case: DunningCase, on: date) -> bool:
    """Whether the case takes no step on the date: paused, handed over, or waiting for a
    promise; a promise whose day has passed unpaid is broken then."""
    if case.status not in (CS.OPEN, CS.COLLECTION):
        return True
    promised = open_promise(case)
    if promised is None:
        return False
    if promised.pay_by >= on:
        return True
    promised.status = PromiseStatus.BROKEN
    promised.settled_on = on
    record(case, case.status, case.status, in_english(_l("promise to pay broken")))
    return False


def close_paid(case: DunningCase, on: date) -> None:
    """The account owes nothing overdue the policy pursues any more: the case closes, an
    open promise counts as kept, and the lines it barred or suspended come back."""
    promised = open_promise(case)
    if promised is not None:
        promised.status = PromiseStatus.KEPT
        promised.settled_on = on
    case.closed_on = on
    case.overdue_amount = Decimal(0)
    case.close_reason = "paid"
    restored = restrictions.restore(case)
    reason = in_english(_l("paid"))
    if restored:
        reason = in_english(_l("paid; lines restored by %(orders)s", orders=restored))
    move(case, CS.CLOSED, reason)


def review(account_ids, today: date | None = None) -> int:
    """After money came in for the accounts (or a hold took some of their debt out): each
    open case whose overdue amount fell below its policy's minimum closes, in the
    caller's transaction. How many closed."""
    today = today or utcnow().date()
    ids = list(dict.fromkeys(account_ids))
    if not ids:
        return 0
    cases = db.session.scalars(
        select(DunningCase).where(bulk.among(DunningCase.account_id, ids), ACTIVE_CASE)
    ).all()
    if not cases:
        return 0
    found = overdue.by_account(today, [case.account_id for case in cases])
    closed = 0
    for case in cases:
        owed = found.get(case.account_id)
        if owed is None or owed.amount < policies.minimum(case.policy, case.currency):
            close_paid(case, today)
            closed += 1
        else:
            case.overdue_amount = owed.amount
    return closed
