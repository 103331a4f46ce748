"""Column type inference and value conversion that never loses or changes a value.

Types (also the values accepted by the ``column_types`` setting): ``integer``, ``number``,
``boolean``, ``date-time``, ``date``, ``string``.

Inference looks at the non-empty cells of a bounded sample (``infer_sample_rows``) and picks the
first type in this order that *every* sampled cell fits; otherwise ``string``:

- ``integer``: ``[+-]digits`` without leading zeros (``007`` is an identifier, not 7), within
  the signed 64-bit range;
- ``number``: a decimal like ``12.5``, ``-0.25``, ``1e3`` (no leading zeros, no thousands
  separators) whose value survives the round trip through a float exactly;
- ``boolean``: ``true`` / ``false`` in any case;
- ``date``: ``YYYY-MM-DD``;
- ``date-time``: ISO 8601 ``YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]`` with optional ``Z`` / offset.
  Emitted as RFC 3339; a timestamp without an offset is taken as UTC (Insights reports are in
  UTC). A column mixing dates and timestamps is ``date-time``.

Conversion of a cell: an empty (or whitespace-only) cell is ``null`` in every column; a
``string`` cell is emitted exactly as written. A cell that does not fit its column's type raises
:class:`ValueMismatch`; the stream checks every row before emitting anything, so a value that
does not fit stops the sync with the row and column named instead of being dropped or altered.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from tap_walkme_insights.errors import TapWalkMeInsightsError

COLUMN_TYPES = ("integer", "number", "boolean", "date-time", "date", "string")
"""Accepted type names, most specific first (the inference order)."""

_INT_RE = re.compile(r"^[+-]?(0|[1-9][0-9]*)$")
_NUMBER_RE = re.compile(r"^[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATETIME_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_INT64_MAX = 2**63 - 1
_EXACT_DIGITS = 15  # DBL_DIG: decimal digits a double always round-trips
_EXACT_MIN, _EXACT_MAX = 1e-300, 1e300
_TRUE = {"true", "yes", "y", "t", "1"}
_FALSE = {"false", "no", "n", "f", "0"}


class ValueMismatch(TapWalkMeInsightsError, ValueError):
    """A cell does not fit the type of its column (the message holds no cell value)."""


def _to_integer(text: str) -> int:
    if not _INT_RE.match(text):
        raise ValueMismatch("not an integer")
    value = int(text)
    if abs(value) > _INT64_MAX:
        raise ValueMismatch("integer outside the 64-bit range")
    return value


def _to_number(text: str) -> int | float:
    if _INT_RE.match(text):
        return _to_integer(text)
    if not _NUMBER_RE.match(text):
        raise ValueMismatch("not a decimal number")
    value = float(text)
    digits = text.split("e")[0].split("E")[0].lstrip("+-").replace(".", "").strip("0")
    if not digits:
        exact = value == 0.0
    elif len(digits) <= _EXACT_DIGITS and _EXACT_MIN < abs(value) < _EXACT_MAX:
        exact = True  # up to 15 significant digits always survive a float round trip (DBL_DIG)
    else:
        try:
            exact = Decimal(repr(value)) == Decimal(text)
        except InvalidOperation:  # pragma: no cover - regex already rules this out
            exact = False
    if not exact or value in (float("inf"), float("-inf")):
        raise ValueMismatch("number that a float cannot hold exactly")
    return value


def _to_boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueMismatch("not a boolean (true/false, yes/no, 1/0)")


def _to_date(text: str) -> str:
    if not _DATE_RE.match(text):
        raise ValueMismatch("not a date (YYYY-MM-DD)")
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueMismatch("not a valid calendar date") from None
    return text


def _parse_datetime(text: str) -> dt.datetime:
    if _DATE_RE.match(text):
        return dt.datetime.combine(dt.date.fromisoformat(_to_date(text)), dt.time())
    if _DATETIME_RE.match(text):
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueMismatch("not a valid timestamp") from None
    raise ValueMismatch("not an ISO 8601 timestamp")


def _check_datetime(text: str) -> str:
    _parse_datetime(text)
    return text


def _to_datetime(text: str) -> str:
    parsed = _parse_datetime(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.isoformat()


def _to_string(text: str) -> str:
    return text


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "date": _to_date,
    "date-time": _to_datetime,
    "string": _to_string,
}


def convert(text: str, column_type: str) -> Any:
    """Convert one CSV cell to its JSON value; empty cells become ``None``.

    Raises:
        ValueMismatch: the cell does not fit ``column_type``.
    """
    if column_type == "string":
        return text if text != "" else None
    stripped = text.strip()
    if not stripped:
        return None
    return CONVERTERS[column_type](stripped)


_CHECKERS: dict[str, Callable[[str], Any]] = {**CONVERTERS, "date-time": _check_datetime}


def check(text: str, column_type: str) -> None:
    """Raise :class:`ValueMismatch` when a cell does not fit ``column_type`` (cheaper than
    :func:`convert`: nothing is built)."""
    if column_type == "string":
        return
    stripped = text.strip()
    if stripped:
        _CHECKERS[column_type](stripped)


def _fits(text: str, column_type: str) -> bool:
    if column_type == "boolean":
        return text.lower() in ("true", "false")
    try:
        _CHECKERS[column_type](text)
    except ValueMismatch:
        return False
    return True


#: Distinct cell texts remembered per column while inferring (then new ones are judged only).
_JUDGED_PER_COLUMN = 4096


class ColumnTypeInferrer:
    """Accumulates, column by column, the types every sampled cell still fits.

    Memory is one small set per column, whatever the number of rows fed.
    """

    _CANDIDATES = ("integer", "number", "boolean", "date", "date-time")

    def __init__(self, column_count: int) -> None:
        self._candidates = [set(self._CANDIDATES) for _ in range(column_count)]
        self._seen_value = [False] * column_count
        #: Per column, cell texts already judged (a text judged once cannot narrow the
        #: candidates again): reports repeat values, so most cells are skipped.
        self._judged: list[set[str]] = [set() for _ in range(column_count)]

    def add_row(self, cells: Sequence[str]) -> None:
        """Narrow each column's candidate types by one row's cells."""
        for index, cell in enumerate(cells[: len(self._candidates)]):
            candidates = self._candidates[index]
            if not candidates and self._seen_value[index]:
                continue  # a text column: no cell can change that
            judged = self._judged[index]
            if cell in judged:
                continue
            text = cell.strip()
            if not text:
                continue
            self._seen_value[index] = True
            if candidates:
                candidates.difference_update(
                    [name for name in tuple(candidates) if not _fits(text, name)]
                )
            if len(judged) < _JUDGED_PER_COLUMN:
                judged.add(cell)

    def result(self) -> list[str]:
        """Return the inferred type per column (``string`` for all-empty columns)."""
        types = []
        for candidates, seen in zip(self._candidates, self._seen_value, strict=True):
            chosen = "string"
            if seen:
                chosen = next((name for name in self._CANDIDATES if name in candidates), "string")
            types.append(chosen)
        return types


def infer_types(rows: Iterable[Sequence[str]], column_count: int) -> list[str]:
    """Infer one type per column from ``rows`` (already bounded by the caller)."""
    inferrer = ColumnTypeInferrer(column_count)
    for row in rows:
        inferrer.add_row(row)
    return inferrer.result()


def json_schema_for(column_type: str, title: str | None = None) -> dict[str, Any]:
    """Return the JSON Schema of a nullable property of ``column_type``."""
    schema: dict[str, Any]
    if column_type in ("date-time", "date"):
        schema = {"type": ["string", "null"], "format": column_type}
    else:
        schema = {"type": [column_type, "null"]}
    if title is not None:
        schema["title"] = title
    return schema


def column_type_of(property_schema: dict[str, Any]) -> str:
    """Map a (possibly user-edited) catalog property schema back to a column type."""
    types = property_schema.get("type", "string")
    if isinstance(types, str):
        types = [types]
    non_null = [name for name in types if name != "null"]
    if property_schema.get("format") in ("date-time", "date") and "string" in non_null:
        return str(property_schema["format"])
    for name in ("integer", "number", "boolean"):
        if non_null == [name]:
            return name
    return "string"
