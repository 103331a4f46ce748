"""The HTTP server: connection plumbing, dispatch to the routes, injected faults, the access log.

Routes (faultable routes in brackets), each in its own module:

- `POST /accounts/connect/token` [token]: `token_endpoint.py`;
- `GET|HEAD /insights/reports/<name>.csv` [download] and `GET|HEAD /g_reports/<uuid>.csv` [signed]:
  `downloads.py`;
- `/__emulator/…`: the inspection API (loopback clients only), `inspection.py`.

The access log goes to stderr with route templates only: no query string (signatures) and no
headers (tokens) are ever written.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import downloads, inspection, token_endpoint
from .faults import Decision
from .signing import SIGNED_PREFIX
from .state import EmulatorState
from .token_endpoint import MAX_FORM_BYTES

_REPORT_PATH = re.compile(r"^/insights/reports/([^/]+)\.csv$")


class EmulatorServer(ThreadingHTTPServer):
    """Threaded HTTP server carrying the emulator state."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: EmulatorState) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    """One connection; dispatches each request to a route method."""

    protocol_version = "HTTP/1.1"
    server_version = "walkme-emulator"
    sys_version = ""
    server: EmulatorServer
    _route: str = "?"
    _status: int = 0
    _arrived: float = 0.0
    body_consumed: bool = False

    # -- plumbing -----------------------------------------------------------------------------

    def version_string(self) -> str:
        """The `Server` header."""
        return self.server_version

    @property
    def state(self) -> EmulatorState:
        return self.server.state

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the route template and status only (never the query string or headers)."""
        sys.stderr.write(f"walkme-emulator {self._route} {code}\n")

    def log_message(self, format: str, *args: Any) -> None:
        """Errors from the base class; they may quote the request line, so drop the query."""
        message = format % args
        message = re.sub(r"\?\S*", "?<redacted>", message)
        sys.stderr.write(f"walkme-emulator {message}\n")

    def _split(self) -> tuple[str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        return parts.path, parse_qs(parts.query, keep_blank_values=True)

    def record_response(self, route: str, status: int) -> None:
        self._route = route
        self._status = status
        self.state.stats.request(route, status, at=self._arrived)

    def send_bytes(
        self,
        route: str,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send a complete small response and record it."""
        self.record_response(route, status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(
        self, route: str, status: int, data: Any, headers: dict[str, str] | None = None
    ) -> None:
        """Send a JSON response."""
        body = json.dumps(data, ensure_ascii=False).encode()
        self.send_bytes(route, status, body, "application/json; charset=utf-8", headers)

    def send_xml_error(self, route: str, status: int, code: str, message: str) -> None:
        """A cloud-bucket-style XML error, as a signed storage link answers."""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message></Error>\n"
        ).encode()
        self.send_bytes(route, status, body, "application/xml")

    def content_length(self) -> int:
        """The request's Content-Length (0 when absent); 400 is sent by `_dispatch` when bad."""
        value = self.headers.get("Content-Length") or "0"
        if not value.isdigit():
            raise _BadLength(value)
        return int(value)

    def read_body(self, limit: int) -> bytes | None:
        """Read a request body up to `limit` bytes; None when larger (the connection closes)."""
        length = self.content_length()
        self.body_consumed = True
        if length > limit:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def discard_body(self) -> None:
        """Skip a small unread request body so the connection can be reused (else close it)."""
        length = self.content_length()
        self.body_consumed = True
        if 0 < length <= MAX_FORM_BYTES:
            self.rfile.read(length)
        elif length:
            self.close_connection = True

    # -- dispatch -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        self._arrived = time.time()
        path, query = self._split()
        self._route = f"{self.command} ?"
        self.body_consumed = False
        try:
            if path.startswith("/__emulator/") or path == "/__emulator":
                if not _is_loopback(self.client_address[0]):
                    self.discard_body()
                    self.send_json("inspection", 404, {"error": "not_found"})
                    return
                inspection.handle(self, path, query)
            elif path == "/accounts/connect/token":
                token_endpoint.handle(self)
            elif (report := _REPORT_PATH.match(path)) and self.command in ("GET", "HEAD"):
                downloads.authenticated(self, report.group(1))
            elif path.startswith(SIGNED_PREFIX) and self.command in ("GET", "HEAD"):
                downloads.signed(self, path, query)
            else:
                self.discard_body()
                self.send_json(
                    f"{self.command} (unknown)",
                    404,
                    {"error": "not_found", "message": f"No route for {self.command} {path}"},
                )
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except _BadLength:
            self.close_connection = True
            self.send_json(
                f"{self.command} ?", 400, {"error": "bad_request", "message": "Bad Content-Length"}
            )
        except Exception as exc:  # keep serving; never echo the request (it may hold secrets)
            self.close_connection = True
            sys.stderr.write(f"walkme-emulator internal error: {type(exc).__name__}\n")
            with contextlib.suppress(OSError):
                self.send_json(f"{self.command} ?", 500, {"error": "emulator_error"})
        finally:
            if not self.body_consumed and self.headers.get("Content-Length", "0") not in ("", "0"):
                # An unread body would be parsed as the next request: close instead.
                self.close_connection = True

    # -- faults ------------------------------------------------------------------------------

    def apply_fault(self, route_kind: str, route: str) -> Decision | None:
        """Sleep and/or answer an injected error. Returns the decision when the request goes on."""
        decision = self.state.faults.decide(route_kind)
        if decision.slow_ms:
            time.sleep(decision.slow_ms / 1000)
        if decision.status is None:
            return decision
        self.discard_body()
        self.state.stats.fault(str(decision.status))
        if decision.status == 429:
            self.send_json(
                route,
                429,
                {"error": "too_many_requests", "message": "Rate limit exceeded; retry later."},
                {"Retry-After": str(decision.retry_after)},
            )
        else:
            phrase = HTTPStatus(decision.status).phrase if decision.status in _PHRASES else "Error"
            self.send_json(
                route, decision.status, {"error": "server_error", "message": f"Injected {phrase}"}
            )
        return None


_PHRASES = {s.value for s in HTTPStatus}


class _BadLength(ValueError):
    """The Content-Length header is not a number."""


def _is_loopback(host: str) -> bool:
    return host.startswith("127.") or host in ("::1", "localhost") or host.startswith("::ffff:127.")
