"""A CSR takes a customer from a draft order to an active line on the order screens; a
technician retries failed provisioning; each sees only their regions."""

import json
import re

import pytest

from app.extensions import db
from app.models.crm import Customer, Service
from app.models.orders import Order, ProvisioningTask
from app.services.orders import orders, provisioning
from app.services.orders.provisioning_adapters import LogAdapter, PermanentFailure
from app.services.platform.actor import acting_as
from tests.helpers import ordering_customer


@pytest.fixture
def account(app, tmp_path):
    with app.app_context(), acting_as():
        ordering_customer(tmp_path)
        return db.session.scalar(db.select(Customer.id).where(Customer.ref == "C1"))


def _order_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.max(Order.id)))


def test_csr_takes_a_new_line_from_draft_to_active_on_the_network(app, login, account, gateway):
    csr = login("csr")
    page = csr.get(f"/customerview/show/{account}").get_data(as_text=True)
    assert "/orderview/new?account=A1" in page

    created = csr.submit("/orderview/new?account=A1", {"account_ref": "A1", "note": "shop"})
    assert created.status_code == 302
    order_id = _order_id(app)
    show = f"/orderview/show/{order_id}"
    refused = csr.client.post(
        f"/orderview/line/{order_id}",
        data={"action": "add", "product_code": "NOPE", "csrf_token": csr.csrf(show)},
        follow_redirects=True,
    )
    assert "product_code: unknown product &#39;NOPE&#39;" in refused.get_data(as_text=True)
    csr.client.post(
        f"/orderview/line/{order_id}",
        data={"action": "add", "product_code": "SMART", "csrf_token": csr.csrf(show)},
    )
    for decision in ("submit", "approve"):
        answer = csr.client.post(
            f"/orderview/decide/{order_id}/{decision}",
            data={"csrf_token": csr.csrf(show)},
            follow_redirects=True,
        )
        assert answer.status_code == 200
    assert "Order ORD-" in answer.get_data(as_text=True)
    with app.app_context(), acting_as():
        provisioning.run_due()  # the scheduler's job, through the http adapter
    assert json.loads(gateway.requests[0][1])["service_id"] == "393400000000"
    page = csr.get(show).get_data(as_text=True)
    assert re.search(r'id="order-status">\s*Completed', page)
    assert "393400000000" in page and "csr" in page
    customer = csr.get(f"/customerview/show/{account}").get_data(as_text=True)
    assert "393400000000" in customer and "Completed" in customer
    with app.app_context():
        service_id = db.session.scalar(
            db.select(Service.id).where(Service.service_id == "393400000000")
        )
    line = csr.get(f"/serviceview/show/{service_id}").get_data(as_text=True)
    assert "Status history" in line and "Product history" in line and "Pending" in line


def test_a_decision_needs_the_csrf_token_and_write_access(app, login, account):
    with app.app_context(), acting_as():
        order = orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
        order_id = order.id
    csr = login("csr")
    assert csr.client.post(f"/orderview/decide/{order_id}/submit").status_code == 400
    billing = login("billing")  # reads orders, may not move them
    token = billing.csrf("/accountview/add")
    refused = billing.client.post(
        f"/orderview/decide/{order_id}/submit", data={"csrf_token": token}
    )
    assert refused.status_code in (302, 403)
    with app.app_context():
        assert db.session.get(Order, order_id).status == "draft"


def test_orders_of_other_regions_are_not_found(app, login, account):
    with app.app_context(), acting_as():
        order_id = orders.create("A1", None, []).id
    assert login("csr_ko").get(f"/orderview/show/{order_id}").status_code == 404
    assert login("csr").get(f"/orderview/show/{order_id}").status_code == 200


def test_a_rejection_by_credit_class_is_shown_with_its_reason(app, login, account):
    with app.app_context(), acting_as():
        order = orders.create("A1", None, [{"action": "add", "product_code": "MAX"}])
        orders.submit(order)
        order_id = order.id
    csr = login("csr")
    show = f"/orderview/show/{order_id}"
    answer = csr.client.post(
        f"/orderview/decide/{order_id}/approve",
        data={"csrf_token": csr.csrf(show)},
        follow_redirects=True,
    )
    page = answer.get_data(as_text=True)
    assert "Order rejected: credit class C may not buy MAX (class B or better)" in page


class Refusing:
    name = "test"

    def send(self, request):
        raise PermanentFailure("HTTP 409: number busy")


def _failed_order(app) -> int:
    """A new line the network refused: the order and its task have failed."""
    with app.app_context(), acting_as():
        order = orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
        orders.submit(order)
        orders.approve(order)
        provisioning.run_due(adapter=Refusing())
        return order.id


def test_a_failed_task_is_retried_from_the_task_list(app, login, account):
    _failed_order(app)
    with app.app_context():
        task_id = db.session.scalar(db.select(ProvisioningTask.id))
    technician = login("technician")  # Moscow only: the Italian task is not theirs
    technician.client.post(
        "/provisioningtaskview/action_post",
        data={
            "action": "retry",
            "rowid": str(task_id),
            "csrf_token": technician.csrf("/numberrangeview/add"),
        },
    )
    with app.app_context():
        assert db.session.get(ProvisioningTask, task_id).status == "failed"
    supervisor = login("supervisor")
    listing = supervisor.get("/provisioningtaskview/list/").get_data(as_text=True)
    assert "HTTP 409: number busy" in listing
    answer = supervisor.client.post(
        "/provisioningtaskview/action_post",
        data={
            "action": "retry",
            "rowid": str(task_id),
            "csrf_token": supervisor.csrf("/provisioningtaskview/list/"),
        },
    )
    assert answer.status_code == 302
    with app.app_context(), acting_as():
        task = db.session.get(ProvisioningTask, task_id)
        assert (task.status, task.line.order.status) == ("pending", "provisioning"), answer.location
        provisioning.run_due(adapter=LogAdapter())
        assert db.session.scalar(
            db.select(Service.status).where(Service.id == task.service_id)
        ) == ("active")


def test_order_and_task_lists_for_each_role(app, login, account):
    with app.app_context(), acting_as():
        orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
    csr = login("csr").get("/orderview/list/").get_data(as_text=True)
    assert "ORD-000" in csr and 'id="new-order"' in csr
    technician = login("technician").get("/orderview/list/")
    assert technician.status_code == 200 and 'id="new-order"' not in technician.get_data(
        as_text=True
    )
    assert login("csr").get("/provisioningtaskview/list/").status_code == 200


def test_a_failed_order_is_retried_from_its_page_by_provisioning_staff(app, login, account):
    order_id = _failed_order(app)
    show = f"/orderview/show/{order_id}"
    csr = login("csr")
    page = csr.get(show).get_data(as_text=True)
    assert 'id="order-retry"' not in page and "HTTP 409: number busy" in page
    refused = csr.client.post(
        f"/provisioningtaskview/retry_order/{order_id}", data={"csrf_token": csr.csrf(show)}
    )
    assert refused.status_code in (302, 403)
    supervisor = login("supervisor")
    assert 'id="order-retry"' in supervisor.get(show).get_data(as_text=True)
    answer = supervisor.client.post(
        f"/provisioningtaskview/retry_order/{order_id}",
        data={"csrf_token": supervisor.csrf(show)},
        follow_redirects=True,
    )
    assert "Tasks to send again: 1" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Order, order_id).status == "provisioning"
