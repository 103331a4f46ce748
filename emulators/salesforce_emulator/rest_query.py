"""SOQL over REST: ``GET …/query?q=``, ``…/queryAll?q=`` and the next pages
(``nextRecordsUrl``, server-side cursors of 2,000 records a page), and the JSON form of rows."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from . import ids, soql
from .metadata import NUMBER_TYPES, ObjectDef
from .rest import PAGE_SIZE, Ctx
from .wire import ApiError, Response, json_response


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


def records(
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
    body["records"] = records(ctx, obj, fields, cols, rows[:PAGE_SIZE])
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
    body["records"] = records(ctx, loc.obj, loc.fields, loc.cols, loc.rows[offset:nxt])
    return json_response(body)
