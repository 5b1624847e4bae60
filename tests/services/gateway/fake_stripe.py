"""A local HTTP server that answers as Stripe's API does for Checkout Sessions, so the
stripe library is tested without the internet."""

import json
from urllib.parse import parse_qsl

from tests.helpers import LocalServer, QuietHandler


class FakeStripe(LocalServer):
    def __init__(self):
        self.requests = []  # (path, headers, form)
        fake = self

        class Handler(QuietHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                fake.requests.append((self.path, dict(self.headers), form))
                if self.path != "/v1/checkout/sessions":
                    return self._error(404, "Unrecognized request URL")
                if not self.headers.get("Authorization", "").startswith("Bearer sk_test_"):
                    return self._error(401, "Invalid API Key provided")
                number = len(fake.requests)
                self._answer(
                    200,
                    {
                        "id": f"cs_test_{number}",
                        "object": "checkout.session",
                        "url": f"https://checkout.stripe.test/c/pay/cs_test_{number}",
                        "mode": form["mode"],
                        "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                        "currency": form["line_items[0][price_data][currency]"],
                        "payment_status": "unpaid",
                        "status": "open",
                        "client_reference_id": form.get("client_reference_id"),
                    },
                )

            def _error(self, status, message):
                self._answer(status, {"error": {"type": "invalid_request_error",
                                                "message": message}})  # fmt: skip

            def _answer(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Request-Id", "req_test")
                self.end_headers()
                self.wfile.write(body)

        self.serve(Handler)
