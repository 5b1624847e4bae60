"""Simulated browsers for the load benchmarks: each its own keep-alive HTTP connection to a
server on loopback, its own cookies, redirects followed as a browser follows them, the
CSRF token of the last page kept for the next form. No third-party tool: `wrk` and the
like replay fixed requests, and a flow through signed-in pages needs the cookie and the
token each page gives.
"""

from __future__ import annotations

import http.client
import http.cookies
import re
import time
import urllib.parse
from dataclasses import dataclass

CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
REDIRECTS = (301, 302, 303, 307, 308)
# what a reused keep-alive connection raises when the server had closed it meanwhile
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


@dataclass
class Response:
    status: int
    body: bytes
    location: str  # the path a redirect leads to, "" for none
    ms: float  # the time of this one request, from sending to the last byte


class Browser:
    """One simulated visitor. Talks to 127.0.0.1 only; not shareable between threads."""

    def __init__(self, base: str, timeout: float = 30):
        url = urllib.parse.urlsplit(base)
        assert url.hostname == "127.0.0.1", base
        self.host, self.port, self.timeout = url.hostname, url.port, timeout
        self.cookies: dict[str, str] = {}
        self.token = ""  # the CSRF token of the last page that carried one
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        """One request, redirects not followed. Raises OSError (a timeout included) or
        http.client.HTTPException when no whole answer came."""
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
            started = time.perf_counter()
            try:
                self.connection.request(method, path, data, headers)
                answer = self.connection.getresponse()
                body = answer.read()
            except STALE:
                self.close()
                # the server closed an idle connection before reading the request: nothing
                # was done, so sending it again on a new one is safe, once
                if reused and attempt == 1:
                    continue
                raise
            except (OSError, http.client.HTTPException):
                self.close()
                raise
            ms = (time.perf_counter() - started) * 1000
            break
        if answer.will_close:
            self.close()
        self._keep_cookies(answer.headers.get_all("Set-Cookie") or [])
        token = CSRF.search(body)
        if token is not None:
            self.token = token.group(1).decode()
        location = ""
        if answer.status in REDIRECTS:
            target = urllib.parse.urlsplit(answer.headers.get("Location", ""))
            # a redirect elsewhere than this server is followed nowhere (location stays "")
            if target.hostname in (None, self.host) and target.port in (None, self.port):
                location = target.path + (f"?{target.query}" if target.query else "")
        return Response(answer.status, body, location, ms)

    def follow(self, method: str, path: str, form: dict | None = None) -> list[Response]:
        """A request and the redirects after it, as a browser: 301/302/303 go on with GET."""
        responses = [self.request(method, path, form)]
        while responses[-1].status in REDIRECTS and len(responses) < 6:
            last = responses[-1]
            if not last.location:
                break
            if last.status in (301, 302, 303):
                method, form = "GET", None
            responses.append(self.request(method, last.location, form))
        return responses

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] not in ("0", 0):
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
