"""Pieces of the SOQL → SQLite translation that need no query: quoting identifiers, the
canonical 18-character form of an Id literal, and LIKE patterns as case-folding ``GLOB``
patterns."""

from __future__ import annotations

import functools
import re

from .soql_ast import ANY, ONE


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_ID15_RE = re.compile(r"[a-zA-Z0-9]{15}")
_ID18_RE = re.compile(r"[a-zA-Z0-9]{15}[A-Za-z0-5]{3}")
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(value: str) -> str | None:
    """Canonical 18-character form of a 15- or 18-character Salesforce Id, None if malformed."""
    if _ID15_RE.fullmatch(value) is None and _ID18_RE.fullmatch(value) is None:
        return None
    id15 = value[:15]
    suffix = ""
    for chunk in range(3):
        bits = 0
        for offset in range(5):
            if "A" <= id15[chunk * 5 + offset] <= "Z":
                bits |= 1 << offset
        suffix += _SUFFIX_ALPHABET[bits]
    return id15 + suffix


@functools.cache
def _casefold_classes() -> dict[str, str]:
    """Map each character to a GLOB class of every character with the same casefold.

    Built once, on the first LIKE: cased scripts all live below U+20000. Characters whose
    casefold is several characters (``ß`` → ``ss``) only match themselves in LIKE.
    """
    groups: dict[str, list[str]] = {}
    for code in range(0x20000):
        char = chr(code)
        folded = char.casefold()
        if len(folded) == 1 and (folded != char or char.lower() != char or char.upper() != char):
            groups.setdefault(folded, []).append(char)
    classes: dict[str, str] = {}
    for folded, members in groups.items():
        chars = sorted({folded, *members})
        if len(chars) > 1:
            for char in chars:
                classes[char] = "[" + "".join(chars) + "]"
    return classes


def glob_pattern(parts: tuple[object, ...]) -> str:
    """Translate LIKE parts into a case-folding SQLite GLOB pattern (``[Kk\u212a]`` per letter).

    SQLite's own LIKE folds ASCII only; GLOB with a class per letter folds all of Unicode the
    way the SFCI collation does, and needs no SQL function registered by the store.
    """
    classes = _casefold_classes()
    out: list[str] = []
    for part in parts:
        if part is ANY:
            out.append("*")
        elif part is ONE:
            out.append("?")
        else:
            for char in part:  # type: ignore[union-attr]
                if char in "*?[":
                    out.append(f"[{char}]")
                else:
                    out.append(classes.get(char, char))
    return "".join(out)
