"""SOSL search over REST: ``GET /services/data/vNN.0/search/?q=FIND {…} …``.

Supported (REST API "Search", SOQL and SOSL Reference "FIND", "IN", "RETURNING"):
``FIND {term} [IN ALL|NAME|EMAIL|PHONE FIELDS] [RETURNING Object[(Field, … [WHERE …]
[LIMIT n])], …] [LIMIT n]`` → ``{"searchRecords": [{"attributes": {"type", "url"}, …}]}``,
records grouped by object in ``RETURNING`` order; without a field list each record carries its
``Id``. In the term, a backslash escapes the next character and ``*`` / ``?`` are wildcards.

Simplifications (documented in emulators/README.md): the term matches as one phrase, case-
insensitively — the whole value of e-mail and phone fields (``IN EMAIL FIELDS`` is an exact
e-mail lookup, as in Salesforce, where an e-mail is one token) and any part of name/text
fields; the ``AND``/``OR``/``NOT`` term operators, ``WITH`` clauses, ``ORDER BY`` inside
``RETURNING``, relevance ranking and search-index delay are not emulated (refused with
``MALFORMED_SEARCH`` where they would change the result).
"""

from __future__ import annotations

import re
from typing import Any

from . import soql
from .metadata import ObjectDef
from .rest import Ctx
from .rest_query import records
from .wire import ApiError, Response, json_response

MAX_RESULTS = 2000
_FIND = re.compile(
    r"^\s*FIND\s+\{(?P<term>(?:\\.|[^\\}])*)\}\s*"
    r"(?:IN\s+(?P<scope>ALL|NAME|EMAIL|PHONE|SIDEBAR)\s+FIELDS\s*)?"
    r"(?:RETURNING\s+(?P<returning>.*?))?\s*(?:LIMIT\s+(?P<limit>\d+))?\s*$",
    re.I | re.S,
)
_ITEM = re.compile(r"^\s*(?P<name>[A-Za-z][A-Za-z0-9_]*)\s*(?:\((?P<inner>.*)\))?\s*$", re.S)
_INNER = re.compile(
    r"^(?P<fields>.*?)(?:\s+WHERE\s+(?P<where>.*?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.I | re.S,
)
_OPERATORS = re.compile(r"(?:^|\s)(AND|OR|AND NOT)(?:\s|$)|^\s*NOT\s|\"", re.I)


def _malformed(message: str) -> ApiError:
    return ApiError(400, "MALFORMED_SEARCH", message)


def _split_top(text: str) -> list[str]:
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'" and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _term(raw: str) -> tuple[str, bool]:
    """The term as a SOQL LIKE body (escapes applied) and whether it has wildcards."""
    out: list[str] = []
    wild = False
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            ch = raw[i + 1]
            i += 2
            out.append({"%": "\\%", "_": "\\_", "\\": "\\\\", "'": "\\'"}.get(ch, ch))
            continue
        i += 1
        if ch == "*":
            out.append("%")
            wild = True
        elif ch == "?":
            out.append("_")
            wild = True
        else:
            out.append({"%": "\\%", "_": "\\_", "'": "\\'"}.get(ch, ch))
    return "".join(out).strip(), wild


def _scope_fields(obj: ObjectDef, scope: str) -> list[tuple[str, bool]]:
    """(field, whole-value match) pairs searched in ``scope``."""
    text = [
        f
        for f in obj.fields.values()
        if f["type"] in {"string", "email", "phone", "url", "picklist", "textarea", "combobox"}
        and f.get("filterable", True)
    ]
    if scope == "EMAIL":
        return [(f["name"], True) for f in text if f["type"] == "email"]
    if scope == "PHONE":
        return [(f["name"], True) for f in text if f["type"] == "phone"]
    if scope == "NAME":
        return [(f["name"], False) for f in text if f.get("nameField") or f["name"] == "Name"]
    return [(f["name"], f["type"] in {"email", "phone"}) for f in text]


