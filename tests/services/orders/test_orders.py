"""Orders from draft to completed, the credit checks of approval, and every refusal."""

import threading
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.crm import Service, ServiceProductChange, ServiceStatusChange
from app.models.numbers import PhoneNumber
from app.models.orders import Order, OrderStatusChange, ProvisioningTask
from app.services.orders import lifecycle, orders, provisioning
from app.services.orders.provisioning_adapters import LogAdapter
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from tests.helpers import add_pool, ordering_customer


def _carry_out(order: Order) -> Order:
    assert orders.approve(order) == []
    provisioning.run_due(adapter=LogAdapter())
    db.session.expire_all()
    return db.session.get(Order, order.id)


def _line(number: str) -> Service:
    return db.session.scalar(db.select(Service).where(Service.service_id == number))


def test_a_new_line_goes_from_draft_to_active_with_its_history(ctx, tmp_path):
    ordering_customer(tmp_path)
    with acting_as("csr"):
        order = orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
        assert (order.ref, order.status, order.created_by) == (
            f"ORD-{order.id:06d}",
            "draft",
            "csr",
        )
        orders.submit(order)
        assert orders.approve(order) == []
    line = order.lines[0]
    assert line.number == "393400000000"  # the lowest free number of the region's pool
    assert line.service.status == "pending"
    assert (
        db.session.scalar(db.select(PhoneNumber.status).where(PhoneNumber.number == line.number))
        == "reserved"
    )

    assert str(provisioning.run_due(adapter=LogAdapter())) == "done 1, retrying 0, failed 0"
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    service = _line("393400000000")
    assert (order.status, service.status, service.activated_on is not None) == (
        "completed",
        "active",
        True,
    )
    assert (
        db.session.scalar(
            db.select(PhoneNumber.status).where(PhoneNumber.number == service.service_id)
        )
        == "assigned"
    )
    history = db.session.execute(
        db.select(
            OrderStatusChange.from_status, OrderStatusChange.to_status, OrderStatusChange.username
        )
        .where(OrderStatusChange.order_id == order.id)
        .order_by(OrderStatusChange.id)
    ).all()
    assert history == [
        ("", "draft", "csr"),
        ("draft", "submitted", "csr"),
        ("submitted", "approved", "csr"),
        ("approved", "provisioning", "system"),
        ("provisioning", "completed", "system"),
    ]
    assert (
        db.session.scalar(
            db.select(ServiceStatusChange.reason).where(
                ServiceStatusChange.service_id == service.id
            )
        )
        == order.ref
    )


def test_suspend_resume_change_and_terminate_a_line(ctx, tmp_path):
    ordering_customer(tmp_path)
    steps = [
        ({"action": "suspend", "service_id": "393330000001"}, "suspended"),
        ({"action": "resume", "service_id": "393330000001"}, "active"),
        (
            {"action": "change_product", "service_id": "393330000001", "product_code": "MAX"},
            "active",
        ),
        ({"action": "terminate", "service_id": "393330000001", "reason": "moved"}, "terminated"),
    ]
    account = db.session.scalar(db.select(Service)).account
    account.credit_class = "A"
    db.session.commit()
    for line, status in steps:
        order = orders.create("A1", None, [line])
        orders.submit(order)
        assert _carry_out(order).status == "completed"
        assert _line("393330000001").status == status
    service = _line("393330000001")
    assert service.product_code == "MAX" and service.terminated_on is not None
    change = db.session.scalar(db.select(ServiceProductChange))
    assert (change.from_product, change.to_product) == ("SMART", "MAX")
    assert change.effective_on == lifecycle.region_today(service)
    assert change.reason.startswith("ORD-")
    assert service.account.customer.status == "terminated"
    reasons = db.session.scalars(
        db.select(ServiceStatusChange.reason).order_by(ServiceStatusChange.id)
    ).all()
    assert reasons[-1].endswith("· moved")


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"action": "add"}, "product_code", "required"),
        ({"action": "add", "product_code": "NOPE"}, "product_code", "unknown product"),
        ({"action": "add", "product_code": "TOPUP"}, "product_code", "is for prepaid accounts"),
        (
            {"action": "add", "product_code": "SMART", "number": "393499999999"},
            "number",
            "not a free number",
        ),
        (
            {"action": "suspend", "service_id": "393339999999"},
            "service_id",
            "is not a line of account A1",
        ),
        ({"action": "resume", "service_id": "393330000001"}, "service_id", "is active"),
        ({"action": "terminate", "service_id": "393330000001"}, "reason", "required"),
        (
            {"action": "terminate", "service_id": "393330000001", "reason": "bored"},
            "reason",
            "is not one of",
        ),
        (
            {"action": "change_product", "service_id": "393330000001", "product_code": "HOME"},
            "product_code",
            "a mobile product is needed",
        ),
        (
            {"action": "change_product", "service_id": "393330000001", "product_code": "SMART"},
            "product_code",
            "has this product already",
        ),
        ({"action": "upgrade"}, "action", "is not one of"),
    ],
)
def test_bad_lines_are_refused_with_the_field_and_nothing_is_stored(
    ctx, tmp_path, line, field, message
):
    ordering_customer(tmp_path)
    with pytest.raises(DomainError, match=message) as refused:
        orders.create("A1", None, [{"action": "add", "product_code": "SMART"}, line])
    assert refused.value.field == f"lines[2].{field}"
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0


