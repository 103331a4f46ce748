"""Converting a JSON or CSV value to the stored form of a field's type (:func:`coerce`), or
raising :class:`~.write_errors.TypeMismatch`; :func:`converter` is the same conversion,
specialised per field for the millions of values of seeds and Bulk jobs."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .write_errors import TypeMismatch

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$")


def format_datetime(dt: datetime) -> str:
    """Storage/wire format of a datetime: UTC, milliseconds, ``+0000``."""
    dt = dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
    return f"{dt.year:04d}" + dt.strftime("-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def _parse_datetime(text: str) -> str | None:
    m = _DATETIME.match(text.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, frac, tz = m.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        dt = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            micro,
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset_min = int(digits[:2]) * 60 + int(digits[2:])
        dt = dt.replace(tzinfo=None)
        dt = (dt - sign * timedelta(minutes=offset_min)).replace(tzinfo=timezone.utc)
    return format_datetime(dt)


def coerce(fdesc: dict[str, Any], value: Any) -> Any:
    """Convert a JSON or CSV value to the stored form for the field, or raise TypeMismatch."""
    if value is None:
        return None
    ftype = fdesc["type"]
    name = fdesc["name"]

    def bad() -> TypeMismatch:
        return TypeMismatch(name, ftype, value)

    if isinstance(value, (dict, list)):
        raise bad()
    if ftype == "boolean":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and value.strip().lower() in {
            "true",
            "false",
            "1",
            "0",
            "yes",
            "no",
        }:
            return int(value.strip().lower() in {"true", "1", "yes"})
        raise bad()
    if ftype in {"int", "long"}:
        if isinstance(value, bool):
            raise bad()
        if isinstance(value, int):
            return value
        try:
            num = float(value)
        except (TypeError, ValueError):
            raise bad() from None
        if not math.isfinite(num) or num != int(num):
            raise bad()
        return int(num)
    if ftype in {"double", "currency", "percent"}:
        if isinstance(value, bool):
            raise bad()
        try:
            num = float(value)
        except (TypeError, ValueError):
            raise bad() from None
        if not math.isfinite(num):
            raise bad()
        return num
    if ftype == "date":
        if not isinstance(value, str):
            raise bad()
        text = value.strip()
        m = _DATE.match(text) or _DATE.match(text[:10])
        if not m:
            raise bad()
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            raise bad() from None
    if ftype == "datetime":
        if not isinstance(value, str):
            raise bad()
        parsed = _parse_datetime(value)
        if parsed is None:
            raise bad()
        return parsed
    if ftype == "time":
        if not isinstance(value, str) or not _TIME.match(value.strip()):
            raise bad()
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


_STORED_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000")
# UTC (or zone-less, taken as UTC) datetimes as clients write them: 2026-11-26T14:03:22Z,
# …22.5Z, …22.000+0000, …22+00:00. Group 1: the fraction's digits.
_UTC_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d{1,9}))?(?:Z|[+-]00:?00)?")
_BOOLEAN_TEXT = {"true": 1, "false": 0, "1": 1, "0": 0, "yes": 1, "no": 0}
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COERCE_SPECIAL = frozenset(
    {"boolean", "int", "long", "double", "currency", "percent", "date", "datetime", "time"}
)


def converter(fdesc: dict[str, Any]) -> Callable[[Any], Any]:
    """A function doing exactly what ``coerce(fdesc, value)`` does, faster for common values.

    Seeds and Bulk jobs convert millions of values: the returned function answers the usual
    case of each type (text for text fields, a float for a double, a storage-form datetime…)
    in a couple of checks and hands everything else, errors included, to :func:`coerce`.
    """
    ftype = fdesc["type"]

    def slow(value: Any) -> Any:
        return coerce(fdesc, value)

    if ftype not in _COERCE_SPECIAL:

        def text(value: Any) -> Any:
            return value if type(value) is str else slow(value)

        return text
    if ftype == "boolean":
        text_value = _BOOLEAN_TEXT.get

        def boolean(value: Any) -> Any:
            if value is True:
                return 1
            if value is False:
                return 0
            if type(value) is str:
                known = text_value(value)
                if known is not None:
                    return known
            return slow(value)

        return boolean
    if ftype in {"int", "long"}:

        def integer(value: Any) -> Any:
            return value if type(value) is int else slow(value)

        return integer
    if ftype in {"double", "currency", "percent"}:
        isfinite = math.isfinite

        def number(value: Any) -> Any:
            kind = type(value)
            if kind is float and isfinite(value):
                return value
            if kind is int:
                return float(value)
            if kind is str:  # CSV cells: coerce does float() too
                try:
                    num = float(value)
                except ValueError:
                    return slow(value)
                if isfinite(num):
                    return num
            return slow(value)

        return number
    if ftype == "datetime":
        stored = _STORED_DATETIME.fullmatch
        utc = _UTC_DATETIME.fullmatch
        fromisoformat = datetime.fromisoformat

        def stamp(value: Any) -> Any:
            if type(value) is not str:
                return slow(value)
            if stored(value):
                try:
                    fromisoformat(value[:19])  # month, day and time in range
                except ValueError:
                    return slow(value)
                return value  # already UTC in the storage form: coerce returns it unchanged
            match = utc(value)
            if match is None:
                return slow(value)
            try:
                fromisoformat(value[:19])
            except ValueError:
                return slow(value)
            # What coerce computes for a UTC value: milliseconds truncated, ``+0000``.
            return f"{value[:19]}.{(match.group(1) or '')[:3].ljust(3, '0')}+0000"

        return stamp
    if ftype == "date":
        plain = _PLAIN_DATE.fullmatch
        from_iso = date.fromisoformat

        def day(value: Any) -> Any:
            if type(value) is str and plain(value):
                try:
                    from_iso(value)
                except ValueError:
                    return slow(value)
                return value
            return slow(value)

        return day
    return slow