def search(ctx: Ctx) -> Response:
    """``GET …/search/?q=``."""
    text = ctx.req.arg("q")
    if not text:
        raise _malformed("A search string has to be specified (q=FIND {term} …)")
    match = _FIND.match(text)
    if match is None:
        raise _malformed(
            "The emulator understands FIND {term} [IN ALL|NAME|EMAIL|PHONE FIELDS] "
            "[RETURNING Object(Field, … [WHERE …] [LIMIT n]), …] [LIMIT n]"
        )
    raw_term = match.group("term")
    if _OPERATORS.search(raw_term.replace("\\\\", "")):
        raise _malformed("AND / OR / NOT and quoted phrases in a search term are not emulated")
    term, wild = _term(raw_term)
    if len(term.replace("%", "").replace("_", "")) < 2:
        raise _malformed("search term must be longer than one character")
    scope = (match.group("scope") or "ALL").upper()
    scope = "ALL" if scope == "SIDEBAR" else scope
    limit = min(int(match.group("limit") or MAX_RESULTS), MAX_RESULTS)
    if match.group("returning"):
        targets = [_ITEM.match(item) for item in _split_top(match.group("returning"))]
        if any(t is None for t in targets):
            raise _malformed(f"Bad RETURNING clause: {match.group('returning')}")
    else:
        targets = []
    specs: list[tuple[str, str | None]] = [
        (t.group("name"), t.group("inner")) for t in targets if t is not None
    ]
    if not specs:
        specs = [
            (o.name, None)
            for o in sorted(ctx.org.objects.values(), key=lambda o: o.name)
            if ctx.user.can(o.name, "read") and o.name != "User"
        ]
    found: list[dict[str, Any]] = []
    for name, inner in specs:
        if len(found) >= limit:
            break
        found.extend(_search_object(ctx, name, inner, scope, term, wild, limit - len(found)))
    return json_response({"searchRecords": found[:limit]})


def _search_object(
    ctx: Ctx, name: str, inner: str | None, scope: str, term: str, wild: bool, room: int
) -> list[dict[str, Any]]:
    obj = ctx.org.object(name)
    if obj is None or not ctx.user.can(obj.name, "read"):
        raise ApiError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
    fields, where, limit = "Id", None, room
    if inner is not None:
        parts = _INNER.match(inner.strip())
        assert parts is not None
        fields = parts.group("fields").strip() or "Id"
        where = parts.group("where")
        if re.search(r"\bORDER\s+BY\b", fields + " " + (where or ""), re.I):
            raise _malformed("ORDER BY inside RETURNING is not emulated")
        if parts.group("limit"):
            limit = min(limit, int(parts.group("limit")))
    searched = _scope_fields(obj, scope)
    if not searched:
        return []
    tests = []
    for field_name, whole in searched:
        pattern = term if whole else f"%{term}%"
        op = "LIKE" if wild or not whole else "="
        literal = pattern if op == "LIKE" else pattern.replace("\\%", "%").replace("\\_", "_")
        tests.append(f"{field_name} {op} '{literal}'")
    condition = "(" + " OR ".join(tests) + ")"
    if where:
        condition += f" AND ({where})"
    # A SOQL statement for the emulator's own parser (it validates names and escapes).
    statement = f"SELECT {fields} FROM {obj.name} WHERE {condition} LIMIT {limit}"  # noqa: S608
    try:
        parsed = soql.parse(statement)
        schema = soql.ObjectSchema(obj.name, obj.types())
        sql, params = soql.to_sql(parsed, schema)
        selected = soql.canonical_fields(parsed, schema)
    except soql.SoqlError as exc:
        raise ApiError(400, exc.error_code, exc.message) from None
    with ctx.org.store.locked() as conn:
        cursor = conn.execute(sql, params)
        cols = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return records(ctx, obj, selected, cols, rows)
