"""The emulator's own API under ``/__emulator/`` — NOT part of Salesforce; loopback only.

* ``GET  /__emulator/stats`` → ``{"api_calls", "requests_by_kind", "records_created",
  "records_updated", "records_deleted", "bulk_jobs", "faults_served",
  "peak_concurrent_requests"}`` (the most ``/services/…`` requests answered at once since the
  last reset)
* ``GET  /__emulator/requests`` → ``{"requests": [{"at", "method", "path", "status",
  "digest"?}, ...]}``, the last requests with their arrival times (see ``stats.py``)
* ``GET  /__emulator/records/{object}`` → ``{"object", "totalSize", "records"}`` with every
  field, deleted rows and system fields included
* ``POST /__emulator/seed`` (a seed JSON) → ``{"applied": {...counts}}``
* ``POST /__emulator/reset`` (optional ``{"seeds": [name-or-seed, ...]}``) → back to the start
  state (startup seeds re-applied), counters, faults and jobs cleared; tokens stay valid for
  users that still exist
* ``GET|POST /__emulator/faults`` → see ``faults.py`` and the README; actions
  ``expire_tokens``, ``api_remaining``, ``api_limit``, ``auto_approve``, ``bulk_delay_ms``,
  ``bulk_queue_ms``, ``bulk_records_per_second``
* ``GET  /__emulator/health`` → ``{"status": "ok"}``
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .faults import KNOBS
from .seeding import SeedError, load_seed
from .store import q, row_to_json
from .wire import ApiError, Request, Response, json_response, not_found

if TYPE_CHECKING:
    from .org import Org

_RECORDS = re.compile(r"^/__emulator/records/([A-Za-z0-9_]+)/?$")
_ACTIONS = {
    "expire_tokens",
    "api_remaining",
    "api_limit",
    "auto_approve",
    "bulk_delay_ms",
    "bulk_queue_ms",
    "bulk_records_per_second",
}


def is_loopback(ip: str) -> bool:
    return ip.startswith("127.") or ip in {"::1", "::ffff:127.0.0.1"}


def _json_body(req: Request) -> Any:
    if not req.body.strip():
        return {}
    try:
        return json.loads(req.body)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"invalid JSON: {exc}") from None


def handle(org: Org, req: Request) -> Response:
    if not is_loopback(req.client_ip):
        raise ApiError(403, "FORBIDDEN", "/__emulator/ answers loopback clients only")
    path = req.path.rstrip("/") or "/"
    if path == "/__emulator/health" and req.method == "GET":
        return json_response({"status": "ok"})
    if path == "/__emulator/stats" and req.method == "GET":
        return json_response(org.stats.to_json())
    if path == "/__emulator/requests" and req.method == "GET":
        return json_response({"requests": org.stats.requests()})
    match = _RECORDS.match(req.path)
    if match and req.method == "GET":
        return _records(org, match.group(1))
    if path == "/__emulator/seed" and req.method == "POST":
        try:
            return json_response({"applied": org.apply_seed(_json_body(req))})
        except SeedError as exc:
            raise ApiError(400, "INVALID_SEED", str(exc)) from None
    if path == "/__emulator/reset" and req.method == "POST":
        body = _json_body(req)
        seeds = None
        if isinstance(body, dict) and "seeds" in body:
            try:
                seeds = [load_seed(s) if isinstance(s, str) else s for s in body["seeds"]]
            except SeedError as exc:
                raise ApiError(400, "INVALID_SEED", str(exc)) from None
        try:
            applied = org.reset(seeds)
        except SeedError as exc:
            raise ApiError(400, "INVALID_SEED", str(exc)) from None
        return json_response({"applied": applied})
    if path == "/__emulator/faults":
        if req.method == "POST":
            return _faults(org, _json_body(req))
        if req.method == "GET":
            return _faults(org, {})
    raise not_found()


def _records(org: Org, name: str) -> Response:
    obj = org.object(name)
    if obj is None:
        raise ApiError(404, "NOT_FOUND", f"no object named {name}")
    cols = list(obj.fields)
    with org.store.locked() as conn:
        rows = conn.execute(
            f"SELECT {', '.join(q(c) for c in cols)} FROM {q(obj.name)} ORDER BY rowid"  # noqa: S608 - identifiers are validated API names
        ).fetchall()
    records = [row_to_json(obj, cols, row) for row in rows]
    return json_response({"object": obj.name, "totalSize": len(records), "records": records})


def _faults(org: Org, body: Any) -> Response:
    if not isinstance(body, dict):
        raise ApiError(400, "INVALID_FAULTS", "the body must be a JSON object")
    knobs = {k: v for k, v in body.items() if k not in _ACTIONS}
    expired = 0
    try:
        settings = org.faults.update(knobs)
    except KeyError as exc:
        raise ApiError(
            400,
            "INVALID_FAULTS",
            f"unknown fault {exc.args[0]!r}; known: "
            + ", ".join([*KNOBS, "clear", *sorted(_ACTIONS)]),
        ) from None
    except (TypeError, ValueError) as exc:
        raise ApiError(400, "INVALID_FAULTS", str(exc)) from None
    if body.get("expire_tokens"):
        expired = org.tokens.expire_all()
    if "api_limit" in body:
        org.api.set_maximum(int(body["api_limit"]))
    if "api_remaining" in body:
        org.api.set_remaining(int(body["api_remaining"]))
    if "auto_approve" in body:
        org.auto_approve = bool(body["auto_approve"])
    if "bulk_delay_ms" in body:
        org.bulk.delay = max(0, int(body["bulk_delay_ms"])) / 1000.0
    if "bulk_queue_ms" in body:
        org.bulk.queue_delay = max(0, int(body["bulk_queue_ms"])) / 1000.0
    if "bulk_records_per_second" in body:
        org.bulk.records_per_second = max(0.0, float(body["bulk_records_per_second"]))
    return json_response(
        {
            "faults": settings,
            "api_usage": {"used": org.api.used, "max": org.api.maximum},
            "auto_approve": org.auto_approve,
            "bulk_delay_ms": int(org.bulk.delay * 1000),
            "bulk_queue_ms": int(org.bulk.queue_delay * 1000),
            "bulk_records_per_second": org.bulk.records_per_second,
            "expired_tokens": expired,
        }
    )
