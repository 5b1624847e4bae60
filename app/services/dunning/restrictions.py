"""What dunning asks of the network: barring outgoing calls, suspending and terminating an
overdue account's lines, and restoring them once it has paid. Each goes through an order
of the operator's own (source "dunning") and its provisioning tasks, as any order does:
a line changes when the network confirms, and a failure waits and is retried — the step
stays pending until then, never done before the network has done it.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.extensions import db
from app.models.crm import BillingAccount, Service, ServiceStatus
from app.models.dunning import DunningAction, DunningCase, DunningCaseStep, StepStatus
from app.models.orders import LineAction, Order, OrderLine, OrderSource, OrderStatus, TaskStatus
from app.models.types import utcnow
from app.services.orders import orders
from app.services.orders.moves import OPEN
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


def _lines(case: DunningCase, statuses) -> list[Service]:
    """The case account's lines in these statuses, with those of the accounts billed to it."""
    accounts = select(BillingAccount.id).where(
        or_(BillingAccount.id == case.account_id, BillingAccount.bill_to_id == case.account_id)
    )
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.account_id.in_(accounts), Service.status.in_(statuses))
            .order_by(Service.account_id, Service.id)
        )
    )


def restrict(case: DunningCase, action: str) -> tuple[list[Order], str | None]:
    """Orders carrying out the action on the case's lines that can take it, one per
    account, in the caller's transaction; and a note of the lines left out (another
    order is changing them) or that there was none."""
    line_action = LINE_ACTION[action]
    eligible = _lines(case, orders.ACTION_FROM[line_action])
    busy = orders.open_orders_of(service.id for service in eligible) if eligible else {}
    notes = [
        in_english(
            _l(
                "%(line)s left out: order %(order)s is changing it",
                line=s.service_id,
                order=busy[s.id],
            )
        )
        for s in eligible
        if s.id in busy
    ]
    by_account: dict[int, list[Service]] = defaultdict(list)
    for service in eligible:
        if service.id not in busy:
            by_account[service.account_id].append(service)
    made = []
    for account_id, services in by_account.items():
        lines = [{"action": line_action, "service_id": s.service_id} for s in services]
        if line_action == LineAction.TERMINATE:
            for line in lines:
                line["reason"] = "non_payment"
        made.append(
            orders.carry_out(
                db.session.get(BillingAccount, account_id),
                lines,
                OrderSource.DUNNING,
                str(case),
            )
        )
    if not eligible:
        notes.append(in_english(_l("no line to change")))
    return made, "; ".join(notes) or None


def progress(step: DunningCaseStep) -> None:
    """A pending step is done once the network has done all its orders; a failed order
    is sent again."""
    if step.status != StepStatus.PENDING:
        return
    for order in step.orders:
        if order.status == OrderStatus.FAILED:
            orders.retry(order)  # commits: the tasks go again whatever happens next
    statuses = {order.status for order in step.orders}
    if statuses <= {OrderStatus.COMPLETED, OrderStatus.CANCELLED}:
        step.status = StepStatus.DONE
        step.done_at = utcnow()
        if OrderStatus.CANCELLED in statuses:
            step.note = _join(step.note, in_english(_l("an order was cancelled")))


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
    by_account: dict[int, list[Service]] = defaultdict(list)
    for service in dict.fromkeys(moved):
        if service.id not in busy:
            by_account[service.account_id].append(service)
    refs = []
    for account_id, services in by_account.items():
        order = orders.carry_out(
            db.session.get(BillingAccount, account_id),
            [{"action": LineAction.RESUME, "service_id": s.service_id} for s in services],
            OrderSource.DUNNING,
            in_english(_l("restored: the account has paid")),
        )
        refs.append(order.ref)
    return ", ".join(refs) or None
