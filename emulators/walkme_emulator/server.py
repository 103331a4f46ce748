"""The HTTP server: WalkMe's token endpoint, report downloads, signed links and inspection API.

Routes (faultable routes in brackets):

- `POST /accounts/connect/token` [token]: client credentials in HTTP Basic, form body
  `grant_type=client_credentials` → `{"access_token", "token_type": "bearer", "expires_in"}`;
- `GET|HEAD /insights/reports/<name>.csv` [download]: `Authorization: Bearer <token>`; 401 for a
  missing, unknown or expired token, 403 for a key without report access;
- `GET|HEAD /g_reports/<uuid>.csv?Expires=…&Signature=…` [signed]: no auth; 403 with an S3-like
  XML error when the signature is missing, wrong or expired;
- `/__emulator/…`: the inspection API (loopback clients only), see `inspection.py`.

Downloads stream the file in chunks with `ETag`, `Last-Modified`, `If-None-Match` (304) and single
`Range` requests (206), so a client can resume a cut-off body. The access log goes to stderr with
route templates only: no query string (signatures) and no headers (tokens) are ever written.
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

from . import inspection
from .auth import parse_basic, parse_bearer
from .faults import Decision
from .report_store import ReportFile
from .signing import SIGNED_PREFIX, verify
from .state import EmulatorState

CHUNK_SIZE = 1 << 16
MAX_FORM_BYTES = 1 << 16
_REPORT_PATH = re.compile(r"^/insights/reports/([^/]+)\.csv$")
_SIGNED_PATH = re.compile(r"^/g_reports/([0-9a-fA-F-]{36})\.csv$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


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

    def _finish(self, route: str, status: int) -> None:
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
        self._finish(route, status)
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
                self._token()
            elif (report := _REPORT_PATH.match(path)) and self.command in ("GET", "HEAD"):
                self._authenticated_download(report.group(1))
            elif path.startswith(SIGNED_PREFIX) and self.command in ("GET", "HEAD"):
                self._signed_download(path, query)
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

    def _apply_fault(self, route_kind: str, route: str) -> Decision | None:
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

    # -- token ---------------------------------------------------------------------------------

    def _token(self) -> None:
        route = "POST /accounts/connect/token"
        if self.command != "POST":
            self.discard_body()
            self.send_json(
                f"{self.command} /accounts/connect/token",
                405,
                {"error": "method_not_allowed", "error_description": "Use POST."},
                {"Allow": "POST"},
            )
            return
        self.state.stats.count("token_requests")
        if self._apply_fault("token", route) is None:
            return
        body = self.read_body(MAX_FORM_BYTES)
        if body is None:
            self.send_json(route, 413, {"error": "invalid_request", "error_description": "Too big"})
            return
        form = parse_qs(body.decode("utf-8", "replace"))
        credentials = parse_basic(self.headers.get("Authorization"))
        if credentials is None:
            hint = (
                " (client_id/client_secret in the form body are not accepted)"
                if "client_secret" in form or "client_id" in form
                else ""
            )
            self.send_json(
                route,
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed: send the client id and "
                    f"secret as HTTP Basic authorization{hint}.",
                },
                {"WWW-Authenticate": 'Basic realm="walkme"'},
            )
            return
        grant = form.get("grant_type", [""])[0]
        if grant != "client_credentials":
            self.send_json(
                route,
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials.",
                },
            )
            return
        key = self.state.keyring.check_client(*credentials)
        if key is None:
            self.send_json(
                route,
                401,
                {"error": "invalid_client", "error_description": "Invalid client credentials."},
                {"WWW-Authenticate": 'Basic realm="walkme"'},
            )
            return
        token, expires_in = self.state.keyring.issue(key, self.state.now())
        self.state.stats.count("tokens_issued")
        self.send_json(
            route,
            200,
            {"access_token": token, "token_type": "bearer", "expires_in": expires_in},
            {"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    # -- downloads -----------------------------------------------------------------------------

    def _authenticated_download(self, name: str) -> None:
        route = f"{self.command} /insights/reports/{{name}}.csv"
        decision = self._apply_fault("download", route)
        if decision is None:
            return
        token = parse_bearer(self.headers.get("Authorization"))
        bearer_error = {"WWW-Authenticate": 'Bearer realm="walkme", error="invalid_token"'}
        if token is None:
            self.send_json(
                route,
                401,
                {
                    "error": "unauthorized",
                    "message": "Missing bearer token: get one from POST /accounts/connect/token "
                    "and send 'Authorization: Bearer <token>'.",
                },
                {"WWW-Authenticate": 'Bearer realm="walkme"'},
            )
            return
        record, key = self.state.keyring.lookup(token)
        if record is None or key is None:
            self.send_json(
                route,
                401,
                {"error": "invalid_token", "message": "Unknown access token; request a new one."},
                bearer_error,
            )
            return
        if record.expires_at <= self.state.now():
            self.send_json(
                route,
                401,
                {
                    "error": "invalid_token",
                    "message": "The access token expired; request a new one.",
                },
                bearer_error,
            )
            return
        if not key.reports:
            self.send_json(
                route,
                403,
                {
                    "error": "insufficient_scope",
                    "message": "This API key has no read access to Insights reports; enable it "
                    "for the key in Admin Center > API Keys.",
                },
            )
            return
        report = self.state.store.by_name(name)
        if report is None:
            self.send_json(
                route, 404, {"error": "not_found", "message": f"No report named {name!r}."}
            )
            return
        self._stream(route, report, decision)

    def _signed_download(self, path: str, query: dict[str, list[str]]) -> None:
        route = f"{self.command} /g_reports/{{uuid}}.csv"
        decision = self._apply_fault("signed", route)
        if decision is None:
            return
        match = _SIGNED_PATH.match(path)
        if match is None:
            self.send_xml_error(route, 404, "NoSuchKey", "The specified key does not exist.")
            return
        verdict = verify(self.state.signing_key, path, query, self.state.now())
        if not verdict.ok:
            self.send_xml_error(route, 403, verdict.code, verdict.message)
            return
        report = self.state.store.by_uuid(match.group(1).lower())
        if report is None:
            self.send_xml_error(route, 404, "NoSuchKey", "The specified key does not exist.")
            return
        self._stream(route, report, decision)

    def _stream(self, route: str, report: ReportFile, decision: Decision) -> None:
        """Send a report file: conditional GET, single ranges, chunked writes, injected cut-offs."""
        common = {
            "ETag": report.etag,
            "Last-Modified": report.last_modified,
            "Accept-Ranges": "bytes",
            "Cache-Control": "private, max-age=0",
        }
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match and report.etag in [t.strip() for t in if_none_match.split(",")]:
            self._finish(route, 304)
            self.send_response(304)
            for name, value in common.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end = 0, report.size - 1
        status = 200
        range_header = self.headers.get("Range")
        if range_header:
            parsed = _parse_range(range_header, report.size)
            if parsed is None:
                self.send_bytes(
                    route, 416, b"", "text/plain", {"Content-Range": f"bytes */{report.size}"}
                )
                return
            start, end = parsed
            status = 206
            common["Content-Range"] = f"bytes {start}-{end}/{report.size}"
        length = max(0, end - start + 1)
        self._finish(route, status)
        self.send_response(status)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Length", str(length))
        self.send_header("Content-Disposition", f'attachment; filename="{report.name}.csv"')
        for name, value in common.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        limit = length
        if decision.cut_off_fraction is not None:
            limit = int(length * decision.cut_off_fraction)
            self.state.stats.fault("cut_off")
        chunk = CHUNK_SIZE
        if decision.body_delay_ms:
            chunk = max(1, min(CHUNK_SIZE, (length + 1) // 2))
        sent = 0
        with report.path.open("rb") as source:
            source.seek(start)
            while sent < limit:
                data = source.read(min(chunk, limit - sent))
                if not data:
                    break
                self.wfile.write(data)
                sent += len(data)
                if decision.body_delay_ms and sent < limit:
                    self.wfile.flush()
                    time.sleep(decision.body_delay_ms / 1000)
        self.wfile.flush()
        self.state.stats.count("bytes_sent", sent)
        if sent < length:
            self.state.stats.count("partial_downloads")
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.state.stats.count("downloads")


_PHRASES = {s.value for s in HTTPStatus}


class _BadLength(ValueError):
    """The Content-Length header is not a number."""


def _is_loopback(host: str) -> bool:
    return host.startswith("127.") or host in ("::1", "localhost") or host.startswith("::ffff:127.")


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Parse one `bytes=a-b`, `bytes=a-` or `bytes=-n` range; None when unsatisfiable."""
    match = _RANGE.match(header.strip())
    if match is None or size == 0:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        count = int(last)
        if count == 0:
            return None
        return max(0, size - count), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end
