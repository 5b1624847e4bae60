"""Orders: draft → submitted → approved → provisioning → completed, or rejected, cancelled
or failed with the reason. Every move is kept with who, when and why.

Lines are checked when they are entered and again on submission; approval adds the credit
checks (products the account's credit class may buy, its line limit, its credit limit),
reserves the numbers of new lines and hands each line to provisioning. A `bill_to` line
(another account billed to the order's, docs/billing.md) is carried out on approval, with
nothing sent to the network: an order of such lines alone is completed then.
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.acquisition import CreditClass
from app.models.catalog import Product
from app.models.crm import BillingAccount, PaymentMode, Service, ServiceStatus
from app.models.numbers import NumberRange, NumberStatus, PhoneNumber
from app.models.orders import (
    LineAction,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    OrderStatusChange,
    TaskStatus,
    TerminationReason,
)
from app.services.crm import consolidation
from app.services.crm import customer_rules as rules
from app.services.crm.customers import resolve_ref
from app.services.orders import lifecycle, number_pool, provisioning
from app.services.orders.moves import OPEN, move
from app.services.platform import bulk, validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.money import round_money
from app.services.platform.scoping import scoped

OS = OrderStatus
LINE_FIELDS = ("action", "product_code", "service_id", "number", "reason", "account_ref")
S = ServiceStatus
# the statuses a line must be in for each change
ACTION_FROM = {
    LineAction.CHANGE_PRODUCT: {S.PENDING, S.ACTIVE, S.BARRED, S.SUSPENDED},
    LineAction.BAR: {S.ACTIVE},
    LineAction.SUSPEND: {S.ACTIVE, S.BARRED},
    LineAction.RESUME: {S.SUSPENDED, S.BARRED},
    LineAction.TERMINATE: {S.PENDING, S.ACTIVE, S.BARRED, S.SUSPENDED},
}


def get(order_id: int, region_ids) -> Order:
    """An order the user may see (its account's customer is in the user's regions)."""
    accounts = scoped(db.select(BillingAccount.id), BillingAccount, region_ids)
    order = db.session.scalar(
        db.select(Order)
        .where(Order.id == order_id, Order.account_id.in_(accounts))
        .options(
            selectinload(Order.lines).selectinload(OrderLine.service),
            selectinload(Order.lines).selectinload(OrderLine.task),
            selectinload(Order.changes),
        )
    )
    if order is None:
        raise NotFound("order", _l("not found"))
    return order


def create(
    account_ref: str,
    region_ids,
    lines: list[dict] = (),
    source: str = OrderSource.STAFF,
    note: str | None = None,
) -> Order:
    """A draft order for a billing account, with its lines (dicts of `add_line`'s
    arguments); nothing is stored when any of them is refused."""
    validation.required("account", account_ref)
    try:
        account = resolve_ref(BillingAccount, account_ref, region_ids, "account")
        order = draft(account, lines, source, note)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return order


def draft(account: BillingAccount, lines, source: str, note: str | None) -> Order:
    """The draft order with its lines, in the caller's transaction (flushed, not
    committed): customer acquisition opens the customer, the account and the order in
    one."""
    validation.check_choice("source", source, list(OrderSource))
    order = Order(
        account=account,
        status=OS.DRAFT,
        source=source,
        note=validation.check_length(
            Order, "note", validation.check_text("note", note, True) or None
        ),
        created_by=current_username(),
    )
    db.session.add(order)
    with db.session.no_autoflush:
        for number, line in enumerate(lines, start=1):
            try:
                _add_line(order, **_line_fields(line))
            except DomainError as exc:
                raise DomainError(f"lines[{number}].{exc.field}", exc.reason) from None
    db.session.flush()
    order.ref = f"ORD-{order.id:06d}"
    db.session.add(
        OrderStatusChange(
            order=order,
            from_status="",
            to_status=OS.DRAFT,
            username=current_username(),
        )
    )
    return order


def _line_fields(line: dict) -> dict:
    unknown = sorted(set(line) - set(LINE_FIELDS))
    if unknown:
        raise DomainError(unknown[0], _l("unknown field"))
    return {field: value for field, value in line.items() if value not in (None, "")}


def add_line(order: Order, **line) -> OrderLine:
    try:
        with db.session.no_autoflush:
            added = _add_line(order, **_line_fields(line))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return added


def remove_line(order: Order, line_id: int) -> None:
    _require_status(order, OS.DRAFT)
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("line", _l("not found"))
    order.lines.remove(line)
    db.session.commit()


def _require_status(order: Order, *statuses: str) -> None:
    if order.status not in statuses:
        raise DomainError("status", _l("the order is %(status)s", status=OrderStatus(order.status)))


def _add_line(
    order: Order,
    action: str | None = None,
    product_code: str | None = None,
    service_id: str | None = None,
    number: str | None = None,
    reason: str | None = None,
    account_ref: str | None = None,
) -> OrderLine:
    _require_status(order, OS.DRAFT)
    validation.check_choice("action", validation.required("action", action), list(LineAction))
    line = OrderLine(action=action)
    if action == LineAction.BILL_TO:
        line.account = _billed_account(order, account_ref)
    elif action == LineAction.ADD:
        product = _product_for(order.account, product_code)
        line.product_code = product.code
        if number:
            line.number = _wanted_number(order, product, number)
    else:
        service = _service_of(order.account, service_id)
        if any(other.service_id == service.id for other in order.lines):
            raise DomainError(
                "service_id", _l("%(ref)s is already in this order", ref=service.service_id)
            )
        line.service = service
        _check_action_allowed(action, service)
        if action == LineAction.CHANGE_PRODUCT:
            product = _product_for(order.account, product_code)
            current = _product(service.product_code)
            if product.code == service.product_code:
                raise DomainError("product_code", _l("the line has this product already"))
            if current is not None and current.line_type != product.line_type:
                raise DomainError(
                    "product_code", _l("a %(type)s product is needed", type=current.line_type)
                )
            line.product_code = product.code
        if action == LineAction.TERMINATE:
            line.reason = validation.check_choice(
                "reason", validation.required("reason", reason), list(TerminationReason)
            )
    order.lines.append(line)
    return line


def _billed_account(order: Order, account_ref: str | None) -> BillingAccount:
    """The account a `bill_to` line bills to the order's: one of the same customer group's
    (the same region, which check_bill_to requires), once per order."""
    validation.required("account_ref", account_ref)
    account = db.session.scalar(
        db.select(BillingAccount).where(BillingAccount.ref == account_ref.strip())
    )
    if account is None or account.customer.region_id != order.account.customer.region_id:
        raise DomainError("account_ref", _l("unknown account %(ref)s", ref=account_ref))
    if any(line.account is account for line in order.lines):
        raise DomainError("account_ref", _l("%(ref)s is already in this order", ref=account.ref))
    consolidation.check(account, order.account, "account_ref")
    return account


def _product(code: str | None) -> Product | None:
    return db.session.scalar(db.select(Product).where(Product.code == code)) if code else None


def _product_for(account: BillingAccount, code: str | None) -> Product:
    product = _product(validation.required("product_code", code))
    if product is None:
        raise DomainError("product_code", _l("unknown product %(code)s", code=repr(code)))
    rules.check_line_product(account, product)
    return product


def _service_of(account: BillingAccount, service_id: str | None) -> Service:
    validation.required("service_id", service_id)
    service = db.session.scalar(
        db.select(Service).where(
            Service.service_id == service_id.strip(), Service.account_id == account.id
        )
    )
    if service is None:
        raise DomainError(
            "service_id",
            _l("%(ref)s is not a line of account %(account)s", ref=service_id, account=account.ref),
        )
    return service


def _check_action_allowed(action: str, service: Service) -> None:
    if service.status not in ACTION_FROM[action]:
        raise DomainError(
            "service_id",
            _l(
                "%(ref)s is %(status)s: it cannot be changed that way",
                ref=service.service_id,
                status=ServiceStatus(service.status),
            ),
        )


def _wanted_number(order: Order, product: Product, number: str) -> str:
    """A number the customer picked must be free in a pool of the account's region for the
    product's kind of line."""
    account = order.account
    number = validation.check_service_id(number.strip())
    if any(line.number == number for line in order.lines):
        raise DomainError("number", _l("%(ref)s is already in this order", ref=number))
    free = db.session.scalar(
        db.select(PhoneNumber.id)
        .join(NumberRange, PhoneNumber.range_id == NumberRange.id)
        .where(
            PhoneNumber.number == number,
            PhoneNumber.status == NumberStatus.FREE,
            NumberRange.region_id == account.customer.region_id,
            NumberRange.line_type == product.line_type,
        )
    )
    if free is None:
        raise DomainError(
            "number", _l("%(number)s is not a free number of this region", number=number)
        )
    return number


