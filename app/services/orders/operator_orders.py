"""Orders the operator makes itself — dunning's barring, suspension, termination and
restoring — many at once (a dunning run may bar thousands of lines). Each is approved as
it is made, with no credit check (it only restricts, restores or ends lines), and its
lines are handed to provisioning like any order's; written set-based, in the caller's
transaction.

The caller chooses the lines: each must allow the action (`orders.ACTION_FROM`) and have no
other open order (`orders.open_orders_of`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.models.catalog import Product
from app.models.crm import BillingAccount, Customer, Region, Service
from app.models.orders import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    ProvisioningTask,
    TaskStatus,
)
from app.models.types import utcnow
from app.services.orders.provisioning import NETWORK_ACTION, task_request
from app.services.platform import bulk
from app.services.platform.actor import current_username


@dataclass
class Request:
    account_id: int
    action: str  # a LineAction
    service_ids: list[int]  # the lines (service rows) of the account
    note: str
    reason: str | None = None  # a termination's TerminationReason


def carry_out(requests: list[Request], source: str) -> list[tuple[int, str]]:
    """An approved order per request, with its lines and their provisioning tasks; the
    (id, ref) of each order, in the requests' order."""
    if not requests:
        return []
    now, username = utcnow(), current_username()
    services = _services([sid for request in requests for sid in request.service_ids])
    line_types = dict(
        db.session.execute(
            select(Product.code, Product.line_type).where(
                Product.code.in_({product for _, product, _ in services.values()})
            )
        ).all()
    )
    parties = _parties({request.account_id for request in requests})
    order_ids = bulk.insert_dicts(
        Order.__table__,
        [
            {
                "account_id": r.account_id,
                "status": OrderStatus.APPROVED,
                "source": source,
                "note": r.note,
                "created_by": username,
                "created_at": now,
                "updated_at": now,
            }
            for r in requests
        ],  # fmt: skip
        returning_ids=True,
    )
    refs = [f"ORD-{order_id:06d}" for order_id in order_ids]
    db.session.execute(
        update(Order.__table__).where(Order.__table__.c.id == bindparam("order_id")),
        [{"order_id": order_id, "ref": ref} for order_id, ref in zip(order_ids, refs, strict=True)],
    )
    bulk.insert_dicts(
        OrderStatusChange.__table__,
        [
            {
                "order_id": order_id,
                "at": now,
                "from_status": "",
                "to_status": OrderStatus.APPROVED,
                "reason": request.note,
                "username": username,
            }
            for order_id, request in zip(order_ids, requests, strict=True)
        ],  # fmt: skip
    )
    lines = [
        (order_id, ref, request, service_id)
        for order_id, ref, request in zip(order_ids, refs, requests, strict=True)
        for service_id in request.service_ids
    ]
    line_ids = bulk.insert_dicts(
        OrderLine.__table__,
        [
            {
                "order_id": order_id,
                "action": request.action,
                "service_id": service_id,
                "reason": request.reason,
            }
            for order_id, _, request, service_id in lines
        ],  # fmt: skip
        returning_ids=True,
    )
    tasks = []
    for line_id, (_, ref, request, service_id) in zip(line_ids, lines, strict=True):
        number, product, account_id = services[service_id]
        key = uuid.uuid4().hex
        body = task_request(key, ref, request.action, number, line_types.get(product), product,
                            parties[account_id], reason=request.reason)  # fmt: skip
        tasks.append({
            "line_id": line_id, "service_id": service_id,
            "action": NETWORK_ACTION[request.action], "idempotency_key": key, "request": body,
            "status": TaskStatus.PENDING, "attempts": 0, "next_attempt_at": now,
            "refused": False, "created_at": now, "updated_at": now,
        })  # fmt: skip
    bulk.insert_dicts(ProvisioningTask.__table__, tasks)
    return list(zip(order_ids, refs, strict=True))


def _services(ids: list[int]) -> dict[int, tuple[str, str, int]]:
    """Each line's number, product and account, by its row id."""
    rows = db.session.execute(
        select(Service.id, Service.service_id, Service.product_code, Service.account_id).where(
            bulk.among(Service.id, ids)
        )
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def _parties(account_ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """Each account's (region code, account ref, customer ref), as a task's request says."""
    rows = db.session.execute(
        select(BillingAccount.id, Region.code, BillingAccount.ref, Customer.ref)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
        .where(bulk.among(BillingAccount.id, list(account_ids)))
    )
    return {row[0]: tuple(row[1:]) for row in rows}