def test_an_account_outside_the_users_regions_is_unknown(ctx, tmp_path):
    ordering_customer(tmp_path)
    with pytest.raises(DomainError, match="unknown reference 'A1'"):
        orders.create("A1", [], [])


def test_a_product_above_the_credit_class_is_rejected_with_the_reason(ctx, tmp_path):
    ordering_customer(tmp_path, credit_class="C")
    order = orders.create("A1", None, [{"action": "add", "product_code": "MAX"}])
    orders.submit(order)
    refusals = orders.approve(order)
    assert refusals == ["credit class C may not buy MAX (class B or better)"]
    assert order.status == "rejected" and order.reason == refusals[0]
    assert db.session.scalar(db.select(db.func.count(ProvisioningTask.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Service.id))) == 1
    assert (
        db.session.scalar(
            db.select(db.func.count(PhoneNumber.id)).where(PhoneNumber.status == "reserved")
        )
        == 0
    )


def test_the_line_limit_of_the_credit_class_counts_lines_held_afterwards(ctx, tmp_path):
    ordering_customer(tmp_path, credit_class="C")  # C: three lines, the account holds one
    three_more = [{"action": "add", "product_code": "SMART"}] * 3
    order = orders.create("A1", None, three_more)
    orders.submit(order)
    assert orders.approve(order) == ["4 open lines, credit class C allows 3"]
    # ending the old line in the same order keeps the account within its limit
    order = orders.create(
        "A1",
        None,
        [
            *three_more[:2],
            {"action": "terminate", "service_id": "393330000001", "reason": "other"},
        ],
    )
    orders.submit(order)
    assert orders.approve(order) == []


def test_a_class_for_prepaid_accounts_only_refuses_products_on_a_postpaid_one(ctx, tmp_path):
    ordering_customer(tmp_path, credit_class="D")  # D: prepaid only, as shipped
    order = orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
    orders.submit(order)
    assert orders.approve(order) == ["credit class D does not allow postpaid accounts"]


def test_the_credit_limit_covers_monthly_fees_and_activation_fees(ctx, tmp_path):
    # held: SMART 6.00; new: HOME 20.00 + activation 50.00 = 76.00
    ordering_customer(tmp_path, credit_class="A", credit_limit=Decimal("75.99"))
    order = orders.create("A1", None, [{"action": "add", "product_code": "HOME"}])
    orders.submit(order)
    assert orders.approve(order) == [
        "monthly charges of 76.00 EUR exceed the credit limit of 75.99"
    ]
    account = order.account
    account.credit_limit = Decimal("76.00")
    db.session.commit()
    add_pool("IT-C", "0612340000", "0612340009", line_type="fixed")
    order = orders.create("A1", None, [{"action": "add", "product_code": "HOME"}])
    orders.submit(order)
    assert orders.approve(order) == []


def test_no_pool_number_leaves_the_order_submitted(ctx, tmp_path):
    ordering_customer(tmp_path, credit_class="A")
    order = orders.create("A1", None, [{"action": "add", "product_code": "HOME"}])
    orders.submit(order)
    with pytest.raises(DomainError, match="no free fixed number in this region"):
        orders.approve(order)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "submitted" and order.lines[0].task is None


