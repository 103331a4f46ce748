"""Single records: ``GET|PATCH|DELETE …/sobjects/{obj}/{id}`` and ``POST …/sobjects/{obj}``,
and the JSON record → :class:`~.writes.Pending` conversion Collections shares."""

from __future__ import annotations

from typing import Any

from . import ids, writes
from .metadata import TEXT_TYPES, ObjectDef
from .rest import Ctx, object_or_404
from .rest_query import records
from .store import q
from .value_conversion import coerce
from .wire import ApiError, Response, empty, json_response, not_found
from .write_errors import TypeMismatch


def pending_from_json(obj: ObjectDef, record: Any, *, body: bytes = b"") -> writes.Pending:
    """JSON record → Pending. Unknown fields and unconvertible values fail the whole request,
    as Salesforce's JSON deserializer does."""
    if not isinstance(record, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Each record must be a JSON object")
    item = writes.Pending()
    for key, value in record.items():
        if key == "attributes":
            continue
        fdesc = obj.field(key)
        if fdesc is None:
            raise ApiError(
                400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}"
            )
        if fdesc["name"] == "Id":
            item.raw_id = value
            continue
        try:
            stored = coerce(fdesc, value)
        except TypeMismatch as exc:
            raise ApiError(
                400,
                "JSON_PARSER_ERROR",
                f"{exc.json_message()} at [line:1, column:{_column(body, value)}]",
            ) from None
        if type(stored) is str and fdesc["type"] in TEXT_TYPES:
            stored = trim_text(stored)
        item.values[fdesc["name"]] = stored
    return item


_JAVA_WHITESPACE = "".join(chr(c) for c in range(33))


def trim_text(value: str) -> str | None:
    """Salesforce trims leading and trailing white space (Java's ``String.trim``: characters
    up to U+0020) of text values on save (SOAP ``update()``, "String Values"); a value that is
    only white space is stored as null, as every empty text value is."""
    trimmed = value.strip(_JAVA_WHITESPACE)
    return trimmed or None


def _column(body: bytes, value: Any) -> int:
    try:
        needle = (value if isinstance(value, str) else str(value)).encode()
        pos = body.find(needle)
    except Exception:  # pragma: no cover - best effort position only
        pos = -1
    return pos + 1 if pos >= 0 else 1


def _record_id(obj: ObjectDef, raw: str) -> str:
    norm = ids.normalize(raw)
    if norm is None or not norm.startswith(obj.key_prefix):
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {raw}",
        )
    return norm


def _raise_single(out: writes.Outcome) -> None:
    err = out.errors[0]
    if err.status_code == "INVALID_CROSS_REFERENCE_KEY":
        raise not_found()
    if err.status_code == "ENTITY_IS_DELETED":
        raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
    raise ApiError(400, err.status_code, err.message, list(err.fields))


def get_record(ctx: Ctx, name: str, raw_id: str) -> Response:
    obj = object_or_404(ctx, name)
    record_id = _record_id(obj, raw_id)
    wanted = ctx.req.arg("fields")
    if wanted:
        fields = []
        for f in wanted.split(","):
            fdesc = obj.field(f.strip())
            if fdesc is None:
                raise ApiError(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{f.strip()}' on entity '{obj.name}'. If you are "
                    "attempting to use a custom field, be sure to append the '__c' "
                    "after the custom field name. Please reference your WSDL or the "
                    "describe call for the appropriate names.",
                )
            fields.append(fdesc["name"])
    else:
        fields = list(obj.fields)
    cols = list(dict.fromkeys(["Id", "IsDeleted", *fields]))
    with ctx.org.store.locked() as conn:
        row = conn.execute(
            f'SELECT {", ".join(q(c) for c in cols)} FROM {q(obj.name)} WHERE "Id" = ?',  # noqa: S608 - identifiers are validated API names
            (record_id,),
        ).fetchone()
    if row is None:
        raise not_found()
    if row[1]:
        raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
    return json_response(records(ctx, obj, fields, cols, [row])[0])


def patch_record(ctx: Ctx, name: str, raw_id: str) -> Response:
    obj = object_or_404(ctx, name)
    record_id = _record_id(obj, raw_id)
    item = pending_from_json(obj, ctx.req.json(), body=ctx.req.body)
    item.raw_id = record_id
    out = writes.update(ctx.org, ctx.user, obj, [item])[0]
    if not out.success:
        _raise_single(out)
    return empty(204)


def delete_record(ctx: Ctx, name: str, raw_id: str) -> Response:
    obj = object_or_404(ctx, name)
    record_id = _record_id(obj, raw_id)
    out = writes.delete(ctx.org, ctx.user, obj, [writes.Pending(raw_id=record_id)])[0]
    if not out.success:
        _raise_single(out)
    return empty(204)


def create_record(ctx: Ctx, name: str) -> Response:
    obj = object_or_404(ctx, name)
    item = pending_from_json(obj, ctx.req.json(), body=ctx.req.body)
    if item.raw_id is not None:
        raise ApiError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
    out = writes.create(ctx.org, ctx.user, obj, [item])[0]
    if not out.success:
        _raise_single(out)
    return json_response({"id": out.id, "success": True, "errors": []}, 201)
