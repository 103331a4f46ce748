"""Per-value checks of a write, with Salesforce's error codes and messages: required fields,
text length, e-mail addresses, restricted picklists, numeric ranges; and rounding numbers to
the field's scale.

Value conversion is :mod:`.value_conversion`, the error types :mod:`.write_errors`, seeded
validation rules (``FIELD_CUSTOM_VALIDATION_EXCEPTION``) :mod:`.validation_rules`. The names
other code imports from here (``RecordError``, ``TypeMismatch``, ``coerce``, ``converter``,
``format_datetime``) are re-exported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .value_conversion import coerce, converter, format_datetime
from .write_errors import RecordError, TypeMismatch

__all__ = [
    "RecordError",
    "TypeMismatch",
    "check_value",
    "coerce",
    "converter",
    "format_datetime",
    "round_number",
    "rounder",
    "value_checker",
]

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


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


def value_checker(fdesc: dict[str, Any]) -> Callable[[Any], RecordError | None]:
    """A function doing exactly what ``check_value(fdesc, stored)`` does, faster for the
    usual values (a Bulk job checks millions): it answers a value that passes every check of
    its field in a couple of tests and hands everything else to :func:`check_value`."""
    ftype = fdesc["type"]

    def slow(stored: Any) -> RecordError | None:
        return check_value(fdesc, stored)

    if ftype in {"double", "currency", "percent"}:
        precision, scale = fdesc.get("precision") or 18, fdesc.get("scale") or 0
        limit = 10 ** (precision - scale)

        def number(stored: Any) -> RecordError | None:
            if type(stored) is float and not abs(stored) >= limit:
                return None
            return slow(stored)

        return number
    if ftype == "int":
        int_limit = 10 ** (fdesc.get("digits") or 9)

        def integer(stored: Any) -> RecordError | None:
            if type(stored) is int and abs(stored) < int_limit:
                return None
            return slow(stored)

        return integer
    if ftype == "boolean":

        def boolean(stored: Any) -> RecordError | None:
            return None if type(stored) is int else slow(stored)

        return boolean
    if ftype == "email" or (ftype == "multipicklist" and fdesc.get("restrictedPicklist")):
        return slow
    length = fdesc.get("length") or 0
    if ftype == "picklist" and fdesc.get("restrictedPicklist"):
        allowed = {p["value"] for p in fdesc.get("picklistValues", []) if p.get("active")}

        def picklist(stored: Any) -> RecordError | None:
            if (
                type(stored) is str
                and stored in allowed
                and stored != ""
                and (not length or len(stored) <= length)
            ):
                return None
            return slow(stored)

        return picklist

    def text(stored: Any) -> RecordError | None:
        if type(stored) is str and stored != "" and (not length or len(stored) <= length):
            return None
        return slow(stored)

    return text


def round_number(fdesc: dict[str, Any], stored: Any) -> Any:
    """Round doubles to the field's scale, as Salesforce stores them."""
    if isinstance(stored, float) and fdesc["type"] in {"double", "currency", "percent"}:
        return round(stored, fdesc.get("scale") or 0)
    return stored


def rounder(fdesc: dict[str, Any]) -> Callable[[Any], Any] | None:
    """``round_number(fdesc, ·)`` specialised per field; None for a field whose values it
    never changes (not a number type)."""
    if fdesc["type"] not in {"double", "currency", "percent"}:
        return None
    scale = fdesc.get("scale") or 0

    def rounded(stored: Any) -> Any:
        return round(stored, scale) if type(stored) is float else round_number(fdesc, stored)

    return rounded


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
