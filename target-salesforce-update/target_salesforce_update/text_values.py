"""Text and Id values: valid UTF-8, Salesforce's trimming, e-mail, picklists, lengths, and
the canonical 18-character form of record Ids. Pure functions; see :mod:`.coercion`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .field_spec import ID_TYPES, CoercionError, FieldSpec, short

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_ID_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


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
    text = as_text(value).strip()
    found = canonical_id(text)
    if found is None:
        msg = (
            f"{short(text)} is not a Salesforce Id for {spec.name} (15 or 18 letters and "
            "digits, e.g. 0035g00000XyZabAAB)"
        )
        raise CoercionError(msg)
    if key_prefix and found[:3] != key_prefix:
        msg = (
            f"{short(text)} is not an Id of this object for {spec.name} (those start with "
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


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(as_text(item) for item in value)
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
        msg = f"{short(text)} is not an allowed value of restricted picklist {spec.name} ({shown})"
        raise CoercionError(msg)
    return text


def text_value(value: Any, spec: FieldSpec) -> str:
    if spec.type in ID_TYPES:
        return record_id(value, spec)
    # Salesforce trims leading and trailing whitespace of text on save: the trimmed text is
    # what lands, so it is what is sent and compared (no daily rewrite of " VP " over "VP").
    text = salesforce_trim(as_text(value))
    if spec.type in {"email", "phone", "url"}:
        text = text.strip()
    if not text:
        return None  # type: ignore[return-value]  # blank once trimmed: the null policy decides
    if spec.type == "email" and not _EMAIL.match(text):
        msg = f"{short(text)} is not an e-mail address for {spec.name}"
        raise CoercionError(msg)
    if spec.type == "picklist":
        text = _picklist_value(text.strip(), spec)
    elif spec.type == "multipicklist":
        items = [item.strip() for item in text.split(";") if item.strip()]
        text = ";".join(sorted({_picklist_value(item, spec) for item in items}))
    return _check_length(text, spec)
