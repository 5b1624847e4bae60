"""Dunning SMS: written to the log by default, or posted signed to an SMS gateway (a real
HTTP server on localhost), retried while the gateway fails, given up when it refuses."""

import json
import logging
import time
from datetime import timedelta

import pytest

from app.extensions import db
from app.models.types import utcnow
from app.services.dunning import messages, sms
from app.services.orders.provisioning_adapters import PermanentFailure, signature
from tests.helpers import LocalServer, QuietHandler
from tests.services.dunning.overdue_accounts import ON, REFS, billed, case, queued, step

SECRET = "sms-secret"


class Gateway(LocalServer):
    """An SMS gateway: keeps what it is sent, answers with the statuses it is given."""

    def __init__(self):
        self.received, self.answers = [], []
        gateway = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append((dict(self.headers), body))
                status = gateway.answers.pop(0) if gateway.answers else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b'{"id": "m-1"}' if status == 200 else b"refused")

        self.serve(Handler, "/sms")


@pytest.fixture
def texting(ctx, tmp_path):
    billed(tmp_path, {"LA4": (None, "+79160000001", "post")})
    opened, found, invoices = case(REFS["ru"])
    text, note = queued(opened, step("sms"), ON, found, invoices, None)
    assert note is None
    return text


@pytest.fixture
def gateway(app, monkeypatch):
    server = Gateway()
    monkeypatch.setitem(app.config, "SMS_ADAPTER", "http")
    monkeypatch.setitem(app.config, "SMS_URL", server.url)
    monkeypatch.setitem(app.config, "SMS_SECRET", SECRET)
    monkeypatch.setitem(app.config, "SMS_TIMEOUT", 2)
    yield server
    server.close()


def _later(seconds=1):
    return utcnow() + timedelta(seconds=seconds)


def test_an_sms_is_written_in_the_accounts_language(texting):
    assert (texting.kind, texting.channel, texting.recipient) == (
        "reminder_sms",
        "sms",
        "+79160000001",
    )
    assert texting.language == "ru"
    assert "сумма 1\xa0200,00\xa0₽ по счёту LA4" in texting.body


def test_the_log_adapter_logs_the_sms_and_counts_it_sent(texting, caplog, monkeypatch):
    # the migrations' logging config (alembic's fileConfig) disables the loggers that
    # existed before the test database was made
    monkeypatch.setattr(sms.log, "disabled", False)
    with caplog.at_level(logging.INFO, logger="abonent.sms"):
        summary = messages.send_due(_later())
    assert summary.sent == 1
    assert "sms to +79160000001" in caplog.text and "LA4" in caplog.text
    db.session.refresh(texting)
    assert (texting.status, texting.attempts) == ("sent", 1)


def test_the_http_adapter_posts_the_sms_signed(texting, gateway):
    before = int(time.time())
    assert messages.send_due(_later()).sent == 1
    ((headers, body),) = gateway.received
    assert json.loads(body) == {
        "to": "+79160000001",
        "text": texting.body,
        "idempotency_key": f"sms-{texting.id}",
    }
    assert headers["Idempotency-Key"] == f"sms-{texting.id}"
    stamp = int(headers["X-Abonent-Signature"].split(",")[0].removeprefix("t="))
    assert before <= stamp <= int(time.time())
    assert headers["X-Abonent-Signature"] == signature(SECRET, stamp, body)
    db.session.refresh(texting)
    assert texting.status == "sent"


def test_a_failing_gateway_is_tried_again_with_the_same_key(texting, gateway):
    gateway.answers = [503]
    now = _later()
    assert messages.send_due(now).retrying == 1
    db.session.refresh(texting)
    assert (texting.status, texting.attempts) == ("queued", 1)
    assert "HTTP 503" in texting.last_error
    assert messages.send_due(now + timedelta(seconds=300)).sent == 1
    keys = [headers["Idempotency-Key"] for headers, _body in gateway.received]
    assert keys == [f"sms-{texting.id}"] * 2


def test_a_refusal_gives_the_sms_up_at_once(texting, gateway):
    gateway.answers = [400]
    assert messages.send_due(_later()).failed == 1
    db.session.refresh(texting)
    assert (texting.status, texting.attempts) == ("failed", 1)
    assert "HTTP 400: refused" in texting.last_error


def test_the_http_adapter_needs_its_url_and_secret(app, texting, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_ADAPTER", "http")
    monkeypatch.setitem(app.config, "SMS_URL", "")
    with pytest.raises(PermanentFailure, match="SMS_URL is not set"):
        messages.send_due(_later())
    db.session.refresh(texting)
    # it waits, queued, for the setting
    assert (texting.status, texting.attempts) == ("queued", 0)
    monkeypatch.setitem(app.config, "SMS_ADAPTER", "pigeon")
    with pytest.raises(PermanentFailure, match="unknown SMS_ADAPTER 'pigeon'"):
        sms.adapter(app.config)
