"""Turn source values into values a Salesforce field accepts, and compare them.

Pure functions, no I/O. A value that cannot be coerced raises :class:`CoercionError` with a
reason a user can act on; the sink turns that into a rejected row (never a failed batch).

The same normalisation is used for change detection: the value read from Salesforce and the
incoming value are both brought to one canonical Python form per field type, so running the
same report twice finds nothing to write.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .exceptions import TargetSalesforceUpdateError

#: Salesforce field types whose values are plain text.
TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
        "id",
        "reference",
    },
)
#: Salesforce field types holding numbers stored with a fixed scale.
DECIMAL_TYPES = frozenset({"double", "currency", "percent"})
#: Every field type :func:`coerce` knows how to produce.
SUPPORTED_TYPES = (
    TEXT_TYPES | DECIMAL_TYPES | {"boolean", "int", "long", "date", "datetime", "time"}
)

_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_ID_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
#: Field types holding record Ids (the record's own ``Id`` and lookups such as ``OwnerId``).
ID_TYPES = frozenset({"id", "reference"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CoercionError(TargetSalesforceUpdateError, ValueError):
    """A source value cannot be written to a Salesforce field; the message says why."""


@dataclass(frozen=True)
class FieldSpec:
    """The parts of a Salesforce field describe that decide how values are written.

    Built with :meth:`from_describe` from one entry of ``describe()["fields"]``.
    """

    name: str
    type: str
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    updateable: bool = True
    filterable: bool = True
    nillable: bool = True
    calculated: bool = False
    unique: bool = False
    external_id: bool = False
    id_lookup: bool = False
    case_sensitive: bool = False
    restricted_picklist: bool = False
    picklist_values: tuple[str, ...] = field(default=())

    @classmethod
    def from_describe(cls, raw: Mapping[str, Any]) -> FieldSpec:
        """Build a spec from a field describe dict (missing keys take Salesforce defaults)."""
        picklist = tuple(
            str(entry["value"])
            for entry in raw.get("picklistValues") or ()
            if entry.get("active", True) and entry.get("value") is not None
        )
        return cls(
            name=str(raw["name"]),
            type=str(raw.get("type", "string")).lower(),
            label=str(raw.get("label") or raw["name"]),
            length=int(raw.get("length") or 0),
            precision=int(raw.get("precision") or 0),
            scale=int(raw.get("scale") or 0),
            digits=int(raw.get("digits") or 0),
            updateable=bool(raw.get("updateable", False)),
            filterable=bool(raw.get("filterable", True)),
            nillable=bool(raw.get("nillable", True)),
            calculated=bool(raw.get("calculated", False)),
            unique=bool(raw.get("unique", False)),
            external_id=bool(raw.get("externalId", False)),
            id_lookup=bool(raw.get("idLookup", False)),
            case_sensitive=bool(raw.get("caseSensitive", False)),
            restricted_picklist=bool(raw.get("restrictedPicklist", False)),
            picklist_values=picklist,
        )

    def __hash__(self) -> int:
        """Hash a few identifying fields: specs key the coercion cache, hashed on every call."""
        return hash((self.name, self.type, self.length, self.scale))

    @property
    def is_text(self) -> bool:
        """True for fields whose values are text (compared case-insensitively unless marked)."""
        return self.type in TEXT_TYPES


def is_empty(value: Any) -> bool:
    """True for values the null policy applies to: ``None`` and blank strings."""
    return value is None or (isinstance(value, str) and not value.strip())


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


def _coerce(value: Any, spec: FieldSpec) -> Any:
    converter = _CONVERTERS.get(spec.type)
    if converter is None:
        msg = f"field {spec.name} has type '{spec.type}', which this target cannot write"
        raise CoercionError(msg)
    try:
        return converter(value, spec)
    except CoercionError:
        raise
    except (ArithmeticError, ValueError, TypeError) as exc:
        # e.g. a date-time whose UTC form falls outside year 1..9999 (OverflowError), a number
        # too large to quantize: the row is rejected, never the batch.
        msg = f"{_short(value)} cannot be written to {spec.name} ({spec.type}): {exc}"
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


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _boolean(value: Any, spec: FieldSpec) -> bool:
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
    msg = f"{_short(value)} is not a boolean (use true/false, yes/no or 1/0) for {spec.name}"
    raise CoercionError(msg)


def _to_decimal(value: Any, spec: FieldSpec) -> Decimal:
    if isinstance(value, bool):
        msg = f"{_short(value)} is a boolean, not a number, for {spec.name}"
        raise CoercionError(msg)
    if isinstance(value, float) and not math.isfinite(value):
        msg = f"{_short(value)} is not a finite number for {spec.name}"
        raise CoercionError(msg)
    if isinstance(value, Decimal):
        if not value.is_finite():
            msg = f"{_short(value)} is not a finite number for {spec.name}"
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
            msg = f"{_short(value)} is not a number for {spec.name}"
            raise CoercionError(msg) from None
    else:
        msg = f"{_short(value)} is not a number for {spec.name}"
        raise CoercionError(msg)
    return number


#: Digits Python's default decimal context keeps (Salesforce numbers have at most 18).
_MAX_DIGITS = 28


@functools.lru_cache(maxsize=64)
def _quantum(scale: int) -> Decimal:
    return Decimal(1).scaleb(-scale)


def _decimal(value: Any, spec: FieldSpec) -> int | float:
    number = _to_decimal(value, spec)
    if number and number.adjusted() + 1 + spec.scale > _MAX_DIGITS:
        msg = f"{_short(value)} is too large for {spec.name}"
        raise CoercionError(msg)
    number = number.quantize(_quantum(spec.scale), ROUND_HALF_UP)
    if spec.precision:
        integer_digits = number.adjusted() + 1 if abs(number) >= 1 else 0
        allowed = spec.precision - spec.scale
        if integer_digits > allowed:
            msg = (
                f"{_short(value)} is too large for {spec.name} "
                f"(at most {allowed} digits before the decimal point)"
            )
            raise CoercionError(msg)
    if spec.scale == 0:
        return int(number)
    return float(number)


def _integer(value: Any, spec: FieldSpec) -> int:
    number = _to_decimal(value, spec)
    if number != number.to_integral_value():
        msg = f"{_short(value)} is not a whole number for {spec.name}"
        raise CoercionError(msg)
    limit = spec.digits or spec.precision or (18 if spec.type == "long" else 9)
    # Digits counted before int(): int() of "1e999999999" would build a billion-digit number.
    if number and number.adjusted() + 1 > limit:
        msg = f"{_short(value)} has more than {limit} digits for {spec.name}"
        raise CoercionError(msg)
    result = int(number)
    if len(str(abs(result))) > limit:
        msg = f"{_short(value)} has more than {limit} digits for {spec.name}"
        raise CoercionError(msg)
    return result


def _parse_datetime(value: Any, spec: FieldSpec) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        # Salesforce writes offsets without a colon (+0000); fromisoformat wants one on 3.10.
        text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
        try:
            moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            msg = f"{_short(value)} is not an ISO 8601 date-time for {spec.name}"
            raise CoercionError(msg) from None
    else:
        msg = f"{_short(value)} is not a date-time for {spec.name}"
        raise CoercionError(msg)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    moment = moment.astimezone(dt.timezone.utc)
    # Salesforce keeps milliseconds.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


_UTC_STAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?:Z|z|\+0000|\+00:00)$"
)


def _datetime(value: Any, spec: FieldSpec) -> str:
    if isinstance(value, str):
        # Fast path for UTC stamps (how Salesforce returns them and most reports hold them).
        found = _UTC_STAMP.match(value.strip())
        if found:
            day, clock, fraction = found.groups()
            try:
                dt.date.fromisoformat(day)
                dt.time.fromisoformat(clock)
            except ValueError:
                pass
            else:
                millis = (fraction or "").ljust(3, "0")[:3]
                return f"{day}T{clock}.{millis}Z"
    moment = _parse_datetime(value, spec)
    millis = moment.microsecond // 1000
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"


def _date(value: Any, spec: FieldSpec) -> str:
    if isinstance(value, dt.datetime):
        return _parse_datetime(value, spec).date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if _DATE.match(text):
            try:
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        elif "T" in text or " " in text:
            try:
                return _parse_datetime(text, spec).date().isoformat()
            except CoercionError:
                pass
    msg = f"{_short(value)} is not a date (YYYY-MM-DD) for {spec.name}"
    raise CoercionError(msg)


def _time(value: Any, spec: FieldSpec) -> str:
    if isinstance(value, dt.time):
        moment = value
    else:
        text = str(value).strip().rstrip("Zz")
        try:
            moment = dt.time.fromisoformat(text)
        except ValueError:
            msg = f"{_short(value)} is not a time (HH:MM:SS) for {spec.name}"
            raise CoercionError(msg) from None
    millis = moment.microsecond // 1000
    return moment.strftime("%H:%M:%S") + f".{millis:03d}Z"


def id_suffix(id15: str) -> str:
    """The 3-character case-safe suffix of a 15-character Id (bit i of each 5-character chunk
    says whether character i is upper case; the number indexes ``A-Z0-5``)."""
    suffix = ""
    for start in (0, 5, 10):
        chunk = id15[start : start + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += _ID_SUFFIX[bits]
    return suffix


def canonical_id(text: str) -> str | None:
    """The 18-character form of a well-formed Salesforce Id, or None when ``text`` is not one.

    A 15-character Id is case-sensitive and gets its suffix; an 18-character Id may arrive in
    any case (that is what the suffix is for): its case is restored from the suffix, and a
    suffix that does not fit the characters (a digit marked upper case) makes it malformed.
    """
    if len(text) not in (15, 18) or not _ID_CHARS.issuperset(text):
        return None
    if len(text) == 15:
        return text + id_suffix(text)
    body, suffix = list(text[:15]), text[15:].upper()
    if any(char not in _ID_SUFFIX for char in suffix):
        return None
    for chunk, char in enumerate(suffix):
        bits = _ID_SUFFIX.index(char)
        for offset in range(5):
            index = chunk * 5 + offset
            upper = bool(bits >> offset & 1)
            if body[index].isalpha():
                body[index] = body[index].upper() if upper else body[index].lower()
            elif upper:
                return None
    return "".join(body) + suffix


def record_id(value: Any, spec: FieldSpec, key_prefix: str = "") -> str:
    """``value`` as the canonical 18-character Id an Id or reference field holds.

    Raises:
        CoercionError: not 15 or 18 letters and digits with a consistent suffix, or (when
            ``key_prefix`` is given) the Id of another object.
    """
    text = _as_text(value).strip()
    found = canonical_id(text)
    if found is None:
        msg = (
            f"{_short(text)} is not a Salesforce Id for {spec.name} (15 or 18 letters and "
            "digits, e.g. 0035g00000XyZabAAB)"
        )
        raise CoercionError(msg)
    if key_prefix and found[:3] != key_prefix:
        msg = (
            f"{_short(text)} is not an Id of this object for {spec.name} (those start with "
            f"{key_prefix!r})"
        )
        raise CoercionError(msg)
    return found


#: What Salesforce trims from both ends of a text value on save: like Java's ``String.trim``,
#: the space and every control character below it (not NBSP or other Unicode spaces).
_SALESFORCE_TRIM = "".join(chr(code) for code in range(0x21))


def salesforce_trim(text: str) -> str:
    """``text`` as Salesforce stores it in a text field: without leading or trailing spaces,
    tabs, line breaks or other control characters."""
    return text.strip(_SALESFORCE_TRIM)


def valid_text(text: str) -> str:
    """Return ``text`` if it can be sent as UTF-8, else raise :class:`CoercionError`.

    Singer input is read with ``surrogateescape``, so bytes that were not valid UTF-8 arrive as
    lone surrogates; sent on, they would fail the whole request rather than this one row.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        msg = (
            f"contains bytes that are not valid UTF-8 (at character {exc.start + 1}); "
            "fix the export's encoding"
        )
        raise CoercionError(msg) from None
    return text


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(_as_text(item) for item in value)
    return str(value)