def submit(order: Order) -> None:
    _require_status(order, OS.DRAFT)
    if not order.lines:
        raise DomainError("lines", _l("an order needs at least one line"))
    _recheck_lines(order)
    move(order, OS.SUBMITTED)
    db.session.commit()


def _recheck_lines(order: Order) -> None:
    """Lines may have gone stale since they were entered: a line changed by another order,
    a number taken meanwhile."""
    for line in order.lines:
        if line.account is not None:
            consolidation.check(line.account, order.account, "account_ref")
            _check_not_busy(order, OrderLine.account_id == line.account_id, line.account.ref)
        if line.service is not None:
            _check_action_allowed(line.action, line.service)
            busy = db.session.scalar(
                db.select(Order.ref)
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(
                    OrderLine.service_id == line.service_id,
                    Order.id != order.id,
                    Order.status.in_(OPEN),
                )
            )
            if busy is not None:
                raise DomainError(
                    "service_id",
                    _l(
                        "%(ref)s has an open order %(order)s",
                        ref=line.service.service_id,
                        order=busy,
                    ),
                )


def _check_not_busy(order: Order, same, ref: str) -> None:
    """No other open order may be changing what this line changes."""
    busy = db.session.scalar(
        db.select(Order.ref)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(same, Order.id != order.id, Order.status.in_(OPEN))
    )
    if busy is not None:
        raise DomainError(
            "account_ref", _l("%(ref)s has an open order %(order)s", ref=ref, order=busy)
        )


