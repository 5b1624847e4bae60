"""The dunning run (`flask dunning run --date D`, and the scheduler each day): every account
whose overdue debt reaches its policy's minimum has a case; every case takes, once, each
step whose day has come — days counted from the due date of its oldest overdue bill.
Cases whose debt was paid close (and their lines come back). A step waiting for the
network holds the case's next steps until it is done: a line is suspended before it is
terminated, and a letter saying so goes after.

Cases go in chunks, each in its own transaction: a run killed half-way has committed whole
chunks, and running the date again takes what is left and nothing twice (a step is
unique per case). Restrictions reach the network through provisioning; their steps stay
pending until it confirms, and `follow_up` (every few minutes) marks them done or sends
failed orders again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.billing import Adjustment
from app.models.communications import Communication
from app.models.crm import BillingAccount, Customer
from app.models.dunning import (
    ACTIVE_CASE,
    MESSAGES,
    RESTRICTIONS,
    CaseStatus,
    DunningAction,
    DunningCase,
    DunningCaseChange,
    DunningCaseStep,
    DunningPolicy,
    DunningStep,
    DunningStepOrder,
    StepStatus,
)
from app.models.types import utcnow
from app.services.billing import adjustments
from app.services.dunning import cases, messages, overdue, policies, restrictions
from app.services.platform import bulk
from app.services.platform.actor import current_username
from app.services.platform.language import account_language, in_english

CHUNK = 500
# how long after closing a case a line still with the network is restored when it lands
RESTORE_WINDOW = timedelta(days=7)


@dataclass
class RunSummary:
    opened: int = 0
    closed: int = 0
    steps: int = 0
    held: int = 0  # paused, or waiting for a promise to pay
    waiting: int = 0  # steps waiting for the network

    def __str__(self) -> str:
        return (
            f"cases opened {self.opened}, closed {self.closed}, steps taken {self.steps}, "
            f"held {self.held}, waiting for the network {self.waiting}"
        )


def run_due() -> RunSummary:
    """The scheduler's daily job: today's run."""
    return run(utcnow().date())


def run(on: date) -> RunSummary:
    summary = RunSummary()
    follow_up()
    known = policies.Policies()
    by_id = {policy.id: policy for policy in known.by_class.values()}
    found = overdue.by_account(on)
    summary.opened = _open_cases(on, found, known)
    ids = db.session.scalars(select(DunningCase.id).where(ACTIVE_CASE).order_by(DunningCase.id))
    ids = list(ids)
    db.session.commit()
    for start in range(0, len(ids), CHUNK):
        _chunk(ids[start : start + CHUNK], on, found, by_id, summary)
    summary.waiting = db.session.scalar(
        select(func.count()).where(DunningCaseStep.status == StepStatus.PENDING)
    )
    db.session.commit()
    return summary


def _open_cases(on: date, found: dict, known: policies.Policies) -> int:
    """A case for every account owing at least its policy's minimum and having none."""
    with_case = set(db.session.scalars(select(DunningCase.account_id).where(ACTIVE_CASE)))
    new = [account_id for account_id in found if account_id not in with_case]
    opened, now, username = 0, utcnow(), current_username()
    for start in range(0, len(new), CHUNK):
        chunk = new[start : start + CHUNK]
        classes = dict(
            db.session.execute(
                select(BillingAccount.id, BillingAccount.credit_class).where(
                    bulk.among(BillingAccount.id, chunk)
                )
            ).all()
        )
        rows = []
        for account_id in chunk:
            owed = found[account_id]
            policy = known.of(classes[account_id])
            if owed.amount < policies.minimum(policy, owed.currency):
                continue
            rows.append({
                "account_id": account_id, "policy_id": policy.id, "status": CaseStatus.OPEN,
                "currency": owed.currency, "opened_on": on, "overdue_amount": owed.amount,
                "oldest_due_date": owed.oldest_due_date, "pursued_amount": owed.amount,
                "created_at": now,
            })  # fmt: skip
        ids = bulk.insert_dicts(DunningCase.__table__, rows, returning_ids=True)
        bulk.insert_dicts(
            DunningCaseChange.__table__,
            [{"case_id": case_id, "at": now, "from_status": "", "to_status": CaseStatus.OPEN,
              "reason": None, "username": username} for case_id in ids],
        )  # fmt: skip
        db.session.commit()
        opened += len(ids)
    return opened


@dataclass
class _Taken:
    """The steps a chunk takes, written together at its end."""

    steps: list[dict] = field(default_factory=list)
    messages: list[tuple[dict, dict]] = field(default_factory=list)  # (step, communication)
    fees: list[tuple[dict, Adjustment]] = field(default_factory=list)
    restricting: list[tuple[DunningCase, dict]] = field(default_factory=list)


