"""Provisioning: each approved order line becomes a task that an adapter sends to the
network until the network confirms it (`flask provisioning run` and the scheduler, every
minute).

A task is claimed with a conditional UPDATE and a lease, so two workers never send it at
once and a crashed worker's task is picked up after the lease. Only a confirmed request
changes the line — its status, number and dates move in the same transaction that marks
the task done, so a line is never half activated. Timeouts and 5xx answers are retried
with exponential backoff up to PROVISIONING_MAX_ATTEMPTS; then, or on a refusal, the task
and its order fail with the error and wait for a technician's retry.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models.catalog import Product
from app.models.crm import ServiceStatus
from app.models.orders import (
    LineAction,
    Order,
    OrderLine,
    OrderStatus,
    ProvisioningTask,
    TaskStatus,
)
from app.models.types import utcnow
from app.services.orders import lifecycle
from app.services.orders import provisioning_adapters as adapters
from app.services.orders.moves import lock_order, move
from app.services.platform.errors import DomainError
from app.services.platform.retry import backoff

# what the network is asked to do for each kind of order line
NETWORK_ACTION = {
    LineAction.ADD: "activate",
    LineAction.CHANGE_PRODUCT: "change_product",
    LineAction.BAR: "bar_outgoing",
    LineAction.SUSPEND: "suspend",
    LineAction.RESUME: "resume",
    LineAction.TERMINATE: "terminate",
}
STATUS_AFTER = {
    LineAction.ADD: ServiceStatus.ACTIVE,
    LineAction.BAR: ServiceStatus.BARRED,
    LineAction.SUSPEND: ServiceStatus.SUSPENDED,
    LineAction.RESUME: ServiceStatus.ACTIVE,
    LineAction.TERMINATE: ServiceStatus.TERMINATED,
}
BATCH = 200
log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    done: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"done {self.done}, retrying {self.retrying}, failed {self.failed}"


def create_task(line: OrderLine) -> ProvisioningTask:
    """The request is fixed when the line is approved: every attempt sends the same body
    with the same idempotency key."""
    service = line.service
    account = line.order.account
    product = db.session.scalar(
        db.select(Product).where(Product.code == (line.product_code or service.product_code))
    )
    key = uuid.uuid4().hex
    request = task_request(
        key,
        line.order.ref,
        line.action,
        service.service_id,
        product.line_type if product else None,
        line.product_code or service.product_code,
        (account.customer.region.code, account.ref, account.customer.ref),
        previous_product=service.product_code,
        reason=line.reason,
    )
    task = ProvisioningTask(
        line=line,
        service=service,
        action=NETWORK_ACTION[line.action],
        idempotency_key=key,
        request=request,
        status=TaskStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(task)
    return task


def task_request(
    key: str,
    order_ref: str,
    action: str,
    service_number: str,
    line_type: str | None,
    product_code: str,
    where: tuple[str, str, str],
    previous_product: str | None = None,
    reason: str | None = None,
) -> dict:
    """The body the network gets for an order line: `where` is (region code, account ref,
    customer ref)."""
    region, account, customer = where
    request = {
        "idempotency_key": key,
        "order": order_ref,
        "action": NETWORK_ACTION[action],
        "service_id": service_number,
        "line_type": line_type,
        "product_code": product_code,
        "region": region,
        "account": account,
        "customer": customer,
    }
    if action == LineAction.CHANGE_PRODUCT:
        request["previous_product_code"] = previous_product
    if reason:
        request["reason"] = reason
    return request


def _due(now: datetime):
    return (
        ProvisioningTask.status == TaskStatus.PENDING,
        ProvisioningTask.next_attempt_at <= now,
        or_(ProvisioningTask.locked_until.is_(None), ProvisioningTask.locked_until < now),
    )


def run_due(now: datetime | None = None, adapter=None, task_ids=None) -> RunSummary:
    """Send every task that is due (of `task_ids` only, when given) once."""
    config = current_app.config
    adapter = adapter or adapters.from_config(config)
    now = now or utcnow()
    summary = RunSummary()
    last_id = 0
    while True:
        query = db.select(ProvisioningTask.id).where(*_due(now), ProvisioningTask.id > last_id)
        if task_ids is not None:
            query = query.where(ProvisioningTask.id.in_(task_ids))
        ids = db.session.scalars(query.order_by(ProvisioningTask.id).limit(BATCH)).all()
        db.session.rollback()
        if not ids:
            return summary
        for task_id in ids:
            outcome = _process(task_id, adapter, now, config)
            if outcome is not None:
                setattr(summary, outcome, getattr(summary, outcome) + 1)
        last_id = ids[-1]


def _claim(task_id: int, now: datetime, lease_until: datetime) -> bool:
    result = db.session.execute(
        update(ProvisioningTask)
        .where(ProvisioningTask.id == task_id, *_due(now))
        .values(locked_until=lease_until, attempts=ProvisioningTask.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _still_ours(task_id: int, lease_until: datetime) -> bool:
    """Whether this worker still holds the task (not cancelled, not re-claimed after an
    expired lease); the UPDATE holds its row until the transaction ends."""
    result = db.session.execute(
        update(ProvisioningTask)
        .where(
            ProvisioningTask.id == task_id,
            ProvisioningTask.status == TaskStatus.PENDING,
            ProvisioningTask.locked_until == lease_until,
        )
        .values(locked_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _process(task_id: int, adapter, now: datetime, config) -> str | None:
    lease = timedelta(seconds=config["PROVISIONING_TIMEOUT"] * 2 + 60)
    # the lease counts from the claim itself, not from the start of a long run
    lease_until = max(now, utcnow()) + lease
    if not _claim(task_id, now, lease_until):
        return None  # another worker has it
    task = db.session.get(ProvisioningTask, task_id)
    order_id, request = task.line.order_id, dict(task.request)
    _start_order(order_id)
    try:
        answer = adapter.send(request)
    except adapters.TemporaryFailure as exc:
        return _attempt_failed(task_id, lease_until, str(exc), now, config, temporary=True)
    except adapters.PermanentFailure as exc:
        return _attempt_failed(task_id, lease_until, str(exc), now, config, refused=True)
    except Exception as exc:  # an adapter's own fault: counted as an attempt, not a crash
        log.exception("provisioning task %s", task_id)
        return _attempt_failed(task_id, lease_until, repr(exc), now, config, temporary=True)
    try:
        order = lock_order(order_id)
        if not _still_ours(task_id, lease_until):
            db.session.rollback()
            return None
        _carry_out(db.session.get(ProvisioningTask, task_id), answer, adapter.name, now)
        settle(order)
        db.session.commit()
    except DomainError as exc:
        # the network did it, but the line can no longer follow (changed meanwhile)
        db.session.rollback()
        return _attempt_failed(task_id, lease_until, exc.message, now, config)
    return "done"


def _start_order(order_id: int) -> None:
    order = lock_order(order_id)
    if order.status == OrderStatus.APPROVED:
        move(order, OrderStatus.PROVISIONING)
    db.session.commit()


def _carry_out(task: ProvisioningTask, answer: str, adapter_name: str, now: datetime) -> None:
    line = task.line
    reason = f"{line.order.ref} · {line.reason}" if line.reason else line.order.ref
    if line.action == LineAction.CHANGE_PRODUCT:
        lifecycle.change_product(task.service, line.product_code, reason=reason)
    else:
        lifecycle.change_status(task.service, STATUS_AFTER[line.action], reason=reason)
    task.status = TaskStatus.DONE
    task.completed_at = now
    task.response = answer[:1000] if answer else None
    task.adapter = adapter_name
    task.locked_until = None
    task.last_error = None
    db.session.flush()


def settle(order: Order, reason: str | None = None) -> None:
    """An order being carried out follows its tasks: failed while one of them has failed,
    completed when all are done, else provisioning."""
    if order.status not in (OrderStatus.PROVISIONING, OrderStatus.FAILED):
        return
    db.session.flush()
    statuses = set(
        db.session.scalars(
            db.select(ProvisioningTask.status)
            .join(OrderLine, ProvisioningTask.line_id == OrderLine.id)
            .where(OrderLine.order_id == order.id)
        )
    )
    if TaskStatus.FAILED in statuses:
        target = OrderStatus.FAILED
    elif statuses == {TaskStatus.DONE}:
        target = OrderStatus.COMPLETED
    else:
        target = OrderStatus.PROVISIONING
    if target != order.status:
        move(order, target, reason)


def _attempt_failed(
    task_id, lease_until, error: str, now, config, temporary=False, refused=False
) -> str | None:
    db.session.rollback()
    task = db.session.get(ProvisioningTask, task_id)
    order = lock_order(task.line.order_id)
    if not _still_ours(task_id, lease_until):
        db.session.rollback()
        return None
    db.session.refresh(task)
    task.last_error = error[:1000]
    task.locked_until = None
    if temporary and task.attempts < config["PROVISIONING_MAX_ATTEMPTS"]:
        task.next_attempt_at = now + backoff(
            task.attempts, config["PROVISIONING_BACKOFF"], config["PROVISIONING_BACKOFF_MAX"]
        )
        db.session.commit()
        return "retrying"
    task.status = TaskStatus.FAILED
    task.refused = refused
    settle(order, f"{task.service.service_id}: {error}")
    db.session.commit()
    return "failed"


def retry(tasks, now: datetime | None = None) -> int:
    """Send failed tasks (and tasks waiting for their next attempt) again now; a request
    the network refused goes under a new idempotency key, since the gateway answers a
    repeated key with its first answer. An order with no failed task left is provisioning
    again."""
    now = now or utcnow()
    retried = 0
    try:
        for task in tasks:
            order = lock_order(task.line.order_id)
            db.session.refresh(task)
            if task.status not in (TaskStatus.FAILED, TaskStatus.PENDING):
                continue
            if task.locked_until is not None and task.locked_until > now:
                continue  # being sent right now
            task.status = TaskStatus.PENDING
            task.attempts = 0
            task.next_attempt_at = now
            if task.refused:
                task.idempotency_key = uuid.uuid4().hex
                task.request = {**task.request, "idempotency_key": task.idempotency_key}
                task.refused = False
            settle(order)
            retried += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return retried


def cancel_task(task: ProvisioningTask, now: datetime | None = None) -> bool:
    """Cancel a task not yet confirmed; False when a worker is sending it right now."""
    now = now or utcnow()
    result = db.session.execute(
        update(ProvisioningTask)
        .where(
            ProvisioningTask.id == task.id,
            ProvisioningTask.status.in_((TaskStatus.PENDING, TaskStatus.FAILED)),
            or_(ProvisioningTask.locked_until.is_(None), ProvisioningTask.locked_until < now),
        )
        .values(status=TaskStatus.CANCELLED, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        set_committed_value(task, "status", TaskStatus.CANCELLED)
    return result.rowcount == 1
