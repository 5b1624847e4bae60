"""Provisioning against a real HTTP gateway on localhost: signed requests, idempotency keys,
retries with backoff on timeouts and 5xx, failures a technician can retry, and never a
half-activated line."""

import hashlib
import hmac
import json
from datetime import timedelta

from app.extensions import db
from app.models.orders import Order, ProvisioningTask
from app.models.types import utcnow
from app.services.orders import orders, provisioning
from app.services.orders.provisioning_adapters import LogAdapter, PermanentFailure, signature
from app.services.platform.errors import DomainError
from tests.helpers import ordering_customer


def _approved_new_line(tmp_path) -> Order:
    ordering_customer(tmp_path)
    order = orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
    orders.submit(order)
    assert orders.approve(order) == []
    return order


def _state(order_id):
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    line = order.lines[0]
    return order.status, line.service.status, line.task


def _two_line_order(tmp_path) -> Order:
    ordering_customer(tmp_path)
    order = orders.create(
        "A1",
        None,
        [{"action": "add", "product_code": "SMART"}, {"action": "add", "product_code": "SMART"}],
    )
    orders.submit(order)
    assert orders.approve(order) == []
    return order


def test_a_signed_request_activates_the_line(ctx, tmp_path, gateway):
    order = _approved_new_line(tmp_path)
    assert str(provisioning.run_due()) == "done 1, retrying 0, failed 0"
    status, line_status, task = _state(order.id)
    assert (status, line_status, task.status, task.adapter) == (
        "completed",
        "active",
        "done",
        "http",
    )
    headers, body = gateway.requests[0]
    sent = json.loads(body)
    assert sent["action"] == "activate" and sent["service_id"] == "393400000000"
    assert (
        sent["order"] == order.ref and sent["region"] == "IT-C" and sent["product_code"] == "SMART"
    )
    assert headers["Idempotency-Key"] == task.idempotency_key == sent["idempotency_key"]
    assert json.loads(task.response)["result"] == "activate"


def test_5xx_and_timeouts_retry_with_backoff_and_the_same_key(ctx, tmp_path, gateway):
    order = _approved_new_line(tmp_path)
    gateway.answers = [(503, 0), (200, 2)]  # down, then too slow, then fine
    now = utcnow()
    assert str(provisioning.run_due(now=now)) == "done 0, retrying 1, failed 0"
    status, line_status, task = _state(order.id)
    assert (status, line_status, task.attempts) == ("provisioning", "pending", 1)
    assert task.last_error.startswith("HTTP 503")
    assert task.next_attempt_at == now + timedelta(seconds=30)
    assert (
        str(provisioning.run_due(now=now + timedelta(seconds=10))) == "done 0, retrying 0, failed 0"
    )

    later = now + timedelta(seconds=31)
    assert str(provisioning.run_due(now=later)) == "done 0, retrying 1, failed 0"
    status, line_status, task = _state(order.id)
    assert task.last_error == "no answer within 0.5 s" and line_status == "pending"
    assert task.next_attempt_at == later + timedelta(seconds=60)  # doubled

    assert (
        str(provisioning.run_due(now=later + timedelta(seconds=61)))
        == "done 1, retrying 0, failed 0"
    )
    status, line_status, task = _state(order.id)
    assert (status, line_status, task.attempts) == ("completed", "active", 3)
    keys = {headers["Idempotency-Key"] for headers, _ in gateway.requests}
    assert keys == {task.idempotency_key} and len(gateway.requests) == 3
    # the slow attempt was carried out by the gateway once only
    assert list(gateway.done) == [task.idempotency_key]


def test_a_refusal_fails_the_order_and_a_technician_retries_it(ctx, tmp_path, gateway):
    order = _approved_new_line(tmp_path)
    gateway.answers = [(422, 0)]
    assert str(provisioning.run_due()) == "done 0, retrying 0, failed 1"
    status, line_status, task = _state(order.id)
    assert (status, line_status, task.status) == ("failed", "pending", "failed")
    order = db.session.get(Order, order.id)
    assert order.reason.startswith("393400000000: HTTP 422")

    orders.retry(order)
    status, _line_status, task = _state(order.id)
    assert (status, task.status, task.attempts) == ("provisioning", "pending", 0)
    assert str(provisioning.run_due()) == "done 1, retrying 0, failed 0"
    assert _state(order.id)[:2] == ("completed", "active")


