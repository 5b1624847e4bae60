"""The moves an order may make, each kept with who, when and why."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models.orders import Order, OrderStatus, OrderStatusChange
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError

OS = OrderStatus
MOVES = {
    OS.DRAFT: {OS.SUBMITTED, OS.CANCELLED},
    OS.SUBMITTED: {OS.APPROVED, OS.REJECTED, OS.CANCELLED},
    # an order with nothing for the network (bill_to lines alone) is done on approval
    OS.APPROVED: {OS.PROVISIONING, OS.COMPLETED, OS.CANCELLED},
    OS.PROVISIONING: {OS.COMPLETED, OS.FAILED},
    OS.FAILED: {OS.PROVISIONING, OS.CANCELLED},
    OS.COMPLETED: set(),
    OS.REJECTED: set(),
    OS.CANCELLED: set(),
}
# orders that hold their lines: no other order may change those lines meanwhile
REASON_LENGTH = 1000
OPEN = (OS.SUBMITTED, OS.APPROVED, OS.PROVISIONING, OS.FAILED)


def move(order: Order, to_status: str, reason: str | None = None) -> None:
    """Move the order on, first thing in a transaction: the conditional UPDATE makes a
    second user acting on the same order at the same moment wait, then fail cleanly."""
    reason = reason[:REASON_LENGTH] if reason else None
    current = OrderStatus(order.status)
    if to_status not in MOVES[current]:
        raise DomainError(
            "status",
            _l("a %(current)s order cannot become %(target)s", current=current, target=to_status),
        )
    values = {"status": to_status} if reason is None else {"status": to_status, "reason": reason}
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError("status", _l("the order was changed meanwhile: reload it"))
    db.session.add(
        OrderStatusChange(
            order=order,
            from_status=current,
            to_status=to_status,
            reason=reason,
            username=current_username(),
        )
    )
    set_committed_value(order, "status", to_status)
    if reason is not None:
        set_committed_value(order, "reason", reason)


def lock_order(order_id: int) -> Order:
    """The order, fresh and locked until the transaction ends (on PostgreSQL; SQLite
    writes one at a time anyway): whoever moves an order on or settles its tasks takes this
    lock first, so two workers finishing its last two tasks cannot both miss the end."""
    db.session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(updated_at=Order.updated_at)
        .execution_options(synchronize_session=False)
    )
    order = db.session.get(Order, order_id)
    db.session.refresh(order)
    return order
