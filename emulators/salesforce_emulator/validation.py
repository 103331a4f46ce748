"""Write validation with Salesforce's error codes and messages.

Two kinds of failure, because Salesforce reports them differently:

* :class:`TypeMismatch` — a value that cannot become the field's type (``"abc"`` for a double).
  Over REST this fails the whole request with ``JSON_PARSER_ERROR`` (the JSON deserializer
  rejects it); in a Bulk job it fails that row.
* :class:`RecordError` — a per-record failure (``STRING_TOO_LONG``, ``INVALID_EMAIL_ADDRESS``,
  ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, ``FIELD_CUSTOM_VALIDATION_EXCEPTION`` …) that
  becomes one SaveResult ``errors`` entry.

Seeded validation rules (``FIELD_CUSTOM_VALIDATION_EXCEPTION``) live in
:mod:`validation_rules`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$")


@dataclass(frozen=True)
class RecordError:
    """One error of one record, as Salesforce reports it in a SaveResult."""

    status_code: str
    message: str
    fields: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "statusCode": self.status_code,
            "message": self.message,
            "fields": list(self.fields),
        }

    def to_bulk(self) -> str:
        """The ``sf__Error`` cell of Bulk API 2.0 failed results."""
        return f"{self.status_code}:{self.message}:{','.join(self.fields)} --"


@dataclass
class TypeMismatch(Exception):
    """A value that cannot be converted to the field's type."""

    field_name: str
    sf_type: str
    value: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def json_message(self) -> str:
        kind = {
            "double": "double",
            "currency": "double",
            "percent": "double",
            "int": "int",
            "boolean": "boolean",
            "date": "date",
            "datetime": "datetime",
        }.get(self.sf_type, "String")
        token = (
            "VALUE_STRING"
            if isinstance(self.value, str)
            else (
                "VALUE_NUMBER_INT"
                if isinstance(self.value, int)
                else "START_OBJECT"
                if isinstance(self.value, dict)
                else "START_ARRAY"
                if isinstance(self.value, list)
                else "VALUE_TRUE"
                if self.value is True
                else "VALUE_FALSE"
                if self.value is False
                else "VALUE_NUMBER_FLOAT"
            )
        )
        return (
            f"Cannot deserialize instance of {kind} from {token} value {self.value} or "
            f"request may be missing a required field"
        )

    def bulk_error(self, column_number: int) -> RecordError:
        xsd = {
            "double": "xsd:double",
            "currency": "xsd:double",
            "percent": "xsd:double",
            "int": "xsd:int",
            "boolean": "xsd:boolean",
            "date": "xsd:date",
            "datetime": "xsd:dateTime",
            "time": "xsd:time",
        }.get(self.sf_type, "xsd:string")
        return RecordError(
            "INVALID_FIELD",
            f"Failed to deserialize field at col {column_number}. Due to, '{self.value}' is not "
            f"a valid value for the type {xsd}",
            (self.field_name,),
        )


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
        from datetime import timedelta

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


def check_value(fdesc: dict[str, Any], stored: Any) -> RecordError | None:
    """Per-value checks after conversion: required, length, email, picklist, numeric range."""
    name, label, ftype = fdesc["name"], fdesc["label"], fdesc["type"]
    if stored is None or stored == "":
        if not fdesc.get("nillable", True) and ftype != "boolean":
            return RecordError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", (name,)
            )
        if fdesc.get("restrictedPicklist") and ftype == "picklist" and stored == "":
            return None
        return None
    if isinstance(stored, str):
        length = fdesc.get("length") or 0
        if length and len(stored) > length:
            return RecordError(
                "STRING_TOO_LONG",
                f"{label}: data value too large: {stored} (max length={length})",
                (name,),
            )
        if ftype == "email" and not _EMAIL.match(stored):
            return RecordError(
                "INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {stored}", (name,)
            )
        if ftype in {"picklist", "multipicklist"} and fdesc.get("restrictedPicklist"):
            allowed = {p["value"] for p in fdesc.get("picklistValues", []) if p.get("active")}
            chosen = stored.split(";") if ftype == "multipicklist" else [stored]
            if any(v not in allowed for v in chosen):
                return RecordError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{label}: bad value for restricted picklist field: {stored}",
                    (name,),
                )
    if ftype in {"double", "currency", "percent"} and isinstance(stored, float):
        precision, scale = fdesc.get("precision") or 18, fdesc.get("scale") or 0
        if abs(stored) >= 10 ** (precision - scale):
            return RecordError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{label}: value outside of valid range on numeric field: {_num(stored)}",
                (name,),
            )
    if ftype == "int" and isinstance(stored, int):
        digits = fdesc.get("digits") or 9
        if abs(stored) >= 10**digits:
            return RecordError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{label}: value outside of valid range on numeric field: {stored}",
                (name,),
            )
    return None


def round_number(fdesc: dict[str, Any], stored: Any) -> Any:
    """Round doubles to the field's scale, as Salesforce stores them."""
    if isinstance(stored, float) and fdesc["type"] in {"double", "currency", "percent"}:
        return round(stored, fdesc.get("scale") or 0)
    return stored


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
