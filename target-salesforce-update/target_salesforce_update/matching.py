"""Pure matching logic: keys, match queries, resolution of keys to records, change detection.

Nothing here talks to Salesforce. The sink feeds rows in and records (from the match query)
back, and gets decisions out: which rows are rejected, which keys matched which records, and
which fields of each record actually need to change.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from . import soql
from .coercion import (
    ID_TYPES,
    CoercionError,
    FieldSpec,
    coercer,
    id_suffix,
    is_empty,
    record_id,
    valid_text,
)
from .preflight import Plan

#: Budget for the URL-encoded SOQL text of one match query. Salesforce rejects a request line
#: plus headers over 16,384 bytes: 16,384 - ~700 B of headers (host, bearer token, user agent)
#: - 46 B of ``GET /services/data/vNN.0/query?q= HTTP/1.1`` leaves ~15,638; 15,600 fills each
#: query to the real limit (≈ 330 e-mail keys), so a report needs the fewest match queries.
MAX_ENCODED_QUERY_CHARS = 15_600

_RESERVED = re.compile(r"[^A-Za-z0-9_.~-]")
#: Field types whose keys are numbers (compared as numbers, sent unquoted).
_NUMERIC = frozenset({"int", "long", "double"})


def encoded_length(text: str) -> int:
    """Length of ``text`` once percent-encoded for a query string (as ``quote(safe="")``)."""
    if text.isascii():
        return len(text) + 2 * len(_RESERVED.findall(text))
    return len(urllib.parse.quote(text, safe=""))


def id18(value: str) -> str:
    """Return the 18-character, case-safe form of a 15- or 18-character Salesforce Id."""
    if len(value) != 15:
        return value
    return value + id_suffix(value)


def key_text(value: Any, spec: FieldSpec, key_prefix: str = "") -> str | None:
    """The key as sent to Salesforce (trimmed; numbers in canonical form; Ids in their
    18-character form); None when empty.

    Raises:
        CoercionError: a numeric key that is not a number, or a key for an Id or reference
            field that is not a well-formed Id (of the object with ``key_prefix``, when given):
            Salesforce would refuse the whole match query for it.
    """
    if is_empty(value):
        return None
    if spec.type in _NUMERIC:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if isinstance(value, bool) or not number.is_finite():
            msg = f"{value!r} is not a number for {spec.name}"
            raise CoercionError(msg)
        if number and not -40 < number.adjusted() < 40:
            # no field stores it (and int("1e999999999") would take forever)
            msg = f"{str(value)[:40]!r} is out of range for {spec.name}"
            raise CoercionError(msg)
        if number == number.to_integral_value():
            return str(int(number))
        return format(number.normalize(), "f")
    text = valid_text(str(value)).strip()
    if spec.type in ID_TYPES:
        return record_id(text, spec, key_prefix if spec.type == "id" else "")
    return text


def match_key(value: Any, spec: FieldSpec, key_prefix: str = "") -> str | None:
    """The key used to pair rows with records: text compares case-insensitively, as in SOQL.

    Raises:
        CoercionError: see :func:`key_text`.
    """
    return folded_key(key_text(value, spec, key_prefix), spec)


def folded_key(text: str | None, spec: FieldSpec) -> str | None:
    """:func:`match_key` of a key already in :func:`key_text` form."""
    if text is None:
        return None
    if spec.is_text and spec.type not in ID_TYPES and not spec.case_sensitive:
        return text.casefold()
    return text


def text_key(spec: FieldSpec) -> Callable[[str], tuple[str, str] | None] | None:
    """For a text match field that is not an Id: a function giving ``(key_text, match_key)``
    of a ``str`` without their per-value type checks (trim; refuse invalid UTF-8; fold unless
    case-sensitive), None for a blank one; None for other fields (use :func:`match_key`).

    Raises (the function it returns):
        CoercionError: the text holds bytes that were not valid UTF-8.
    """
    if not _is_plain_text(spec):
        return None
    fold = not spec.case_sensitive

    def keys_of(value: str) -> tuple[str, str] | None:
        text = value.strip()
        if not text:
            return None
        if not text.isascii():
            valid_text(text)
        return text, text.casefold() if fold else text

    return keys_of


def _is_plain_text(spec: FieldSpec) -> bool:
    return spec.is_text and spec.type not in ID_TYPES and spec.type not in _NUMERIC


def _literal(text: str, spec: FieldSpec) -> str:
    if spec.type in _NUMERIC:
        return text
    return soql.quote(text)


def match_queries(
    plan: Plan,
    keys: Iterable[str],
    *,
    max_keys: int | None = None,
    max_encoded_chars: int = MAX_ENCODED_QUERY_CHARS,
) -> Iterator[str]:
    """SOQL statements that read every record whose match field equals one of ``keys``.

    Keys are packed into ``IN`` lists so each statement's URL-encoded text stays under
    ``max_encoded_chars`` and holds at most ``max_keys`` keys. Every key is escaped by the
    full SOQL rules (:func:`soql.quote`), so no key can change a query.
    """
    max_keys = max_keys or plan.integration.query_batch_size
    field_name = soql.quote_identifier(plan.match.name)
    columns = ", ".join(soql.quote_identifier(name) for name in plan.select_fields)
    where_extra = f" AND {plan.extra_filter}" if plan.extra_filter else ""
    # Names are checked API names; every key is a quoted literal.
    head = f"SELECT {columns} FROM {soql.quote_identifier(plan.sobject)} WHERE {field_name} IN ("  # noqa: S608
    tail = f"){where_extra}"
    fixed = encoded_length(head + tail)
    batch: list[str] = []
    size = fixed
    for key in keys:
        literal = _literal(key, plan.match)
        cost = encoded_length(literal) + 3  # "%2C" between literals
        if batch and (len(batch) >= max_keys or size + cost > max_encoded_chars):
            yield head + ",".join(batch) + tail
            batch, size = [], fixed
        if fixed + cost > max_encoded_chars:
            msg = f"key of {len(key)} characters is too long to look up in one query"
            raise CoercionError(msg)
        batch.append(literal)
        size += cost
    if batch:
        yield head + ",".join(batch) + tail


def index_records(records: Iterable[Mapping[str, Any]], plan: Plan) -> dict[str, list[dict]]:
    """Group records by the match key of their match-field value, in query order (the
    records themselves, not copies: the client yields a fresh dict per record)."""
    grouped: dict[str, list[dict]] = {}
    for record in records:
        try:
            key = match_key(record.get(plan.match.name), plan.match)
        except CoercionError:
            continue
        if key is not None:
            grouped.setdefault(key, []).append(record)  # type: ignore[arg-type]
    return grouped


_MISSING = object()


@dataclass(slots=True)
class PreparedRow:
    """One input row after key extraction and coercion."""

    position: int
    key: str | None
    raw_key: Any
    values: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    #: The key as sent to Salesforce (:func:`key_text`), for ``IN`` queries.
    text: str = ""


#: Per plan (by id, the plan kept to check identity): each mapped field's source, spec and
#: :func:`.coercion.coercer`, built once per stream instead of hashing specs per value.
FieldCoercers = tuple[tuple[str, FieldSpec, Callable[[Any], Any]], ...]
_T = TypeVar("_T")
_Cache = dict[int, tuple[Plan, Any]]
_COERCERS: _Cache = {}
_PREPARERS: _Cache = {}
_BY_NAME: _Cache = {}


def _per_plan(cache: _Cache, plan: Plan, build: Callable[[Plan], _T]) -> _T:
    """``build(plan)``, made once per plan for ``cache`` (by id, the plan kept to check
    identity; a long-lived process keeps the recent plans' only)."""
    entry = cache.get(id(plan))
    if entry is None or entry[0] is not plan:
        if len(cache) >= 64:
            cache.clear()
        entry = cache[id(plan)] = (plan, build(plan))
    return entry[1]  # type: ignore[no-any-return]


def field_coercers(plan: Plan) -> FieldCoercers:
    """``(source, spec, coerce_value)`` for each mapped field of ``plan``, in mapping order."""
    return _per_plan(
        _COERCERS,
        plan,
        lambda p: tuple((src, spec, coercer(spec)) for src, spec in p.fields.items()),
    )


def prepare_row(position: int, record: Mapping[str, Any], plan: Plan) -> PreparedRow:
    """Extract the key and coerce every mapped value; a failure marks the row rejected.

    ``values`` maps Salesforce field names to coerced values. Empty values are left out when
    ``null_values`` is ``skip`` and kept as ``None`` when it is ``clear`` (a cleared checkbox is
    ``False``, the only value Salesforce stores for it). For many rows of one plan, build
    :func:`row_preparer` once.
    """
    return row_preparer(plan)(position, record)


def row_preparer(plan: Plan) -> Callable[[int, Mapping[str, Any]], PreparedRow]:
    """:func:`prepare_row` for one plan, with what it reads of the plan bound once (the hot
    path of every row)."""
    return _per_plan(_PREPARERS, plan, _build_preparer)


def _build_preparer(plan: Plan) -> Callable[[int, Mapping[str, Any]], PreparedRow]:
    integration = plan.integration
    match_property = integration.match_property
    match = plan.match
    key_prefix = plan.key_prefix
    clear = integration.null_values == "clear"
    # (source, field name, coercer, the value a cleared field gets)
    fields = tuple(
        (source, spec.name, convert, False if spec.type == "boolean" else None)
        for source, spec, convert in field_coercers(plan)
    )
    plain_keys = text_key(match)  # text keys skip key_text's per-row type checks
    empty_key = f"empty key: {match_property} is blank"
    too_long = soql.MAX_LITERAL_CHARS
    long_encoded = MAX_ENCODED_QUERY_CHARS // 2

    def prepare(position: int, record: Mapping[str, Any]) -> PreparedRow:
        raw_key = record.get(match_property)
        try:
            if plain_keys is not None and raw_key.__class__ is str:
                keys = plain_keys(raw_key)
                if keys is None:
                    return PreparedRow(position, None, raw_key, error=empty_key)
                text, key = keys
            else:
                text = key_text(raw_key, match, key_prefix)  # type: ignore[assignment]
                key = folded_key(text, match)  # type: ignore[assignment]
                if key is None:
                    return PreparedRow(position, None, raw_key, error=empty_key)
        except CoercionError as exc:
            return PreparedRow(position, None, raw_key, error=f"invalid key: {exc}")
        # Percent-encoding makes one character at most 12 long (4 UTF-8 bytes x 3), so only a
        # long key needs its encoded length measured.
        if len(key) > too_long or (
            len(key) * 12 > long_encoded and encoded_length(key) > long_encoded
        ):
            return PreparedRow(
                position,
                None,
                raw_key,
                error="invalid key: too long to look up in a SOQL query",
            )
        row = PreparedRow(position, key, raw_key, text=text)
        values = row.values
        errors: list[str] | None = None
        for source, name, coerce_value, cleared in fields:
            raw = record.get(source, _MISSING)
            if raw is _MISSING:
                # Not "leave untouched": the export no longer has the column (an older catalog
                # was reused), so the value the mapping promises cannot land. Null is different.
                errors = errors or []
                errors.append(
                    f"{source}: the row has no '{source}' column (mapped to {name}); the "
                    "export may no longer have it. Fix: restore the column in the report, or "
                    "remove it from field_mapping and re-run discovery"
                )
                continue
            try:
                value = coerce_value(raw)
            except CoercionError as exc:
                errors = errors or []
                errors.append(f"{source}: {exc}")
                continue
            if value is None:
                if not clear:
                    continue
                value = cleared
            values[name] = value
        if errors:
            row.error = "; ".join(errors)
        return row

    return prepare


def merge_values(rows: Sequence[PreparedRow]) -> dict[str, Any]:
    """Combine the values of rows sharing one key, in input order (later rows win); the
    result is read, never changed (a single row's own ``values`` is returned)."""
    if len(rows) == 1:
        return rows[0].values  # read only: no copy
    merged: dict[str, Any] = {}
    for row in rows:
        merged.update(row.values)
    return merged


def changed_fields(
    desired: Mapping[str, Any], record: Mapping[str, Any], plan: Plan
) -> dict[str, Any]:
    """The subset of ``desired`` that differs from the record's current values.

    ``desired`` holds values from :func:`prepare_row`, already in :func:`coerce`'s canonical
    form, so only the stored value needs normalising.
    """
    by_name = _coercers_by_name(plan)
    changed = {}
    for name, value in desired.items():
        current = record.get(name)
        # Equal as stored (e.g. 45.0 and 45, or the same text) is unchanged without
        # normalising; desired values are already of the field's type, so bool/int mix-ups
        # cannot occur. Normalising is :func:`.coercion.normalize` by the field's coercer.
        if current != value:
            try:  # noqa: SIM105 - a with-statement per value costs more than the coercion
                current = by_name[name](current)
            except CoercionError:
                pass  # a stored value that does not coerce compares as itself
            if current != value:
                changed[name] = value
    return changed


def _coercers_by_name(plan: Plan) -> dict[str, Callable[[Any], Any]]:
    return _per_plan(
        _BY_NAME,
        plan,
        lambda p: {spec.name: convert for _, spec, convert in field_coercers(p)},
    )