def test_attempts_run_out_and_the_task_fails(ctx, tmp_path, gateway, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROVISIONING_MAX_ATTEMPTS", 2)
    order = _approved_new_line(tmp_path)
    gateway.answers = [(500, 0), (502, 0)]
    now = utcnow()
    provisioning.run_due(now=now)
    assert str(provisioning.run_due(now=now + timedelta(hours=1))) == "done 0, retrying 0, failed 1"
    status, line_status, task = _state(order.id)
    assert (status, line_status, task.attempts) == ("failed", "pending", 2)
    assert task.last_error.startswith("HTTP 502")


def test_an_unreachable_gateway_keeps_the_task_retrying(ctx, tmp_path, gateway, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROVISIONING_URL", "http://127.0.0.1:9/provision")
    order = _approved_new_line(tmp_path)
    assert str(provisioning.run_due()) == "done 0, retrying 1, failed 0"
    status, line_status, task = _state(order.id)
    assert (status, line_status) == ("provisioning", "pending")
    assert task.last_error.startswith("cannot reach the gateway")


def test_a_task_is_sent_by_one_worker_at_a_time(ctx, tmp_path):
    order = _approved_new_line(tmp_path)
    task_id = order.lines[0].task.id
    now = utcnow()
    lease_until = now + timedelta(seconds=60)
    assert provisioning._claim(task_id, now, lease_until)
    assert not provisioning._claim(task_id, now, lease_until)
    # a worker that died holding it: the task is free again after the lease
    later = now + timedelta(seconds=61)
    assert provisioning._claim(task_id, later, later + timedelta(seconds=60))
    assert db.session.get(ProvisioningTask, task_id).attempts == 2
    # the first worker, back from a very slow gateway, no longer holds it
    assert not provisioning._still_ours(task_id, lease_until)


class RefuseFirstThen:
    """Refuses the first request; while sending the next, `meanwhile` happens."""

    name = "test"

    def __init__(self, meanwhile):
        self.meanwhile, self.calls = meanwhile, 0

    def send(self, request):
        self.calls += 1
        if self.calls == 1:
            raise PermanentFailure("HTTP 409: busy")
        self.meanwhile()
        return "ok"


def test_a_failed_order_cannot_be_cancelled_while_a_line_is_being_sent(ctx, app, tmp_path):
    order_id = _two_line_order(tmp_path).id
    seen = []

    def csr_gives_up():  # the order has failed; a CSR gives it up, in another session
        with app.app_context():
            try:
                orders.cancel(orders.get(order_id, None), "customer left")
            except DomainError as exc:
                seen.append(exc.message)

    adapter = RefuseFirstThen(csr_gives_up)
    assert str(provisioning.run_due(adapter=adapter)) == "done 1, retrying 0, failed 1"
    assert seen == ["status: a line is being sent to the network: try again shortly"]
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order.status == "failed"
    assert [line.service.status for line in order.lines] == ["pending", "active"]


def test_a_worker_whose_lease_ran_out_leaves_a_cancelled_order_alone(ctx, app, tmp_path):
    order_id = _two_line_order(tmp_path).id

    def lease_runs_out_and_csr_gives_up():
        with app.app_context():
            db.session.execute(db.update(ProvisioningTask).values(locked_until=None))
            db.session.commit()
            orders.cancel(orders.get(order_id, None), "customer left")

    adapter = RefuseFirstThen(lease_runs_out_and_csr_gives_up)
    assert str(provisioning.run_due(adapter=adapter)) == "done 0, retrying 0, failed 1"
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order.status == "cancelled"
    assert [line.service.status for line in order.lines] == ["terminated", "terminated"]
    assert [line.task.status for line in order.lines] == ["cancelled", "cancelled"]


def test_a_line_changed_meanwhile_fails_the_task_instead_of_half_applying(ctx, tmp_path, gateway):
    account = ordering_customer(tmp_path)
    account.services[0].status = "suspended"
    db.session.commit()
    order = orders.create("A1", None, [{"action": "resume", "service_id": "393330000001"}])
    line = order.lines[0]
    orders.submit(order)
    orders.approve(order)
    line.service.status = "terminated"  # e.g. ended by dunning in between
    db.session.commit()
    assert str(provisioning.run_due()) == "done 0, retrying 0, failed 1"
    status, line_status, task = _state(order.id)
    assert (status, line_status) == ("failed", "terminated")
    assert "a terminated line cannot become active" in task.last_error


def test_the_signature_covers_timestamp_and_body():
    body = b'{"a":1}'
    expected = hmac.new(b"s", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("s", 1700000000, body) == f"t=1700000000,v1={expected}"


def test_an_adapter_crash_counts_as_an_attempt(ctx, tmp_path):
    class Broken:
        name = "broken"

        def send(self, request):
            raise RuntimeError("adapter bug")

    order = _approved_new_line(tmp_path)
    assert str(provisioning.run_due(adapter=Broken())) == "done 0, retrying 1, failed 0"
    _status, line_status, task = _state(order.id)
    assert line_status == "pending" and "adapter bug" in task.last_error


def test_the_order_follows_its_tasks_through_failures_and_retries(ctx, tmp_path, gateway):
    order = _two_line_order(tmp_path)
    gateway.answers = [(409, 0), (409, 0)]  # the network refuses both
    assert str(provisioning.run_due()) == "done 0, retrying 0, failed 2"
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    first, second = (line.task for line in order.lines)
    assert order.status == "failed" and first.refused
    old_key = first.idempotency_key

    provisioning.retry([first])  # one of two: the order has a failed task still
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "failed"
    assert provisioning.run_due().done == 1
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "failed"
    # a refused request goes again under a new key: the gateway would repeat its refusal
    first = order.lines[0].task
    assert first.idempotency_key != old_key == gateway.requests[0][0]["Idempotency-Key"]
    assert first.request["idempotency_key"] == first.idempotency_key

    orders.retry(order)
    assert db.session.get(Order, order.id).status == "provisioning"
    assert provisioning.run_due().done == 1
    assert _state(order.id)[0] == "completed"


def test_a_cancelled_new_lines_number_serves_the_next_order(ctx, tmp_path):
    order = _approved_new_line(tmp_path)
    number = order.lines[0].number
    orders.cancel(order, "changed their mind")
    again = orders.create("A1", None, [{"action": "add", "product_code": "SMART"}])
    orders.submit(again)
    assert orders.approve(again) == []
    assert again.lines[0].service.service_id == number
    assert provisioning.run_due(adapter=LogAdapter()).done == 1


def test_a_redirect_is_a_refusal_not_a_success(ctx, tmp_path, gateway):
    order = _approved_new_line(tmp_path)
    gateway.answers = [(302, 0)]
    assert str(provisioning.run_due()) == "done 0, retrying 0, failed 1"
    assert _state(order.id)[2].last_error.startswith("HTTP 302")