def credit_refusals(order: Order) -> list[str]:
    """Why the account's credit standing does not allow the order (empty: it does): a
    product its credit class may not buy, a product bought on an account of a payment mode
    the class does not allow, more open lines than the class allows, or monthly charges
    beyond its credit limit (postpaid) once the order is carried out."""
    account = order.account
    refusals = []
    for line in order.lines:
        if line.product_code:
            product = _product(line.product_code)
            if product.min_credit_class and account.credit_class > product.min_credit_class:
                refusals.append(
                    str(
                        _l(
                            "credit class %(cls)s may not buy %(code)s (class %(min)s or better)",
                            cls=account.credit_class,
                            code=product.code,
                            min=product.min_credit_class,
                        )
                    )
                )
    lines_after = _open_lines_after(order)
    policy = db.session.scalar(
        db.select(CreditClass).where(CreditClass.code == account.credit_class)
    )
    buys = any(line.product_code for line in order.lines)
    if policy is not None and buys and account.payment_mode not in policy.payment_modes:
        refusals.append(
            str(
                _l(
                    "credit class %(cls)s does not allow %(mode)s accounts",
                    cls=account.credit_class,
                    mode=account.payment_mode,
                )
            )
        )
    if policy is not None and len(lines_after) > policy.max_lines:
        refusals.append(
            str(
                _l(
                    "%(n)s open lines, credit class %(cls)s allows %(max)s",
                    n=len(lines_after),
                    cls=account.credit_class,
                    max=policy.max_lines,
                )
            )
        )
    if account.payment_mode == PaymentMode.POSTPAID and account.credit_limit is not None:
        exposure = _monthly_exposure(order, lines_after)
        if exposure > account.credit_limit:
            refusals.append(
                str(
                    _l(
                        "monthly charges of %(amount)s %(currency)s exceed the credit limit "
                        "of %(limit)s",
                        amount=exposure,
                        currency=account.currency,
                        limit=round_money(account.credit_limit, account.currency),
                    )
                )
            )
    return refusals


def _open_lines_after(order: Order) -> list[str | None]:
    """The product code of each line the account will hold open once the order is done."""
    changes = {line.service_id: line for line in order.lines if line.service_id}
    held = []
    for service in db.session.scalars(
        db.select(Service).where(
            Service.account_id == order.account_id, Service.status != ServiceStatus.TERMINATED
        )
    ):
        line = changes.get(service.id)
        if line is not None and line.action == LineAction.TERMINATE:
            continue
        if line is not None and line.action == LineAction.CHANGE_PRODUCT:
            held.append(line.product_code)
        else:
            held.append(service.product_code)
    held += [line.product_code for line in order.lines if line.action == LineAction.ADD]
    return held


def _monthly_exposure(order: Order, lines_after: list[str | None]) -> Decimal:
    """Monthly fees of the lines held afterwards, plus this order's activation fees."""
    fees = dict(
        db.session.execute(
            db.select(Product.code, Product.monthly_fee).where(Product.code.in_(set(lines_after)))
        ).all()
    )
    total = sum((fees.get(code, Decimal(0)) for code in lines_after), Decimal(0))
    for line in order.lines:
        if line.action == LineAction.ADD:
            total += _product(line.product_code).activation_fee
    return round_money(total, order.account.currency)


