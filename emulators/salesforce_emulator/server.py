"""HTTP server and routing.

A ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive serves every request in its own
thread. Data API requests (``/services/data/vNN.0/…``) go through, in order: fault latency,
dropped connection and 5xx faults, authentication (401 ``INVALID_SESSION_ID``), the daily API
limit (403 ``REQUEST_LIMIT_EXCEEDED``), counting (``Sforce-Limit-Info``) and the resource.
A URI over 16,384 bytes gets 414 and a URI plus headers over 16,384 bytes together get 431,
like Salesforce's front end. Every response under ``/services/data/`` carries
``Sforce-Limit-Info``, errors included.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import (
    identity,
    inspection,
    oauth,
    rest,
    rest_describe,
    rest_query,
    rest_records,
    soap,
    sobject_collections,
    sosl,
)
from .faults import ApiFault
from .limits import LimitExceeded
from .org import Org
from .rest import Ctx
from .stats import request_digest
from .wire import ApiError, OAuthError, Request, Response, json_response, not_found, session_invalid

MAX_URI_BYTES = 16_384
MAX_URI_AND_HEADER_BYTES = 16_384
MAX_BODY_BYTES = 160 * 1024 * 1024

_DATA = re.compile(r"^/services/data/v(\d+)\.(\d+)(/.*)?$")
_ID_URL = re.compile(r"^/id/([A-Za-z0-9]{15,18})/([A-Za-z0-9]{15,18})/?$")

Handler = Callable[..., Response]
# (method, pattern, kind, handler)
_ROUTES: list[tuple[str, re.Pattern[str], str, Handler]] = []


def _route(method: str, pattern: str, kind: str, handler: Handler) -> None:
    _ROUTES.append((method, re.compile(f"^{pattern}/?$"), kind, handler))


_NAME = r"([A-Za-z][A-Za-z0-9_]*)"
_route("GET", "", "resources", rest.resources)
_route("GET", "/limits", "limits", rest.limits)
_route("GET", "/sobjects", "describe", rest_describe.describe_global)
_route("GET", f"/sobjects/{_NAME}", "describe", rest_describe.sobject_info)
_route("POST", f"/sobjects/{_NAME}", "sobject_create", rest_records.create_record)
_route("GET", f"/sobjects/{_NAME}/describe", "describe", rest_describe.describe)
_route("GET", f"/sobjects/{_NAME}/([^/]+)", "sobject_get", rest_records.get_record)
_route("PATCH", f"/sobjects/{_NAME}/([^/]+)", "sobject_update", rest_records.patch_record)
_route("DELETE", f"/sobjects/{_NAME}/([^/]+)", "sobject_delete", rest_records.delete_record)
_route("GET", "/query", "query", rest_query.query)
_route("GET", "/search", "search", sosl.search)
_route("GET", "/query/([^/]+)", "query", rest_query.query_more)
_route("GET", "/queryAll", "query", lambda ctx: rest_query.query(ctx, include_deleted=True))
_route("GET", "/queryAll/([^/]+)", "query", rest_query.query_more)
_route("PATCH", "/composite/sobjects", "collections_update", sobject_collections.update)
_route("POST", "/composite/sobjects", "collections_create", sobject_collections.create)
_route("DELETE", "/composite/sobjects", "collections_delete", sobject_collections.delete)
_route(
    "POST",
    "/jobs/ingest",
    "bulk_ingest",
    lambda ctx: ctx.org.bulk.create(ctx.req, ctx.user, ctx.version),
)
_route("GET", "/jobs/ingest", "bulk_ingest", lambda ctx: ctx.org.bulk.list(ctx.user))
_route(
    "GET",
    "/jobs/ingest/(750[A-Za-z0-9]+)",
    "bulk_ingest",
    lambda ctx, j: ctx.org.bulk.info(ctx.user, j),
)
_route(
    "PATCH",
    "/jobs/ingest/(750[A-Za-z0-9]+)",
    "bulk_ingest",
    lambda ctx, j: ctx.org.bulk.patch(ctx.req, ctx.user, j),
)
_route(
    "DELETE",
    "/jobs/ingest/(750[A-Za-z0-9]+)",
    "bulk_ingest",
    lambda ctx, j: ctx.org.bulk.delete(ctx.user, j),
)
_route(
    "PUT",
    "/jobs/ingest/(750[A-Za-z0-9]+)/batches",
    "bulk_ingest",
    lambda ctx, j: ctx.org.bulk.upload(ctx.req, ctx.user, j),
)
_route(
    "GET",
    "/jobs/ingest/(750[A-Za-z0-9]+)/(successfulResults|failedResults|unprocessedrecords)",
    "bulk_ingest",
    lambda ctx, j, kind: ctx.org.bulk.results(ctx.user, j, kind),
)
_route(
    "POST",
    "/jobs/query",
    "bulk_query",
    lambda ctx: ctx.org.bulk_query.create(ctx.req, ctx.user, ctx.version),
)
_route(
    "GET", "/jobs/query/(750[A-Za-z0-9]+)", "bulk_query", lambda ctx, j: ctx.org.bulk_query.info(j)
)
_route(
    "PATCH",
    "/jobs/query/(750[A-Za-z0-9]+)",
    "bulk_query",
    lambda ctx, j: ctx.org.bulk_query.patch(ctx.req, j),
)
_route(
    "DELETE",
    "/jobs/query/(750[A-Za-z0-9]+)",
    "bulk_query",
    lambda ctx, j: ctx.org.bulk_query.delete(j),
)
_route(
    "GET",
    "/jobs/query/(750[A-Za-z0-9]+)/results",
    "bulk_query",
    lambda ctx, j: ctx.org.bulk_query.results(ctx.req, j, ctx.version),
)


def _limit_header(org: Org) -> dict[str, str]:
    return {"Sforce-Limit-Info": org.api.header()}


def dispatch(org: Org, req: Request) -> Response:
    """Answer one request (everything except transport concerns)."""
    path = req.path
    try:
        if path.startswith("/__emulator/"):
            return inspection.handle(org, req)
        if path.startswith("/services/"):
            delay = org.faults.latency()
            if delay:
                time.sleep(delay)
        if path.startswith("/services/oauth2/"):
            return oauth.handle(org, req)
        match = _ID_URL.match(path)
        if match:
            org.stats.request("identity", counted=False)
            return identity.identity(org, req, match.group(1), match.group(2))
        if path.rstrip("/") == "/services/data":
            org.stats.request("versions", counted=False)
            return json_response(rest.versions())  # not counted: no Sforce-Limit-Info
        if path.startswith("/services/Soap/"):
            org.stats.request("soap", counted=False)
            return soap.handle(org, req)
        match = _DATA.match(path)
        if match:
            try:
                return _with_limits(org, _data(org, req, match))
            except ApiError as exc:
                return _with_limits(org, exc.response())
        raise not_found()
    except (ApiError, OAuthError) as exc:
        return exc.response()


def _with_limits(org: Org, response: Response) -> Response:
    """Every data API response carries ``Sforce-Limit-Info`` (errors too)."""
    if not response.drop:
        response.headers.setdefault("Sforce-Limit-Info", org.api.header())
    return response


def _data(org: Org, req: Request, match: re.Match[str]) -> Response:
    major, minor, rest_path = int(match.group(1)), match.group(2), match.group(3) or ""
    if minor != "0" or not rest.MIN_VERSION <= major <= rest.MAX_VERSION:
        raise not_found()
    if org.faults.should_drop():
        org.stats.fault("drop")
        return Response(drop=True)
    fault = org.faults.api_fault()
    if fault is not None:
        org.stats.fault(str(fault.status))
        return _fault_response(fault)
    token = identity.bearer(req)
    info = org.tokens.validate(token) if token else None
    if info is None:
        raise session_invalid()
    user = org.users[info.user_id]
    ctx = Ctx(org, req, user, f"{major}.0")
    handler, args, kind, allowed = _find(req.method, rest_path)
    if handler is None:
        if allowed:
            raise ApiError(
                405,
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{req.method}' not allowed. Allowed are {','.join(sorted(allowed))}",
            )
        raise not_found()
    try:
        org.api.consume()
    except LimitExceeded:
        raise ApiError(
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
            headers=_limit_header(org),
        ) from None
    org.stats.request(kind, counted=True)
    try:
        response = handler(ctx, *args)
    except ApiError as exc:
        response = exc.response()
    response.headers.update(_limit_header(org))
    return response


def _fault_response(fault: ApiFault) -> Response:
    """The answer to an injected fault, given before the request is authenticated or counted.

    429: Salesforce's REST docs list no 429 (their daily-limit answer is 403
    ``REQUEST_LIMIT_EXCEEDED``, fatal); this is a throttle as a proxy or the edge may send it,
    in the REST error shape, always with ``Retry-After``. 503: the front end's HTML page.
    500/502: ``UNKNOWN_EXCEPTION`` JSON."""
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    if fault.status == 429:
        return ApiError(
            429,
            "REQUEST_LIMIT_EXCEEDED",
            f"Too many requests: retry after {fault.retry_after} seconds.",
            headers=headers,
        ).response()
    if fault.status == 503:
        return Response(
            503,
            b"<html><body><h1>Service Unavailable</h1></body></html>",
            content_type="text/html;charset=UTF-8",
            headers=headers,
        )
    return ApiError(
        fault.status,
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you "
        "contact support: 1234567890-12345 (-1234567890)",
        headers=headers,
    ).response()


def _find(method: str, path: str) -> tuple[Handler | None, tuple[str, ...], str, set[str]]:
    allowed: set[str] = set()
    for route_method, pattern, kind, handler in _ROUTES:
        m = pattern.match(path)
        if m:
            if route_method == method:
                return handler, m.groups(), kind, allowed
            allowed.add(route_method)
    return None, (), "", allowed


class RequestHandler(BaseHTTPRequestHandler):
    """Transport: parse HTTP, enforce size limits, write the Response."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "SalesforceEmulator/1.0"
    sys_version = ""
    timeout = 120
    org: Org  # set on the subclass by make_server
    verbose = False

    def log_message(self, format: str, *args: Any) -> None:
        if self.verbose:
            # Only the method and path: query strings and headers may carry secrets.
            sys.stderr.write(f"{self.command} {urlsplit(self.path).path}\n")

    def parse_request(self) -> bool:
        """Salesforce's front-end size rule (REST "Status Codes and Error Responses"): a URI
        over 16,384 bytes gets 414; a URI and headers that together exceed 16,384 bytes get
        431. A header is counted as ``Name: value`` plus CRLF."""
        if not super().parse_request():
            return False
        uri = len(self.path.encode("latin-1", "replace"))
        headers = sum(len(k) + len(v) + 4 for k, v in self.headers.items())
        if uri > MAX_URI_BYTES:
            status, text = 414, "414 URI Too Long"
        elif uri + headers > MAX_URI_AND_HEADER_BYTES:
            status, text = 431, "431 Request Header Fields Too Large"
        else:
            return True
        self.close_connection = True
        self._send(
            Response(status, f"<html><body>{text}</body></html>".encode(), content_type="text/html")
        )
        return False

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send(
                ApiError(
                    413, "EXCEEDED_MAX_SIZE_REQUEST", "The request body exceeds the maximum size"
                ).response()
            )
            return
        url = urlsplit(self.path)
        host = self.server.server_address[0]  # type: ignore[index]
        req = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client_ip=self.client_address[0],
            base_url=f"http://{host}",
        )
        arrived = time.time()
        try:
            response = dispatch(self.org, req)
        except Exception as exc:  # never leak a traceback to the client
            sys.stderr.write(
                f"salesforce-emulator: internal error on {self.command} "
                f"{url.path}: {type(exc).__name__}: {exc}\n"
            )
            response = ApiError(
                500, "UNKNOWN_EXCEPTION", "An unexpected error occurred in the emulator"
            ).response()
        if not url.path.startswith("/__emulator/"):
            self.org.stats.log(
                at=arrived,
                method=self.command,
                path=url.path,
                status=None if response.drop else response.status,
                digest=request_digest(self.command, url.path, url.query, body)
                if url.path.startswith("/services/data/")
                else None,
            )
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        """Write status line, headers and body with one ``send`` call.

        Writing the header block and the body separately lets Nagle's algorithm hold the body
        back until the client's delayed ACK (40 ms on Linux), which made every answer take
        ~45 ms whatever its size; ``disable_nagle_algorithm`` and the single write avoid it.
        """
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        buffer: list[bytes] = getattr(self, "_headers_buffer", [])
        if self.request_version != "HTTP/0.9":
            buffer.append(b"\r\n")
        if self.command != "HEAD" and response.body:
            buffer.append(response.body)
        self.wfile.write(b"".join(buffer))
        self._headers_buffer = []

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_server(
    org: Org,
    host: str,
    port: int,
    *,
    ssl_context: ssl.SSLContext | None = None,
    verbose: bool = False,
) -> EmulatorServer:
    """Bind the server (port 0 = any free port) and set the org's base URL."""
    handler = type("BoundHandler", (RequestHandler,), {"org": org, "verbose": verbose})
    server = EmulatorServer((host, port), handler)
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    scheme = "https" if ssl_context else "http"
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    org.base_url = f"{scheme}://{shown}:{server.server_address[1]}"
    return server
