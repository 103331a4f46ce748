"""sObject Collections: ``/services/data/vNN.0/composite/sobjects`` (update, create, delete).

``PATCH`` updates up to 200 records (``EXCEEDED_ID_LIMIT`` beyond) and answers one SaveResult
per record, in request order, with ``statusCode`` in ``errors`` (not ``errorCode``); with
``allOrNone: true`` one failure rolls everything back and the other records report
``ALL_OR_NONE_OPERATION_ROLLED_BACK``. Records may name different object types; they are
checked for every type before anything is written when ``allOrNone`` is true, so the whole
request rolls back across types; a rolled-back SaveResult keeps its ``id``. Of duplicate Ids the
first 12 are written, later ones fail with ``DUPLICATE_VALUE``.
"""

from __future__ import annotations

from typing import Any

from . import writes
from .rest import Ctx
from .rest_records import pending_from_json
from .wire import ApiError, Response, json_response
from .write_errors import RecordError

MAX_RECORDS = 200


def _body(ctx: Ctx) -> tuple[list[Any], bool]:
    body = ctx.req.json()
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiError(
            400,
            "JSON_PARSER_ERROR",
            'The request body must be {"allOrNone": bool, "records": [...]}',
        )
    records = body["records"]
    if len(records) > MAX_RECORDS:
        raise ApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        )
    return records, bool(body.get("allOrNone", False))


def _grouped(ctx: Ctx, records: list[Any]) -> dict[str, list[tuple[int, writes.Pending]]]:
    groups: dict[str, list[tuple[int, writes.Pending]]] = {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "Each record must be a JSON object")
        attrs = record.get("attributes")
        type_name = attrs.get("type") if isinstance(attrs, dict) else None
        if not type_name:
            raise ApiError(
                400,
                "INVALID_TYPE",
                "sObject type must be specified in the attributes of each record",
            )
        obj = ctx.org.object(type_name)
        if obj is None or not ctx.user.can(obj.name, "read"):
            raise ApiError(400, "INVALID_TYPE", f"sObject type '{type_name}' is not supported.")
        groups.setdefault(obj.name, []).append(
            (index, pending_from_json(obj, record, body=ctx.req.body))
        )
    return groups


def _write(
    ctx: Ctx, op: str, obj: Any, pendings: list[writes.Pending], all_or_none: bool, dry_run: bool
) -> list[writes.Outcome]:
    if op == "update":
        return writes.update(
            ctx.org, ctx.user, obj, pendings, all_or_none=all_or_none, dry_run=dry_run
        )
    return writes.create(ctx.org, ctx.user, obj, pendings, all_or_none=all_or_none, dry_run=dry_run)


def _run(ctx: Ctx, op: str) -> Response:
    records, all_or_none = _body(ctx)
    groups = _grouped(ctx, records)
    if op == "create":
        for items in groups.values():
            for _, p in items:
                if p.raw_id is not None:
                    p.errors.append(
                        RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ("Id",))
                    )
    results: list[writes.Outcome | None] = [None] * len(records)
    objects = {name: ctx.org.object(name) for name in groups}
    if all_or_none and len(groups) > 1:
        # allOrNone rolls back the whole request, across object types: every type is checked
        # before any is written, and one failure anywhere rolls back all of them.
        checked = {
            name: _write(ctx, op, objects[name], [p for _, p in items], True, True)
            for name, items in groups.items()
        }
        if any(not o.success for outs in checked.values() for o in outs):
            for name, items in groups.items():
                for (index, _), out in zip(items, checked[name], strict=False):
                    if out.success:
                        out.errors.append(writes.ROLLED_BACK)
                    results[index] = out
            return json_response([r.to_json() if r else {} for r in results])
    failed = False
    for type_name, items in groups.items():
        outcomes = _write(
            ctx, op, objects[type_name], [p for _, p in items], all_or_none or failed, False
        )
        for (index, _), out in zip(items, outcomes, strict=False):
            results[index] = out
        failed = failed or (all_or_none and any(not o.success for o in outcomes))
    return json_response([r.to_json() if r else {} for r in results])


def update(ctx: Ctx) -> Response:
    """``PATCH /composite/sobjects``."""
    return _run(ctx, "update")


def create(ctx: Ctx) -> Response:
    """``POST /composite/sobjects`` (exists so tests can prove the target never calls it)."""
    return _run(ctx, "create")


def delete(ctx: Ctx) -> Response:
    """``DELETE /composite/sobjects?ids=…&allOrNone=…``."""
    raw = ctx.req.arg("ids", "") or ""
    id_list = [i for i in raw.split(",") if i]
    if len(id_list) > MAX_RECORDS:
        raise ApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        )
    all_or_none = (ctx.req.arg("allOrNone", "false") or "").lower() == "true"
    results: list[dict[str, Any]] = []
    by_prefix: dict[str, list[tuple[int, str]]] = {}
    for index, rid in enumerate(id_list):
        by_prefix.setdefault(rid[:3], []).append((index, rid))
    out_list: list[Any] = [None] * len(id_list)
    for prefix, items in by_prefix.items():
        obj = ctx.org.object_by_prefix(prefix)
        if obj is None:
            for index, rid in items:
                out_list[index] = writes.Outcome(
                    None, [RecordError("MALFORMED_ID", f"malformed id {rid}", ())]
                )
            continue
        outs = writes.delete(
            ctx.org,
            ctx.user,
            obj,
            [writes.Pending(raw_id=rid) for _, rid in items],
            all_or_none=all_or_none,
        )
        for (index, _), out in zip(items, outs, strict=False):
            out_list[index] = out
    results = [o.to_json() for o in out_list]
    return json_response(results)
