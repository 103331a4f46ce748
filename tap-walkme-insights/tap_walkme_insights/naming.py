"""Report column headers → Singer property names (the rule in docs/architecture.md).

The rule is stable so that a property name never changes while the header stays the same:

1. lowercase;
2. ``%`` → ``pct``, ``#`` → ``number``, ``&`` → ``and`` (as separate words);
3. every other run of characters outside ``a-z0-9`` → ``_``;
4. leading/trailing ``_`` stripped;
5. a leading digit gets a ``_`` prefix;
6. a header that leaves nothing (empty, or only symbols/non-ASCII) becomes ``column_<n>``
   (``n`` = 1-based position in the header);
7. a collision gets ``_2``, ``_3``… in header order (the first occurrence keeps the plain name).

Examples: ``End User ID`` → ``end_user_id``, ``Onboarding Progress (%)`` →
``onboarding_progress_pct``, ``Question Date & Time (UTC)`` → ``question_date_and_time_utc``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SYMBOL_WORDS = {"%": "_pct_", "#": "_number_", "&": "_and_"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_header(header: str, position: int = 1) -> str:
    """Return the property name for one header cell (rules 1-6; no collision handling)."""
    name = header.lower()
    for symbol, word in _SYMBOL_WORDS.items():
        name = name.replace(symbol, word)
    name = _NON_ALNUM.sub("_", name).strip("_")
    if not name:
        return f"column_{position}"
    if name[0].isdigit():
        name = f"_{name}"
    return name


def property_names(headers: Sequence[str]) -> list[str]:
    """Return one unique property name per header cell, in header order (rules 1-7)."""
    names: list[str] = []
    used: set[str] = set()
    for position, header in enumerate(headers, start=1):
        base = normalize_header(header, position)
        name = base
        suffix = 2
        while name in used:
            name = f"{base}_{suffix}"
            suffix += 1
        used.add(name)
        names.append(name)
    return names