def _chunk(ids: list[int], on: date, found: dict, by_id: dict, summary: RunSummary) -> None:
    chunk = db.session.scalars(
        select(DunningCase)
        .where(DunningCase.id.in_(ids), ACTIVE_CASE)
        .options(
            selectinload(DunningCase.account)
            .selectinload(BillingAccount.customer)
            .selectinload(Customer.region),
            selectinload(DunningCase.steps),
            selectinload(DunningCase.promises),
        )
        .order_by(DunningCase.id)
        .with_for_update(of=DunningCase)
    ).all()
    invoices = overdue.invoices_by_account(on, [case.account_id for case in chunk])
    taken = _Taken()
    for case in chunk:
        policy = by_id.get(case.policy_id) or db.session.get(DunningPolicy, case.policy_id)
        owed = found.get(case.account_id)
        if owed is None or owed.amount < policies.minimum(policy, case.currency):
            cases.close_paid(case, on)
            summary.closed += 1
            continue
        case.overdue_amount = owed.amount
        case.oldest_due_date = owed.oldest_due_date
        case.pursued_amount = max(case.pursued_amount, owed.amount)
        if cases.holds_steps(case, on):
            summary.held += 1
            continue
        if any(step.status == StepStatus.PENDING for step in case.steps):
            continue  # the next steps wait for the network to carry out this one
        steps = policies.ordered(policy.steps)
        done = {step.step_id for step in case.steps}
        elapsed = (on - owed.oldest_due_date).days
        for step in steps:
            if step.days <= elapsed and step.id not in done:
                take(case, step, on, owed, invoices.get(case.account_id, []), steps, taken)
                summary.steps += 1
                if step.action in RESTRICTIONS:
                    break  # the next steps wait for the network
    _write(taken)
    db.session.commit()


def _pay_by(steps: list[DunningStep], step: DunningStep, owed: overdue.Overdue) -> date | None:
    """The last day to pay before the policy's next step."""
    later = [other.days for other in steps if other.days > step.days]
    return owed.oldest_due_date + timedelta(days=later[0] - 1) if later else None


def take(case: DunningCase, step: DunningStep, on: date, owed: overdue.Overdue,
         invoices: list, steps: list[DunningStep], taken: _Taken) -> None:  # fmt: skip
    """Take the step in the case: its row, and what it makes, join the chunk's (`_write`)."""
    row = {
        "case_id": case.id, "step_id": step.id, "days": step.days, "action": step.action,
        "status": StepStatus.DONE, "taken_on": on, "done_at": utcnow(),
        "overdue_amount": owed.amount, "communication_id": None, "adjustment_id": None,
        "note": None,
    }  # fmt: skip
    taken.steps.append(row)
    if step.action in MESSAGES:
        pay_by = _pay_by(steps, step, owed)
        message, row["note"] = messages.queue(case, step, on, owed, invoices, pay_by)
        taken.messages.append((row, message))
    elif step.action == DunningAction.LATE_FEE:
        fee, row["note"] = _late_fee(case, step)
        if fee is not None:
            taken.fees.append((row, fee))
    else:
        row["status"], row["done_at"] = StepStatus.PENDING, None
        taken.restricting.append((case, row))


def _late_fee(case: DunningCase, step: DunningStep) -> tuple[Adjustment | None, str | None]:
    amount = (step.fees or {}).get(case.currency)
    if amount is None:
        return None, in_english(_l("no late fee is set in %(currency)s", currency=case.currency))
    # the reason is the bill line's text: in the customer's language
    with force_locale(account_language(case.account)):
        reason = str(_l("Late payment fee (%(case)s)", case=str(case)))
    return adjustments.add_fee(case.account, Decimal(amount), reason), None


def _write(taken: _Taken) -> None:
    """The chunk's steps with what they made: messages, late fees, and the barring,
    suspension and termination orders, made at once (a step no line could take is done)."""
    if not taken.steps:
        return
    message_ids = bulk.insert_dicts(
        Communication.__table__, [message for _, message in taken.messages], returning_ids=True
    )
    for (row, _), message_id in zip(taken.messages, message_ids, strict=True):
        row["communication_id"] = message_id
    db.session.flush()  # the late fees' adjustments
    for row, fee in taken.fees:
        row["adjustment_id"] = fee.id
    made = restrictions.restrict_many([(case, row["action"]) for case, row in taken.restricting])
    for (case, row), (order_ids, note) in zip(taken.restricting, made, strict=True):
        row["note"], row["order_ids"] = note, order_ids
        if not order_ids:
            row["status"], row["done_at"] = StepStatus.DONE, utcnow()
        if row["action"] == DunningAction.TERMINATE:
            cases.move(case, CaseStatus.COLLECTION, in_english(_l("lines terminated")))
    order_ids = [row.pop("order_ids", []) for row in taken.steps]
    step_ids = bulk.insert_dicts(DunningCaseStep.__table__, taken.steps, returning_ids=True)
    bulk.insert_dicts(
        DunningStepOrder.__table__,
        [{"case_step_id": step_id, "order_id": order_id}
         for step_id, orders_ in zip(step_ids, order_ids, strict=True) for order_id in orders_],
    )  # fmt: skip


def follow_up() -> int:
    """Pending restriction steps whose orders the network has done are done; failed orders
    go again; cases whose debt a credit note or a hold cleared close; a line a closed
    case's order still barred when the case closed comes back. How many steps are still
    pending."""
    restrictions.settle_pending()
    # debts cleared by other means than a payment (a credit note, a hold) close their case
    active = db.session.scalars(select(DunningCase.account_id).where(ACTIVE_CASE)).all()
    for start in range(0, len(active), CHUNK):
        cases.review(active[start : start + CHUNK])
        db.session.commit()
    since = utcnow().date() - RESTORE_WINDOW
    closed = db.session.scalars(
        select(DunningCase).where(
            DunningCase.status == CaseStatus.CLOSED,
            DunningCase.closed_on >= since,
            DunningCase.steps.any(
                DunningCaseStep.action.in_((DunningAction.BAR, DunningAction.SUSPEND))
            ),
        )
    ).all()
    for case in closed:
        restrictions.resume_restricted(case)
        db.session.commit()
    pending = db.session.scalar(
        select(func.count()).where(DunningCaseStep.status == StepStatus.PENDING)
    )
    db.session.commit()
    return pending
