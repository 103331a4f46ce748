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


def round_number(fdesc: dict[str, Any], stored: Any) -> Any:
    """Round doubles to the field's scale, as Salesforce stores them."""
    if isinstance(stored, float) and fdesc["type"] in {"double", "currency", "percent"}:
        return round(stored, fdesc.get("scale") or 0)
    return stored


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