def approve(order: Order) -> list[str]:
    """Approve a submitted order, or reject it with the credit refusals (returned). On
    approval new lines get their numbers and pending services, and every line its
    provisioning task; a number that cannot be had leaves the order submitted."""
    _require_status(order, OS.SUBMITTED)
    try:
        # two orders of one account approved at once must not both fit its limits
        _lock_account(order.account_id)
        _recheck_lines(order)
        refusals = credit_refusals(order)
        if refusals:
            move(order, OS.REJECTED, "; ".join(refusals))
        else:
            move(order, OS.APPROVED)
            for line in order.lines:
                if line.action == LineAction.BILL_TO:
                    consolidation.bill_to(line.account, order.account)
                    continue
                if line.action == LineAction.ADD:
                    _open_new_line(order, line)
                provisioning.create_task(line)
            if all(line.action == LineAction.BILL_TO for line in order.lines):
                move(order, OS.COMPLETED)  # nothing for the network to do
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return refusals


def open_orders_of(service_ids) -> dict[int, str]:
    """The lines (by service id) an open order is changing, with that order's ref."""
    service_ids = list(service_ids)
    if not service_ids:
        return {}
    rows = db.session.execute(
        db.select(OrderLine.service_id, Order.ref)
        .join(Order, OrderLine.order_id == Order.id)
        .where(bulk.among(OrderLine.service_id, service_ids), Order.status.in_(OPEN))
    )
    return dict(rows.all())


def _lock_account(account_id: int) -> None:
    db.session.execute(
        update(BillingAccount)
        .where(BillingAccount.id == account_id)
        .values(updated_at=BillingAccount.updated_at)
        .execution_options(synchronize_session=False)
    )


def _open_new_line(order: Order, line: OrderLine) -> None:
    account = order.account
    product = _product(line.product_code)
    if line.number:
        number_pool.reserve_number(line.number)
    else:
        line.number = number_pool.reserve(account.customer.region_id, product.line_type)
    line.service = Service(
        service_id=line.number,
        account=account,
        product_code=product.code,
        status=ServiceStatus.PENDING,
    )
    db.session.add(line.service)


def _reason(reason: str | None) -> str:
    return validation.check_length(
        Order,
        "reason",
        validation.check_text("reason", validation.required("reason", reason), True),
    )


def reject(order: Order, reason: str) -> None:
    _require_status(order, OS.SUBMITTED)
    move(order, OS.REJECTED, _reason(reason))
    db.session.commit()


def cancel(order: Order, reason: str) -> None:
    """Withdraw an order not yet carried out, or give up a failed one: lines the network
    has not confirmed are dropped, new lines never activated end with their number
    released. Lines already carried out stay as they are."""
    try:
        withdraw(order, reason)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def withdraw(order: Order, reason: str) -> None:
    """`cancel` in the caller's transaction (flushed, not committed); DomainError when a
    line is being sent to the network right now."""
    reason = _reason(reason)
    move(order, OS.CANCELLED, reason)
    for line in order.lines:
        task = line.task
        if task is None:
            continue
        db.session.refresh(task)
        if task.status == TaskStatus.DONE:
            continue
        if not provisioning.cancel_task(task):
            raise DomainError(
                "status", _l("a line is being sent to the network: try again shortly")
            )
        if line.action == LineAction.ADD and line.service.status == ServiceStatus.PENDING:
            lifecycle.change_status(line.service, ServiceStatus.TERMINATED, reason=order.ref)


def retry(order: Order) -> int:
    """Send a failed order's failed tasks again."""
    _require_status(order, OS.FAILED)
    return provisioning.retry([line.task for line in order.lines if line.task is not None])


# what staff may decide on an order (screens and API): the service call, whether the
# decision needs a reason, and the status it leads to
DECISIONS = {
    "submit": (submit, False, OS.SUBMITTED),
    "approve": (approve, False, OS.APPROVED),
    "reject": (reject, True, OS.REJECTED),
    "cancel": (cancel, True, OS.CANCELLED),
}


def search(
    region_ids, status: str | None = None, account_ref: str | None = None, page=0, page_size=50
) -> tuple[int, list[Order]]:
    """A page of the orders of the regions, newest first, and how many there are in all."""
    query = scoped(db.select(Order), Order, region_ids)
    if status:
        query = query.where(Order.status == status)
    if account_ref:
        query = query.where(Order.account.has(BillingAccount.ref == account_ref.strip()))
    count = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    found = db.session.scalars(
        query.options(
            selectinload(Order.account).selectinload(BillingAccount.customer),
            selectinload(Order.lines).selectinload(OrderLine.service),
            selectinload(Order.lines).selectinload(OrderLine.task),
            selectinload(Order.changes),
        )
        .order_by(Order.id.desc())
        .limit(page_size)
        .offset(page * page_size)
    )
    return count, list(found)