def test_a_picked_number_is_reserved_and_a_line_cannot_be_in_two_open_orders(ctx, tmp_path):
    ordering_customer(tmp_path, credit_class="A")
    order = orders.create(
        "A1", None, [{"action": "add", "product_code": "SMART", "number": "393400000042"}]
    )
    orders.submit(order)
    orders.approve(order)
    assert order.lines[0].service.service_id == "393400000042"

    first = orders.create("A1", None, [{"action": "suspend", "service_id": "393330000001"}])
    orders.submit(first)
    second = orders.create("A1", None, [{"action": "suspend", "service_id": "393330000001"}])
    with pytest.raises(DomainError, match=f"has an open order {first.ref}"):
        orders.submit(second)


def test_cancelling_an_approved_order_releases_its_numbers(ctx, tmp_path):
    ordering_customer(tmp_path)
    order = orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
    orders.submit(order)
    orders.approve(order)
    with pytest.raises(DomainError, match="reason: required"):
        orders.cancel(order, "")
    orders.cancel(order, "customer changed their mind")
    service = order.lines[0].service
    assert (order.status, order.reason) == ("cancelled", "customer changed their mind")
    assert service.status == "terminated" and service.activated_on is None
    assert order.lines[0].task.status == "cancelled"
    assert (
        db.session.scalar(
            db.select(PhoneNumber.status).where(PhoneNumber.number == service.service_id)
        )
        == "free"
    )
    assert str(provisioning.run_due(adapter=LogAdapter())) == "done 0, retrying 0, failed 0"


def test_moves_the_workflow_does_not_allow_are_refused(ctx, tmp_path):
    ordering_customer(tmp_path)
    order = orders.create("A1", None, [])
    with pytest.raises(DomainError, match="an order needs at least one line"):
        orders.submit(order)
    with pytest.raises(DomainError, match="the order is draft"):
        orders.approve(order)
    orders.add_line(order, action="add", product_code="SMART")
    orders.submit(order)
    with pytest.raises(DomainError, match="the order is submitted"):
        orders.add_line(order, action="add", product_code="SMART")
    orders.reject(order, "duplicate request")
    with pytest.raises(DomainError, match="a rejected order cannot become cancelled"):
        orders.cancel(order, "too late")


def test_a_second_user_acting_on_a_stale_order_is_refused(ctx, tmp_path):
    ordering_customer(tmp_path)
    order = orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
    orders.submit(order)
    db.session.execute(  # another user, meanwhile
        db.update(Order)
        .where(Order.id == order.id)
        .values(status="rejected")
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(DomainError, match="the order was changed meanwhile"):
        orders.approve(order)
    assert db.session.scalar(db.select(db.func.count(Service.id))) == 1


def test_two_users_approving_at_once_approve_the_order_once(app, tmp_path):
    with app.app_context(), acting_as():
        ordering_customer(tmp_path)
        order = orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
        orders.submit(order)
        order_id = order.id
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(user):
        with app.app_context(), acting_as(user):
            target = orders.get(order_id, None)
            barrier.wait()
            try:
                outcomes.append(orders.approve(target))
            except DomainError as exc:
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(u,)) for u in ("csr", "supervisor")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [] in outcomes and len(outcomes) == 2
    other = next(o for o in outcomes if o != [])
    assert other in (
        "status: the order was changed meanwhile: reload it",
        "status: the order is approved",
    )
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ProvisioningTask.id))) == 1
        assert db.session.scalar(db.select(db.func.count(Service.id))) == 2
        reserved = db.select(db.func.count(PhoneNumber.id)).where(PhoneNumber.status == "reserved")
        assert db.session.scalar(reserved) == 1


def test_the_credit_class_is_checked_and_an_account_with_orders_stays(ctx, tmp_path):
    from app.services.crm import customers

    account = ordering_customer(tmp_path)
    account.credit_class = "Z"
    with pytest.raises(DomainError, match="credit_class: 'Z' is not one of A, B, C, D, E"):
        customers.prepare_account(account, None, None, None)
    account = db.session.scalar(db.select(Service)).account
    order = orders.create("A1", None, [])
    orders.cancel(order, "empty")
    for service in account.services:
        db.session.delete(service)
    db.session.flush()
    db.session.expire(account)
    with pytest.raises(DomainError, match="account: A1 has orders"):
        customers.check_delete(account)


def test_the_same_picked_number_twice_in_one_order_is_refused(ctx, tmp_path):
    ordering_customer(tmp_path)
    line = {"action": "add", "product_code": "SMART", "number": "393400000042"}
    with pytest.raises(DomainError, match="lines\\[2\\].number: 393400000042 is already in"):
        orders.create("A1", None, [line, line])
