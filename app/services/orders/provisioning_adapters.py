"""How provisioning requests reach the network.

An adapter sends one request (a JSON-able dict with its idempotency key) and returns the
network's answer as text, or raises `TemporaryFailure` (try again later: timeouts,
connection errors, 5xx, 429) or `PermanentFailure` (the network refused the request; a
technician must look at it). The gateway is expected to carry out a key once and answer
repeats of it with the first result, so a request may safely be sent again.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request

log = logging.getLogger("abonent.provisioning")

SIGNATURE_HEADER = "X-Abonent-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ANSWER_LIMIT = 1000


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the gateway recomputes it
    with the shared secret and refuses stale timestamps, so a captured request cannot be
    replayed later."""
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx answer is then an HTTPError: a refusal


class LogAdapter:
    """Records the request in the log only: for demos and networks provisioned by hand."""

    name = "log"

    def send(self, request: dict) -> str:
        log.info("provisioning %s", json.dumps(request, sort_keys=True))
        return "logged"


class HttpAdapter:
    name = "http"

    def __init__(self, url: str, secret: str, timeout: float):
        if not url:
            raise PermanentFailure("PROVISIONING_URL is not set")
        if not secret:
            raise PermanentFailure("PROVISIONING_SECRET is not set")
        self.url, self.secret, self.timeout = url, secret, timeout
        # a redirect would turn the signed POST into a GET without a body
        self.opener = urllib.request.build_opener(_NoRedirect)

    def send(self, request: dict) -> str:
        body = json.dumps(request, sort_keys=True, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: request["idempotency_key"],
            SIGNATURE_HEADER: signature(self.secret, int(time.time()), body),
        }
        http_request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self.opener.open(http_request, timeout=self.timeout) as answer:
                return answer.read(ANSWER_LIMIT).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            text = exc.read(ANSWER_LIMIT).decode("utf-8", "replace")
            message = f"HTTP {exc.code}: {text}".strip()
            if exc.code >= 500 or exc.code in (408, 429):
                raise TemporaryFailure(message) from None
            raise PermanentFailure(message) from None
        except TimeoutError:
            raise TemporaryFailure(f"no answer within {self.timeout:g} s") from None
        except OSError as exc:  # URLError, refused or reset connections
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise TemporaryFailure(f"no answer within {self.timeout:g} s") from None
            raise TemporaryFailure(f"cannot reach the gateway: {reason}") from None


def from_config(config) -> LogAdapter | HttpAdapter:
    name = config["PROVISIONING_ADAPTER"]
    if name == "http":
        return HttpAdapter(
            config["PROVISIONING_URL"],
            config["PROVISIONING_SECRET"],
            config["PROVISIONING_TIMEOUT"],
        )
    if name == "log":
        return LogAdapter()
    raise PermanentFailure(f"unknown PROVISIONING_ADAPTER {name!r} (http or log)")
