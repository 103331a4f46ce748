"""REST resources under ``/services/data/``: versions, describe, query, sObject rows, limits.

Handlers receive a :class:`Ctx` (the org, the request, the authenticated user and the API
version) and return a :class:`~salesforce_emulator.wire.Response` or raise
:class:`~salesforce_emulator.wire.ApiError`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import ids, soql, writes
from .metadata import NUMBER_TYPES, TEXT_TYPES, ObjectDef
from .store import q
from .validation import TypeMismatch, coerce
from .wire import ApiError, Request, Response, empty, json_response, not_found

if TYPE_CHECKING:
    from .org import Org
    from .users import User

MIN_VERSION = 31  # SOAP API End-of-Life Policy: versions 31.0 and later are supported
MAX_VERSION = 67
PAGE_SIZE = 2000
_SEASONS = ("Summer", "Winter", "Spring")  # 31.0 was Summer '14


@dataclass
class Ctx:
    org: Org
    req: Request
    user: User
    version: str  # "67.0"

    @property
    def prefix(self) -> str:
        return f"/services/data/v{self.version}"


def versions(base: str = "") -> list[dict[str, str]]:
    """``GET /services/data/``: every supported version, oldest first."""
    out = []
    for v in range(MIN_VERSION, MAX_VERSION + 1):
        step = v - 31
        season = _SEASONS[step % 3]
        year = 14 + (step + 2) // 3
        out.append(
            {"label": f"{season} '{year}", "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
        )
    return out


def resources(ctx: Ctx) -> Response:
    p = ctx.prefix
    return json_response(
        {
            "limits": f"{p}/limits",
            "sobjects": f"{p}/sobjects",
            "query": f"{p}/query",
            "search": f"{p}/search",
            "queryAll": f"{p}/queryAll",
            "composite": f"{p}/composite",
            "jobs": f"{p}/jobs",
        }
    )


def object_or_404(ctx: Ctx, name: str) -> ObjectDef:
    obj = ctx.org.object(name)
    if obj is None or not ctx.user.can(obj.name, "read"):
        raise not_found()
    return obj


def _object_flags(ctx: Ctx, obj: ObjectDef) -> dict[str, Any]:
    p = ctx.prefix
    user = ctx.user
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": user.can(obj.name, "create") and obj.name != "User",
        "custom": obj.custom,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": user.can(obj.name, "delete") and obj.name != "User",
        "deprecatedAndHidden": False,
        "feedEnabled": not obj.custom,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "mergeable": obj.name in {"Account", "Contact", "Lead"},
        "mruEnabled": True,
        "name": obj.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": True,
        "updateable": user.can(obj.name, "edit"),
        "urls": {
            "rowTemplate": f"{p}/sobjects/{obj.name}/{{ID}}",
            "defaultValues": f"{p}/sobjects/{obj.name}/defaultValues?recordTypeId&fields",
            "describe": f"{p}/sobjects/{obj.name}/describe",
            "sobject": f"{p}/sobjects/{obj.name}",
        },
    }


def describe_global(ctx: Ctx) -> Response:
    sobjects = [
        _object_flags(ctx, obj)
        for obj in sorted(ctx.org.objects.values(), key=lambda o: o.name)
        if ctx.user.can(obj.name, "read")
    ]
    return json_response({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects})


def sobject_info(ctx: Ctx, name: str) -> Response:
    obj = object_or_404(ctx, name)
    return json_response({"objectDescribe": _object_flags(ctx, obj), "recentItems": []})


def describe(ctx: Ctx, name: str) -> Response:
    """Object describe; field ``updateable``/``createable`` reflect the running user."""
    obj = object_or_404(ctx, name)
    user = ctx.user
    can_edit = user.can(obj.name, "edit")
    can_create = user.can(obj.name, "create")
    fields = []
    for fname, fdesc in obj.fields.items():
        out = dict(fdesc)
        writable = user.field_editable(obj.name, fname)
        out["updateable"] = bool(fdesc["updateable"] and can_edit and writable)
        out["createable"] = bool(fdesc["createable"] and can_create and writable)
        fields.append(out)
    body = _object_flags(ctx, obj)
    body.update(
        {
            "actionOverrides": [],
            "childRelationships": [],
            "compactLayoutable": True,
            "defaultImplementation": None,
            "extendedBy": None,
            "extendsInterfaces": None,
            "fields": fields,
            "implementedBy": None,
            "implementsInterfaces": None,
            "listviewable": None,
            "lookupLayoutable": None,
            "namedLayoutInfos": [],
            "networkScopeFieldName": None,
            "recordTypeInfos": [],
            "searchLayoutable": True,
            "sobjectDescribeOption": "FULL",
            "supportedScopes": [
                {"label": "All records", "name": "everything"},
                {"label": "My records", "name": "mine"},
            ],
        }
    )
    return json_response(body)


def limits(ctx: Ctx) -> Response:
    return json_response(ctx.org.api.limits_json(ctx.org.bulk.batches_used))


# -- query -------------------------------------------------------------------------------------
@dataclass
class _Locator:
    """The rows after the first page, fetched once when the first page is answered (a
    snapshot, like Salesforce's server-side cursor)."""

    obj: ObjectDef
    fields: list[str]
    cols: list[str]
    rows: list[tuple[Any, ...]]
    total: int
    created: float


class Locators:
    """Server-side query cursors for ``nextRecordsUrl`` (15 minutes, at most 200 kept)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, _Locator] = OrderedDict()
        self._n = 0

    def add(self, loc: _Locator) -> str:
        with self._lock:
            self._n += 1
            key = ids.make_id("01g", self._n)
            self._items[key] = loc
            while len(self._items) > 200:
                self._items.popitem(last=False)
            return key

    def get(self, key: str) -> _Locator | None:
        with self._lock:
            loc = self._items.get(key)
        if loc is None or time.time() - loc.created > 900:
            return None
        return loc


LOCATORS = Locators()
_JSON_FORM: dict[str, Any] = {"boolean": bool} | dict.fromkeys(NUMBER_TYPES, float)


def _records(
    ctx: Ctx, obj: ObjectDef, fields: list[str], cols: list[str], rows: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    url = f"{ctx.prefix}/sobjects/{obj.name}/"
    id_pos = cols.index("Id") if "Id" in cols else None
    # What store.decode does, chosen once per field: None for values kept as stored.
    positions = [(f, cols.index(f), _JSON_FORM.get(obj.fields[f]["type"])) for f in fields]
    out = []
    for row in rows:
        rec: dict[str, Any] = {
            "attributes": {
                "type": obj.name,
                "url": url + (row[id_pos] if id_pos is not None else ""),
            }
        }
        for name, pos, to_json in positions:
            value = row[pos]
            rec[name] = value if to_json is None or value is None else to_json(value)
        out.append(rec)
    return out


def query(ctx: Ctx, *, include_deleted: bool = False) -> Response:
    """``GET …/query?q=`` and ``…/queryAll?q=``: first page of up to 2,000 records."""
    text = ctx.req.arg("q")
    if text is None:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    try:
        parsed = soql.parse(text)
        obj = ctx.org.object(parsed.object_name)
        if obj is None or not ctx.user.can(obj.name, "read"):
            raise soql.invalid_type_error(parsed)
        schema = soql.ObjectSchema(obj.name, obj.types())
        sql, params = soql.to_sql(parsed, schema, include_deleted=include_deleted)
        fields = soql.canonical_fields(parsed, schema)
    except soql.SoqlError as exc:
        raise ApiError(400, exc.error_code, exc.message) from None
    with ctx.org.store.locked() as conn:
        cursor = conn.execute(sql, params)
        cols = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(PAGE_SIZE + 1)
        if parsed.is_count:
            return json_response(
                {"totalSize": int(rows[0][0]) if rows else 0, "done": True, "records": []}
            )
        if len(rows) > PAGE_SIZE:
            rows += cursor.fetchall()
    total = len(rows)
    body: dict[str, Any] = {"totalSize": total, "done": total <= PAGE_SIZE}
    if total > PAGE_SIZE:
        key = LOCATORS.add(_Locator(obj, fields, cols, rows, total, time.time()))
        body["nextRecordsUrl"] = f"{ctx.prefix}/query/{key}-{PAGE_SIZE}"
    body["records"] = _records(ctx, obj, fields, cols, rows[:PAGE_SIZE])
    return json_response(body)


def query_more(ctx: Ctx, locator: str) -> Response:
    key, _, offset_text = locator.partition("-")
    loc = LOCATORS.get(key)
    if loc is None or not offset_text.isdigit():
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    offset = int(offset_text)
    nxt = offset + PAGE_SIZE
    body: dict[str, Any] = {"totalSize": loc.total, "done": nxt >= loc.total}
    if nxt < loc.total:
        body["nextRecordsUrl"] = f"{ctx.prefix}/query/{key}-{nxt}"
    body["records"] = _records(ctx, loc.obj, loc.fields, loc.cols, loc.rows[offset:nxt])
    return json_response(body)


# -- single records --------------------------------------------------------------------------
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
    return json_response(_records(ctx, obj, fields, cols, [row])[0])


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
