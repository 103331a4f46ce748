"""Turn source values into values a Salesforce field accepts, and compare them.

Pure functions, no I/O. A value that cannot be coerced raises :class:`CoercionError` with a
reason a user can act on; the sink turns that into a rejected row (never a failed batch).

The same normalisation is used for change detection: the value read from Salesforce and the
incoming value are both brought to one canonical Python form per field type, so running the
same report twice finds nothing to write.

The field types and :class:`FieldSpec` are in :mod:`.field_spec`; the converters per kind of
value in :mod:`.text_values`, :mod:`.number_values` and :mod:`.date_values`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .date_values import date_value, datetime_value, time_value, utc_stamp
from .field_spec import (
    DECIMAL_TYPES,
    ID_TYPES,
    SUPPORTED_TYPES,
    TEXT_TYPES,
    CoercionError,
    FieldSpec,
    is_empty,
    short,
)
from .number_values import boolean_value, decimal_value, integer_value
from .text_values import (
    canonical_id,
    id_suffix,
    record_id,
    salesforce_trim,
    text_value,
    valid_text,
)

__all__ = [
    "DECIMAL_TYPES",
    "ID_TYPES",
    "SUPPORTED_TYPES",
    "TEXT_TYPES",
    "CoercionError",
    "FieldSpec",
    "canonical_id",
    "coerce",
    "coercer",
    "id_suffix",
    "is_empty",
    "normalize",
    "record_id",
    "salesforce_trim",
    "valid_text",
    "values_equal",
]


def coerce(value: Any, spec: FieldSpec) -> Any:
    """Return ``value`` in the form Salesforce expects for ``spec``'s type.

    Returns ``None`` for empty values (the caller applies the null policy). Output forms are
    canonical, so two values that Salesforce would store identically coerce to equal results:
    ``bool``; ``int``; ``int``/``float`` rounded to the field's scale; ``"YYYY-MM-DD"``;
    ``"YYYY-MM-DDTHH:MM:SS.sssZ"`` in UTC; ``"HH:MM:SS.sssZ"``; ``str`` (multi-select picklist
    values sorted).

    Raises:
        CoercionError: the value does not fit the field; the message names value and field.
    """
    if is_empty(value):
        return None
    if isinstance(value, str) and len(value) <= _CACHEABLE_LENGTH:
        return _coerce_text_cached(value, spec)
    return _coerce(value, spec)


# Report columns repeat values (dates, flags, levels): coerce each distinct text once.
_CACHEABLE_LENGTH = 64


@functools.lru_cache(maxsize=8192)
def _coerce_text_cached(value: str, spec: FieldSpec) -> Any:
    return _coerce(value, spec)


def coercer(spec: FieldSpec) -> Callable[[Any], Any]:
    """:func:`coerce` for one field, with its own caches of distinct short texts and numbers
    and no per-value hashing of ``spec`` (build it once per field and stream; see
    :func:`.matching.field_coercers`)."""
    cache: dict[str, Any] = {}
    numbers: dict[tuple[type, Any], Any] = {}
    converter = _CONVERTERS.get(spec.type)
    if converter is None:
        return functools.partial(_coerce, spec=spec)  # raises the "cannot write" error

    # _coerce(value, spec) with the field's converter bound once (the cache-miss path).
    convert = functools.partial(_convert, converter, spec)

    def coerce_value(value: Any) -> Any:
        if value.__class__ is str and len(value) <= _CACHEABLE_LENGTH:
            if value in cache:
                return cache[value]
            if not value.strip():
                return None
            result = convert(value)  # a CoercionError is raised, never cached
            if len(cache) < _CACHED_PER_FIELD:
                cache[value] = result
            return result
        kind = value.__class__
        if kind is float or kind is int or kind is bool:
            # Numbers repeat too (percentages, counts), and cost Decimal arithmetic each;
            # the type is part of the key, as True == 1 == 1.0.
            key = (kind, value)
            if key in numbers:
                return numbers[key]
            result = convert(value)
            if len(numbers) < _CACHED_PER_FIELD:
                numbers[key] = result
            return result
        if is_empty(value):
            return None
        return convert(value)

    if spec.type == "datetime":
        # Date-times rarely repeat (a cache would only fill up): a UTC stamp is converted
        # straight away, anything else takes the path above.
        def coerce_datetime(value: Any) -> Any:
            if value.__class__ is str:
                canonical = utc_stamp(value)
                if canonical is not None:
                    return canonical
            return coerce_value(value)

        return coerce_datetime
    return coerce_value


#: Distinct texts remembered per field by :func:`coercer` (then new ones are converted only).
_CACHED_PER_FIELD = 8192


def _coerce(value: Any, spec: FieldSpec) -> Any:
    converter = _CONVERTERS.get(spec.type)
    if converter is None:
        msg = f"field {spec.name} has type '{spec.type}', which this target cannot write"
        raise CoercionError(msg)
    return _convert(converter, spec, value)


def _convert(converter: Callable[[Any, FieldSpec], Any], spec: FieldSpec, value: Any) -> Any:
    try:
        return converter(value, spec)
    except CoercionError:
        raise
    except (ArithmeticError, ValueError, TypeError) as exc:
        # e.g. a date-time whose UTC form falls outside year 1..9999 (OverflowError), a number
        # too large to quantize: the row is rejected, never the batch.
        msg = f"{short(value)} cannot be written to {spec.name} ({spec.type}): {exc}"
        raise CoercionError(msg) from None


def normalize(value: Any, spec: FieldSpec) -> Any:
    """Canonical form used to compare a Salesforce value with an incoming one.

    :func:`coerce` already returns canonical forms; values that cannot be coerced compare as
    themselves (so they always look changed).
    """
    try:
        return coerce(value, spec)
    except CoercionError:
        return value


def values_equal(current: Any, incoming: Any, spec: FieldSpec) -> bool:
    """True when writing ``incoming`` over ``current`` would not change the stored value."""
    return normalize(current, spec) == normalize(incoming, spec)


_CONVERTERS = {
    **dict.fromkeys(TEXT_TYPES, text_value),
    **dict.fromkeys(DECIMAL_TYPES, decimal_value),
    "boolean": boolean_value,
    "int": integer_value,
    "long": integer_value,
    "date": date_value,
    "datetime": datetime_value,
    "time": time_value,
}
