"""What dunning asks of the network: barring outgoing calls, suspending and terminating an
overdue account's lines, and restoring them once it has paid. Each goes through an order
of the operator's own (source "dunning") and its provisioning tasks, as any order does:
a line changes when the network confirms, and a failure waits and is retried — the step
stays pending until then, never done before the network has done it.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.crm import BillingAccount, Service, ServiceStatus
from app.models.dunning import (
    DunningAction,
    DunningCase,
    DunningCaseStep,
    DunningStepOrder,
    StepStatus,
)
from app.models.orders import (
    LineAction,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    TaskStatus,
    TerminationReason,
)
from app.models.types import utcnow
from app.services.orders import operator_orders, orders
from app.services.orders.moves import OPEN
from app.services.platform import bulk
from app.services.platform.errors import DomainError
from app.services.platform.language import in_english

S = ServiceStatus
LINE_ACTION = {
    DunningAction.BAR: LineAction.BAR,
    DunningAction.SUSPEND: LineAction.SUSPEND,
    DunningAction.TERMINATE: LineAction.TERMINATE,
}
# lines restored once the account has paid: those a case barred or suspended
RESTORED = (S.BARRED, S.SUSPENDED)


def restrict_many(items: list[tuple[DunningCase, str]]) -> list[tuple[list[int], str | None]]:
    """For each (case, action): an order per account carrying the action out on the lines
    that can take it — the case account's and those of the accounts billed to it — in the
    caller's transaction; the orders' ids and a note of the lines left out (another order
    is changing them) or that there was none."""
    account_ids = [case.account_id for case, _ in items]
    rows = db.session.execute(
        select(Service.id, Service.service_id, Service.account_id, Service.status,
               BillingAccount.bill_to_id)
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .where(
            or_(bulk.among(Service.account_id, account_ids),
                bulk.among(BillingAccount.bill_to_id, account_ids)),
            Service.status != S.TERMINATED,
        )
        .order_by(Service.account_id, Service.id)
    ).all()  # fmt: skip
    cased = set(account_ids)
    lines_of: dict[int, list] = defaultdict(list)
    for row in rows:
        lines_of[row.account_id if row.account_id in cased else row.bill_to_id].append(row)
    eligible = {
        case.id: [row for row in lines_of[case.account_id]
                  if row.status in orders.ACTION_FROM[LINE_ACTION[action]]]
        for case, action in items
    }  # fmt: skip
    busy = orders.open_orders_of(row.id for rows_ in eligible.values() for row in rows_)
    requests, owners, notes = [], [], {}
    for case, action in items:
        line_action = LINE_ACTION[action]
        by_account: dict[int, list[int]] = defaultdict(list)
        left_out = []
        for row in eligible[case.id]:
            if row.id in busy:
                left_out.append(
                    in_english(_l("%(line)s left out: order %(order)s is changing it",
                                  line=row.service_id, order=busy[row.id]))
                )  # fmt: skip
            else:
                by_account[row.account_id].append(row.id)
        if not eligible[case.id]:
            left_out.append(in_english(_l("no line to change")))
        notes[case.id] = "; ".join(left_out) or None
        reason = TerminationReason.NON_PAYMENT if line_action == LineAction.TERMINATE else None
        for account_id, service_ids in by_account.items():
            requests.append(
                operator_orders.Request(account_id, line_action, service_ids, str(case), reason)
            )
            owners.append(case.id)
    made: dict[int, list[int]] = defaultdict(list)
    for owner, (order_id, _ref) in zip(
        owners, operator_orders.carry_out(requests, OrderSource.DUNNING), strict=True
    ):
        made[owner].append(order_id)
    return [(made[case.id], notes[case.id]) for case, _ in items]


def settle_pending() -> None:
    """Pending steps whose orders the network has all done become done (in one statement:
    a day's barring may be thousands); a failed order is sent again; a step one of whose
    orders was cancelled (by staff) is done with a note. Commits."""
    order_ids = select(DunningStepOrder.order_id).where(
        DunningStepOrder.case_step_id == DunningCaseStep.id
    )
    not_done = select(Order.id).where(
        Order.id.in_(order_ids), Order.status != OrderStatus.COMPLETED
    )
    db.session.execute(
        update(DunningCaseStep)
        .where(DunningCaseStep.status == StepStatus.PENDING, ~not_done.exists())
        .values(status=StepStatus.DONE, done_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    stuck = db.session.scalars(
        select(DunningCaseStep)
        .where(
            DunningCaseStep.status == StepStatus.PENDING,
            DunningCaseStep.orders.any(
                Order.status.in_((OrderStatus.FAILED, OrderStatus.CANCELLED))
            ),
        )
        .options(selectinload(DunningCaseStep.orders))
    ).all()
    for step in stuck:
        for order in step.orders:
            if order.status == OrderStatus.FAILED:
                orders.retry(order)  # commits: the tasks go again whatever happens next
        statuses = {order.status for order in step.orders}
        if statuses <= {OrderStatus.COMPLETED, OrderStatus.CANCELLED}:
            step.status = StepStatus.DONE
            step.done_at = utcnow()
            step.note = _join(step.note, in_english(_l("an order was cancelled")))
        db.session.commit()


def _join(note: str | None, more: str) -> str:
    text = f"{note}; {more}" if note else more
    return text[: DunningCaseStep.__table__.c.note.type.length]


def restore(case: DunningCase) -> str | None:
    """Once the account has paid: what the case's orders have not yet done is cancelled,
    and the lines they barred or suspended return to active through a new order. Lines
    terminated stay so. Returns the refs of the orders made, for the case's history."""
    restricted = [
        step for step in case.steps if step.action in (DunningAction.BAR, DunningAction.SUSPEND)
    ]
    case_orders = [order for step in restricted for order in step.orders]
    for order in case_orders:
        if order.status in OPEN:
            try:
                with db.session.begin_nested():
                    orders.withdraw(
                        order, in_english(_l("the account has paid (%(case)s)", case=str(case)))
                    )
            except DomainError:
                pass  # being sent right now: follow_up restores that line once it is done
    for step in restricted:
        if step.status == StepStatus.PENDING:
            step.status = StepStatus.DONE
            step.done_at = utcnow()
            step.note = _join(step.note, in_english(_l("the case closed first")))
    return resume_restricted(case)


def resume_restricted(case: DunningCase) -> str | None:
    """An order restoring the lines the case's orders barred or suspended and that are so
    still (none already being changed); the refs of the orders made."""
    case_orders = [
        order
        for step in case.steps
        if step.action in (DunningAction.BAR, DunningAction.SUSPEND)
        for order in step.orders
    ]
    if not case_orders:
        return None
    moved = db.session.scalars(
        select(Service)
        .join(OrderLine, OrderLine.service_id == Service.id)
        .where(
            OrderLine.order_id.in_([order.id for order in case_orders]),
            OrderLine.action.in_((LineAction.BAR, LineAction.SUSPEND)),
            Service.status.in_(RESTORED),
        )
        .where(OrderLine.task.has(status=TaskStatus.DONE))
    ).all()
    if not moved:
        return None
    busy = orders.open_orders_of(service.id for service in moved)
    by_account: dict[int, list[int]] = defaultdict(list)
    for service in dict.fromkeys(moved):
        if service.id not in busy:
            by_account[service.account_id].append(service.id)
    requests = [
        operator_orders.Request(account_id, LineAction.RESUME, service_ids,
                                in_english(_l("restored: the account has paid")))
        for account_id, service_ids in by_account.items()
    ]  # fmt: skip
    made = operator_orders.carry_out(requests, OrderSource.DUNNING)
    return ", ".join(ref for _, ref in made) or None
