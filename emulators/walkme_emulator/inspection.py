"""The inspection API under `/__emulator/` (loopback clients only): control and observe it.

- `GET  /__emulator/health` → `{"ok": true}`
- `GET  /__emulator/reports` → every served report (name, uuid, path, size, etag, urls)
- `POST /__emulator/reports` JSON `{"name", "path", "ttl"?}` → serve an existing file (no copy)
- `PUT  /__emulator/reports/<name>[?ttl=S]` raw CSV body → write `<reports-dir>/<name>.csv`
- `DELETE /__emulator/reports/<name>` → stop serving it
- `POST /__emulator/sign` JSON `{"name" | "path", "ttl"?}` → `{"path", "url", "expires"}`
- `GET|POST /__emulator/faults` → current fault plan / replace it (see `faults.py`)
- `GET  /__emulator/stats` → counters (see `stats.py`)
- `POST /__emulator/clients` JSON `{"client_id", "client_secret", "reports"?: bool}` → add a key
- `POST /__emulator/clock` JSON `{"advance": seconds}` → move the emulator's clock
- `POST /__emulator/tokens/expire` → every issued token now answers 401
- `POST /__emulator/reset` → no tokens, faults, extra keys, stats or clock offset (reports stay)

Publishing and signing answer with signed URLs: they go to the caller only, never to the log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .auth import ApiKey
from .defaults import DEFAULT_SIGNED_TTL
from .faults import FaultConfigError, FaultPlan
from .report_store import ReportNameError, clean_name
from .signing import SIGNED_PREFIX, signed_path_for

if TYPE_CHECKING:
    from .server import Handler

MAX_JSON_BYTES = 1 << 20


class _BadRequest(Exception):
    """Answer 400 with this message."""


def handle(handler: Handler, path: str, query: dict[str, list[str]]) -> None:
    """Dispatch one inspection request."""
    method = handler.command
    sub = path[len("/__emulator") :].rstrip("/") or "/"
    route = f"{method} /__emulator{_template(sub)}"
    try:
        data = _dispatch(handler, method, sub, query)
    except _BadRequest as exc:
        handler.send_json(route, 400, {"error": "bad_request", "message": str(exc)})
        return
    except (ReportNameError, FaultConfigError, FileNotFoundError, ValueError) as exc:
        handler.send_json(route, 400, {"error": "bad_request", "message": str(exc)})
        return
    if data is None:
        if not handler.body_consumed:
            handler.discard_body()
        handler.send_json(
            route, 404, {"error": "not_found", "message": f"No inspection route {method} {path}"}
        )
        return
    status, payload = data
    handler.send_json(route, status, payload)


def _template(sub: str) -> str:
    if sub.startswith("/reports/"):
        return "/reports/{name}"
    return sub


def _json_body(handler: Handler) -> dict[str, Any]:
    body = handler.read_body(MAX_JSON_BYTES)
    if body is None:
        raise _BadRequest(f"JSON body larger than {MAX_JSON_BYTES} bytes")
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise _BadRequest(f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _BadRequest("body must be a JSON object")
    return data


def _ttl(value: Any) -> int:
    try:
        ttl = int(value)
    except (TypeError, ValueError) as exc:
        raise _BadRequest(f"ttl must be an integer number of seconds, got {value!r}") from exc
    return ttl


def _dispatch(
    handler: Handler, method: str, sub: str, query: dict[str, list[str]]
) -> tuple[int, Any] | None:
    state = handler.state
    if sub == "/health" and method == "GET":
        return 200, {"ok": True}
    if sub == "/reports" and method == "GET":
        return 200, [state.report_urls(r, DEFAULT_SIGNED_TTL) for r in state.store.all()]
    if sub == "/reports" and method == "POST":
        body = _json_body(handler)
        if not body.get("name") or not body.get("path"):
            raise _BadRequest('send {"name": ..., "path": ...} to serve an existing file')
        report = state.store.register(str(body["name"]), Path(str(body["path"])))
        if report is None:
            raise FileNotFoundError(f"report file {body['path']} disappeared")
        return 201, state.report_urls(report, _ttl(body.get("ttl", DEFAULT_SIGNED_TTL)))
    if sub.startswith("/reports/") and method == "PUT":
        name = clean_name(sub[len("/reports/") :])
        length = handler.headers.get("Content-Length")
        if length is None:
            handler.close_connection = True
            raise _BadRequest("PUT needs a Content-Length header")
        handler.body_consumed = True
        report = state.store.upload(name, handler.rfile, handler.content_length())
        if report is None:
            raise FileNotFoundError(f"report {name} disappeared after upload")
        ttl = _ttl(query.get("ttl", [DEFAULT_SIGNED_TTL])[0])
        return 201, state.report_urls(report, ttl)
    if sub.startswith("/reports/") and method == "DELETE":
        removed = state.store.remove(sub[len("/reports/") :])
        return (200, {"removed": True}) if removed else None
    if sub == "/sign" and method == "POST":
        body = _json_body(handler)
        ttl = _ttl(body.get("ttl", DEFAULT_SIGNED_TTL))
        if body.get("name"):
            unsigned = signed_path_for(clean_name(str(body["name"])))
        elif body.get("path"):
            unsigned = urlsplit(str(body["path"])).path
            if not unsigned.startswith(SIGNED_PREFIX):
                raise _BadRequest(f"path must start with {SIGNED_PREFIX}")
        else:
            raise _BadRequest('send {"name": ...} or {"path": "/g_reports/<uuid>.csv"}')
        signed = state.sign(unsigned, ttl)
        return 200, {
            "path": signed,
            "url": state.base_url + signed,
            "expires": int(state.now() + ttl),
        }
    if sub == "/faults" and method == "GET":
        return 200, state.faults.describe()
    if sub == "/faults" and method == "POST":
        plan = FaultPlan.from_json(_json_body(handler))
        state.set_faults(plan)
        return 200, plan.describe()
    if sub == "/stats" and method == "GET":
        return 200, state.stats.snapshot()
    if sub == "/clients" and method == "POST":
        body = _json_body(handler)
        if not body.get("client_id") or not body.get("client_secret"):
            raise _BadRequest('send {"client_id": ..., "client_secret": ..., "reports": false}')
        reports = body.get("reports", True)
        if not isinstance(reports, bool):
            raise _BadRequest("reports must be true or false")
        state.keyring.add_key(
            ApiKey(str(body["client_id"]), str(body["client_secret"]), reports=reports)
        )
        return 201, {"client_id": body["client_id"], "reports": reports}
    if sub == "/clock" and method == "POST":
        body = _json_body(handler)
        advance = body.get("advance", 0)
        if not isinstance(advance, (int, float)) or isinstance(advance, bool):
            raise _BadRequest("advance must be a number of seconds")
        return 200, {"now": state.advance_clock(float(advance))}
    if sub == "/clock" and method == "GET":
        return 200, {"now": state.now()}
    if sub == "/tokens/expire" and method == "POST":
        handler.read_body(MAX_JSON_BYTES)
        return 200, {"expired": state.keyring.expire_all()}
    if sub == "/reset" and method == "POST":
        handler.read_body(MAX_JSON_BYTES)
        state.reset()
        return 200, {"reset": True}
    return None
