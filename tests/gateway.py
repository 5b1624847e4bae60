"""A provisioning gateway on localhost for the tests: a real HTTP server."""

import hashlib
import hmac
import json
import time

from tests.helpers import LocalServer, QuietHandler

SECRET = "gateway-secret"


class Gateway(LocalServer):
    """A provisioning gateway: checks the signature, carries out each idempotency key once
    and answers its repeats with the first result; `answers` scripts what comes next."""

    def __init__(self):
        self.requests = []
        self.answers = []  # (status, delay seconds), used up in order; then 200
        self.done = {}
        gateway = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append((dict(self.headers), body))
                stamp, digest = (
                    p.split("=", 1)[1] for p in self.headers["X-Abonent-Signature"].split(",")
                )
                expected = hmac.new(
                    SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256
                ).hexdigest()
                status, delay = gateway.answers.pop(0) if gateway.answers else (200, 0)
                if not hmac.compare_digest(digest, expected):
                    status = 401
                time.sleep(delay)
                key = self.headers["Idempotency-Key"]
                if status == 200:
                    gateway.done.setdefault(key, json.loads(body)["action"])
                answer = json.dumps({"key": key, "result": gateway.done.get(key)}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.serve(Handler, "/provision")
