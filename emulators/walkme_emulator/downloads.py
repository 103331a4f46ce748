"""Report downloads: `GET|HEAD /insights/reports/<name>.csv` [download] behind a bearer token and
`GET|HEAD /g_reports/<uuid>.csv?Expires=…&Signature=…` [signed] behind a signature.

A bearer download answers 401 for a missing, unknown or expired token and 403 for a key without
report access; a signed link answers an S3-like XML error (403 for a missing, wrong or expired
signature, 404 `NoSuchKey`). Files stream in chunks with `ETag`, `Last-Modified`,
`If-None-Match` (304) and single `Range` requests (206), so a client can resume a cut-off body;
an injected cut-off sends part of the body and closes the connection.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from typing import TYPE_CHECKING

from .auth import parse_bearer
from .faults import Decision
from .report_store import ReportFile
from .signing import verify

if TYPE_CHECKING:
    from .server import Handler

CHUNK_SIZE = 1 << 16
_SIGNED_PATH = re.compile(r"^/g_reports/([0-9a-fA-F-]{36})\.csv$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def authenticated(handler: Handler, name: str) -> None:
    route = f"{handler.command} /insights/reports/{{name}}.csv"
    decision = handler.apply_fault("download", route)
    if decision is None:
        return
    token = parse_bearer(handler.headers.get("Authorization"))
    bearer_error = {"WWW-Authenticate": 'Bearer realm="walkme", error="invalid_token"'}
    if token is None:
        handler.send_json(
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
    record, key = handler.state.keyring.lookup(token)
    if record is None or key is None:
        handler.send_json(
            route,
            401,
            {"error": "invalid_token", "message": "Unknown access token; request a new one."},
            bearer_error,
        )
        return
    if record.expires_at <= handler.state.now():
        handler.send_json(
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
        handler.send_json(
            route,
            403,
            {
                "error": "insufficient_scope",
                "message": "This API key has no read access to Insights reports; enable it "
                "for the key in Admin Center > API Keys.",
            },
        )
        return
    report = handler.state.store.by_name(name)
    if report is None:
        handler.send_json(
            route, 404, {"error": "not_found", "message": f"No report named {name!r}."}
        )
        return
    _stream(handler, route, report, decision)


def signed(handler: Handler, path: str, query: dict[str, list[str]]) -> None:
    route = f"{handler.command} /g_reports/{{uuid}}.csv"
    decision = handler.apply_fault("signed", route)
    if decision is None:
        return
    match = _SIGNED_PATH.match(path)
    if match is None:
        handler.send_xml_error(route, 404, "NoSuchKey", "The specified key does not exist.")
        return
    verdict = verify(handler.state.signing_key, path, query, handler.state.now())
    if not verdict.ok:
        handler.send_xml_error(route, 403, verdict.code, verdict.message)
        return
    report = handler.state.store.by_uuid(match.group(1).lower())
    if report is None:
        handler.send_xml_error(route, 404, "NoSuchKey", "The specified key does not exist.")
        return
    _stream(handler, route, report, decision)


def _stream(handler: Handler, route: str, report: ReportFile, decision: Decision) -> None:
    """Send a report file: conditional GET, single ranges, chunked writes, injected cut-offs."""
    common = {
        "ETag": report.etag,
        "Last-Modified": report.last_modified,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=0",
    }
    if_none_match = handler.headers.get("If-None-Match")
    if if_none_match and report.etag in [t.strip() for t in if_none_match.split(",")]:
        handler.record_response(route, 304)
        handler.send_response(304)
        for name, value in common.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    start, end = 0, report.size - 1
    status = 200
    range_header = handler.headers.get("Range")
    if range_header:
        parsed = _parse_range(range_header, report.size)
        if parsed is None:
            handler.send_bytes(
                route, 416, b"", "text/plain", {"Content-Range": f"bytes */{report.size}"}
            )
            return
        start, end = parsed
        status = 206
        common["Content-Range"] = f"bytes {start}-{end}/{report.size}"
    length = max(0, end - start + 1)
    handler.record_response(route, status)
    handler.send_response(status)
    handler.send_header("Content-Type", "text/csv; charset=utf-8")
    handler.send_header("Content-Length", str(length))
    handler.send_header("Content-Disposition", f'attachment; filename="{report.name}.csv"')
    for name, value in common.items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command == "HEAD":
        return
    limit = length
    if decision.cut_off_fraction is not None:
        limit = int(length * decision.cut_off_fraction)
        handler.state.stats.fault("cut_off")
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
            handler.wfile.write(data)
            sent += len(data)
            if decision.body_delay_ms and sent < limit:
                handler.wfile.flush()
                time.sleep(decision.body_delay_ms / 1000)
    handler.wfile.flush()
    handler.state.stats.count("bytes_sent", sent)
    if sent < length:
        handler.state.stats.count("partial_downloads")
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)
    else:
        handler.state.stats.count("downloads")


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