def _check_length(text: str, spec: FieldSpec) -> str:
    if spec.length and len(text) > spec.length:
        msg = f"value is {len(text)} characters, longer than {spec.name}'s limit of {spec.length}"
        raise CoercionError(msg)
    return text


def _picklist_value(text: str, spec: FieldSpec) -> str:
    if not spec.picklist_values:
        return text
    for allowed in spec.picklist_values:
        if allowed == text:
            return allowed
    folded = text.casefold()
    for allowed in spec.picklist_values:
        if allowed.casefold() == folded:
            return allowed
    if spec.restricted_picklist:
        shown = ", ".join(spec.picklist_values[:10])
        msg = f"{_short(text)} is not an allowed value of restricted picklist {spec.name} ({shown})"
        raise CoercionError(msg)
    return text


def _text(value: Any, spec: FieldSpec) -> str:
    if spec.type in ID_TYPES:
        return record_id(value, spec)
    # Salesforce trims leading and trailing whitespace of text on save: the trimmed text is
    # what lands, so it is what is sent and compared (no daily rewrite of " VP " over "VP").
    text = salesforce_trim(_as_text(value))
    if spec.type in {"email", "phone", "url"}:
        text = text.strip()
    if not text:
        return None  # type: ignore[return-value]  # blank once trimmed: the null policy decides
    if spec.type == "email" and not _EMAIL.match(text):
        msg = f"{_short(text)} is not an e-mail address for {spec.name}"
        raise CoercionError(msg)
    if spec.type == "picklist":
        text = _picklist_value(text.strip(), spec)
    elif spec.type == "multipicklist":
        items = [item.strip() for item in text.split(";") if item.strip()]
        text = ";".join(sorted({_picklist_value(item, spec) for item in items}))
    return _check_length(text, spec)


_CONVERTERS = {
    **dict.fromkeys(TEXT_TYPES, _text),
    **dict.fromkeys(DECIMAL_TYPES, _decimal),
    "boolean": _boolean,
    "int": _integer,
    "long": _integer,
    "date": _date,
    "datetime": _datetime,
    "time": _time,
}
