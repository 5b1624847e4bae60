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
from app.services import orders, provisioning
from app.services.provisioning_adapters import signature
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
    lease = timedelta(seconds=60)
    assert provisioning._claim(task_id, now, lease)
    assert not provisioning._claim(task_id, now, lease)
    # a worker that died holding it: the task is free again after the lease
    assert provisioning._claim(task_id, now + timedelta(seconds=61), lease)
    assert db.session.get(ProvisioningTask, task_id).attempts == 2


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
