"""HTTP transport: a ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive serves every
request in its own thread, parses it, enforces Salesforce's front-end size limits, hands it to
:func:`.dispatch.dispatch`, logs it (:mod:`.stats`) and writes the answer in one ``send``.

A URI over 16,384 bytes gets 414 and a URI plus headers over 16,384 bytes together get 431,
like Salesforce's front end; a body over 160 MiB gets 413.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .dispatch import dispatch
from .org import Org
from .stats import request_digest
from .wire import ApiError, Request, Response

MAX_URI_BYTES = 16_384
MAX_URI_AND_HEADER_BYTES = 16_384
MAX_BODY_BYTES = 160 * 1024 * 1024


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
        data_api = url.path.startswith("/services/")
        if data_api:
            self.org.stats.started()
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
        finally:
            if data_api:
                self.org.stats.finished()
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
