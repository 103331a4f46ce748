"""Salesforce-style record Ids.

A Salesforce Id is 15 case-sensitive characters (3-character key prefix naming the object, then
12 more) plus, in its 18-character form, a 3-character suffix that encodes which of the first 15
characters are upper case, so the Id survives case-insensitive systems. The emulator stores and
returns 18-character Ids and accepts both forms from clients.
"""

from __future__ import annotations

import re

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_SHAPE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
# Characters 4-5 of real Ids name the pod/instance; the emulator uses a fixed value.
_POD = "8d"


_CASE_BITS = str.maketrans(
    {c: "1" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"} | {c: "0" for c in _BASE62[:10] + _BASE62[36:]}
)


def checksum_suffix(id15: str) -> str:
    """Return the 3-character case-safe suffix for a 15-character Id.

    Each 5-character chunk gives a 5-bit number (bit i set when character i is upper case),
    which indexes ``A-Z0-5``.
    """
    bits = id15.translate(_CASE_BITS)
    return (
        _SUFFIX_ALPHABET[int(bits[4::-1], 2)]
        + _SUFFIX_ALPHABET[int(bits[9:4:-1], 2)]
        + _SUFFIX_ALPHABET[int(bits[14:9:-1], 2)]
    )


def to_18(id15: str) -> str:
    """Extend a 15-character Id to its 18-character form."""
    return id15 + checksum_suffix(id15)


def make_id(key_prefix: str, number: int) -> str:
    """Build the 18-character Id number ``number`` of the object with ``key_prefix``."""
    digits = []
    value = number
    while value:
        value, rem = divmod(value, 62)
        digits.append(_BASE62[rem])
    body = "".join(reversed(digits)).rjust(10, "0")
    if len(body) > 10:
        raise ValueError(f"Id counter overflow for key prefix {key_prefix}")
    return to_18(key_prefix + _POD + body)


# The last two body characters and their upper-case bits (Id characters 14 and 15).
_PAIRS = [
    (a + b, (8 if a.isupper() else 0) | (16 if b.isupper() else 0))
    for a in _BASE62
    for b in _BASE62
]


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(_BASE62[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def _chunk_char(chunk: str) -> str:
    return _SUFFIX_ALPHABET[int(chunk.translate(_CASE_BITS)[::-1], 2)]


def make_ids(key_prefix: str, start: int, count: int) -> list[str]:
    """``[make_id(key_prefix, n) for n in range(start, start + count)]``, several times faster
    (a million-record seed needs a million Ids): the first 13 characters and two suffix
    characters change only every 3,844 numbers."""
    head = key_prefix + _POD
    first = _chunk_char(head)
    out: list[str] = []
    number, end = start, start + count
    while number < end:
        high, low = divmod(number, 3844)
        stop = min(end, (high + 1) * 3844)
        high_text = _base62(high, 8)
        if len(high_text) > 8:
            raise ValueError(f"Id counter overflow for key prefix {key_prefix}")
        stem = head + high_text
        suffix = first + _chunk_char(high_text[:5])
        bits = int(high_text[5:].translate(_CASE_BITS)[::-1], 2)  # characters 11-13
        append = out.append
        for pair, pair_bits in _PAIRS[low : low + stop - number]:
            append(stem + pair + suffix + _SUFFIX_ALPHABET[bits | pair_bits])
        number = stop
    return out


def normalize(value: object) -> str | None:
    """Return the canonical 18-character form of an Id, or None if it is not a well-formed Id.

    A 15-character Id is extended; an 18-character Id must carry the right suffix (compared
    case-insensitively, as Salesforce does).
    """
    if not isinstance(value, str) or not _ID_SHAPE.match(value):
        return None
    id15 = value[:15]
    suffix = checksum_suffix(id15)
    if len(value) == 18 and value[15:].upper() != suffix:
        return None
    return id15 + suffix
