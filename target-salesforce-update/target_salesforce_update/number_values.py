"""Booleans and numbers: ``true``/``yes``/``1``, whole numbers within the field's digits, and
decimals rounded half-up to the field's scale. Pure functions; see :mod:`.coercion`."""

from __future__ import annotations

import functools
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .field_spec import CoercionError, FieldSpec, short

_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})


def boolean_value(value: Any, spec: FieldSpec) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    msg = f"{short(value)} is not a boolean (use true/false, yes/no or 1/0) for {spec.name}"
    raise CoercionError(msg)


def _to_decimal(value: Any, spec: FieldSpec) -> Decimal:
    if isinstance(value, bool):
        msg = f"{short(value)} is a boolean, not a number, for {spec.name}"
        raise CoercionError(msg)
    if isinstance(value, float) and not math.isfinite(value):
        msg = f"{short(value)} is not a finite number for {spec.name}"
        raise CoercionError(msg)
    if isinstance(value, Decimal):
        if not value.is_finite():
            msg = f"{short(value)} is not a finite number for {spec.name}"
            raise CoercionError(msg)
        number = value
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if spec.type == "percent" and text.endswith("%"):
            text = text[:-1].strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None  # type: ignore[assignment]
        if number is None or not number.is_finite():
            msg = f"{short(value)} is not a number for {spec.name}"
            raise CoercionError(msg) from None
    else:
        msg = f"{short(value)} is not a number for {spec.name}"
        raise CoercionError(msg)
    return number


#: Digits Python's default decimal context keeps (Salesforce numbers have at most 18).
_MAX_DIGITS = 28


@functools.lru_cache(maxsize=64)
def _quantum(scale: int) -> Decimal:
    return Decimal(1).scaleb(-scale)


_PLAIN_NUMBER = re.compile(r"(-?)([0-9]+)(?:\.([0-9]*))?").fullmatch


def _plain_decimal(value: Any, spec: FieldSpec) -> int | float | None:
    """:func:`decimal_value` without Decimal arithmetic, for the usual values — an int, a float
    or a plain decimal text (``-12.50``) with no more decimals than the field's scale, so
    rounding leaves it alone — or None (the full path decides, errors included)."""
    kind = value.__class__
    if kind is int:
        text = str(value)
    elif kind is float:
        if not math.isfinite(value):
            return None
        text = repr(value)  # the shortest form; exponent forms fall to the full path
    elif kind is str:
        text = value.strip()
    else:
        return None
    found = _PLAIN_NUMBER(text)
    if found is None:
        return None
    sign, whole, decimals = found.group(1), found.group(2), found.group(3) or ""
    scale = spec.scale
    if len(decimals.rstrip("0")) > scale:
        return None
    digits = len(whole.lstrip("0"))  # 0 when the number is below 1, as Decimal counts them
    if digits + scale > _MAX_DIGITS or (spec.precision and digits > spec.precision - scale):
        return None
    if scale == 0:
        return value if kind is int else int(sign + whole)
    return value if kind is float else float(text)


def decimal_value(value: Any, spec: FieldSpec) -> int | float:
    fast = _plain_decimal(value, spec)
    if fast is not None:
        return fast
    number = _to_decimal(value, spec)
    if number and number.adjusted() + 1 + spec.scale > _MAX_DIGITS:
        msg = f"{short(value)} is too large for {spec.name}"
        raise CoercionError(msg)
    number = number.quantize(_quantum(spec.scale), ROUND_HALF_UP)
    if spec.precision:
        integer_digits = number.adjusted() + 1 if abs(number) >= 1 else 0
        allowed = spec.precision - spec.scale
        if integer_digits > allowed:
            msg = (
                f"{short(value)} is too large for {spec.name} "
                f"(at most {allowed} digits before the decimal point)"
            )
            raise CoercionError(msg)
    if spec.scale == 0:
        return int(number)
    return float(number)


def integer_value(value: Any, spec: FieldSpec) -> int:
    number = _to_decimal(value, spec)
    if number != number.to_integral_value():
        msg = f"{short(value)} is not a whole number for {spec.name}"
        raise CoercionError(msg)
    limit = spec.digits or spec.precision or (18 if spec.type == "long" else 9)
    # Digits counted before int(): int() of "1e999999999" would build a billion-digit number.
    if number and number.adjusted() + 1 > limit:
        msg = f"{short(value)} has more than {limit} digits for {spec.name}"
        raise CoercionError(msg)
    result = int(number)
    if len(str(abs(result))) > limit:
        msg = f"{short(value)} has more than {limit} digits for {spec.name}"
        raise CoercionError(msg)
    return result
