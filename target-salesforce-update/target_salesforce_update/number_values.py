"""Booleans and numbers: ``true``/``yes``/``1``, whole numbers within the field's digits, and
decimals rounded half-up to the field's scale. Pure functions; see :mod:`.coercion`."""

from __future__ import annotations

import functools
import math
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


def decimal_value(value: Any, spec: FieldSpec) -> int | float:
    if value.__class__ is float and spec.scale and math.isfinite(value):
        # Fast path: a float whose shortest repr has no more decimals than the field's scale is
        # unchanged by rounding; the same checks as below on its digits.
        text = repr(value)
        whole, _, decimals = text.partition(".")
        if "e" not in text and len(decimals) <= spec.scale:
            digits = len(whole.lstrip("-")) if abs(value) >= 1 else 0
            if digits + spec.scale <= _MAX_DIGITS and (
                not spec.precision or digits <= spec.precision - spec.scale
            ):
                return value
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
