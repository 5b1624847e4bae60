"""`flask provisioning run`: sends what is due and prints what became of it."""

import json

from app.services.orders import orders
from app.services.platform.actor import acting_as
from tests.helpers import ordering_customer


def test_run_sends_due_tasks_through_the_configured_adapter(app, tmp_path, gateway):
    with app.app_context(), acting_as():
        ordering_customer(tmp_path)
        order = orders.create("A1", None, [{"action": "suspend", "service_id": "393330000001"}])
        orders.submit(order)
        orders.approve(order)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["provisioning", "run"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "done 1, retrying 0, failed 0"
    assert json.loads(gateway.requests[0][1])["action"] == "suspend"
    again = runner.invoke(args=["provisioning", "run"])
    assert again.output.strip() == "done 0, retrying 0, failed 0"


def test_an_unconfigured_gateway_exits_1_saying_why(app, monkeypatch):
    monkeypatch.setitem(app.config, "PROVISIONING_ADAPTER", "http")
    monkeypatch.setitem(app.config, "PROVISIONING_URL", "")
    result = app.test_cli_runner().invoke(args=["provisioning", "run"])
    assert result.exit_code == 1
    assert "PROVISIONING_URL is not set" in result.output
