"""``RowCodec``: check and convert a whole CSV row on one regex, exactly as :mod:`.inference`.

A sync checks every cell of the export (pass 1) and converts every winning row (pass 2). Doing
that cell by cell through :func:`.inference.check` / :func:`.inference.convert` costs a Python
call, a dispatch and a regex per cell. Here the typed (non-``string``) cells of a row are
joined with ``\\x1f`` and matched *once* against a pattern compiled for the report's layout:

- each column's *fast pattern* accepts only cells that certainly fit its type — a subset of
  what :mod:`.inference` accepts (e.g. dates with a valid month/day, numbers of at most 15
  significant digits, which a float always holds exactly), never a cell it would refuse;
- no fast pattern can match ``\\x1f``, so a whole-row match means every cell matched its own
  column's pattern;
- for such a row each cell is converted by a cheap function that gives the same value as
  :func:`.inference.convert` for the cells its pattern admits (``int``/``float``, slicing of
  ``YYYY-MM-DDTHH:MM:SS[Z]`` into RFC 3339 with ``+00:00``).

Any other row — a cell with surrounding spaces, fractional seconds, an offset, ``yes``/``no``
booleans, a value that does not fit — goes cell by cell through :mod:`.inference`, which
decides exactly as before (and raises :class:`.inference.ValueMismatch` for a bad cell). The
fast path only ever saves time; it never changes a result.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from tap_walkme_insights.inference import ValueMismatch, check, convert

_SEPARATOR = "\x1f"

_DATE = (
    r"(?!0000)[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
# datetime.fromisoformat reads a trailing "Z" only from Python 3.11 on.
_UTC = r"(?:Z|\+00:00)?" if sys.version_info >= (3, 11) else r"(?:\+00:00)?"

FAST_PATTERNS: dict[str, str] = {
    "integer": r"[+-]?(?:0|[1-9][0-9]{0,17})",  # ≤ 18 digits: always within 64 bits
    "number": r"[+-]?(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,6})?",  # ≤ 15 digits, |x| < 1e9
    "boolean": r"[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]",
    "date": _DATE,  # February 29th takes the slow path (leap years)
    "date-time": rf"{_DATE}(?:[T ]{_TIME}{_UTC})?",
}
"""Per type: cells that certainly fit (each pattern also admits the empty cell, as null)."""


def _none_if_empty(cell: str) -> str | None:
    return cell or None


def _integer(cell: str) -> int | None:
    return int(cell) if cell else None


def _number(cell: str) -> int | float | None:
    if not cell:
        return None
    return float(cell) if "." in cell else int(cell)


def _boolean(cell: str) -> bool | None:
    return cell[0] in "Tt" if cell else None


def _datetime(cell: str) -> str | None:
    if not cell:
        return None
    if len(cell) == 10:  # a date in a date-time column: midnight UTC
        return f"{cell}T00:00:00+00:00"
    return f"{cell[:10]}T{cell[11:19]}+00:00"


_FAST_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _none_if_empty,
    "date-time": _datetime,
    "string": _none_if_empty,
}


@dataclass(frozen=True)
class CodecColumn:
    """One emitted column: where its cell is, its property name and its type."""

    index: int
    prop: str
    column_type: str


class RowCodec:
    """Checks and converts the rows of one export layout (see the module docstring)."""

    def __init__(self, columns: Sequence[CodecColumn]) -> None:
        """Compile the row pattern for ``columns`` (in record property order)."""
        self.columns = list(columns)
        self.typed = [c for c in self.columns if c.column_type != "string"]
        if self.typed:
            pattern = _SEPARATOR.join(f"(?:{FAST_PATTERNS[c.column_type]})?" for c in self.typed)
            self._row_match: Callable[[str], Any] | None = re.compile(pattern).fullmatch
            indexes = [c.index for c in self.typed]
            getter = itemgetter(*indexes)
            self._typed_cells: Callable[[Sequence[str]], tuple[str, ...]] = (
                getter if len(indexes) > 1 else (lambda cells: (getter(cells),))
            )
        else:
            self._row_match = None
        self._fast_plan = [(c.prop, c.index, _FAST_CONVERTERS[c.column_type]) for c in self.columns]
        self._slow_plan = [(c.prop, c.index, c.column_type) for c in self.columns]

    def fits_fast(self, cells: Sequence[str]) -> bool:
        """Whether every typed cell of the row is on the fast path (then all of them fit)."""
        if self._row_match is None:
            return True
        return self._row_match(_SEPARATOR.join(self._typed_cells(cells))) is not None

    def check_slow(self, cells: Sequence[str]) -> list[tuple[CodecColumn, ValueMismatch]]:
        """Check every typed cell with :func:`.inference.check`; return the misfits."""
        problems: list[tuple[CodecColumn, ValueMismatch]] = []
        for column in self.typed:
            try:
                check(cells[column.index], column.column_type)
            except ValueMismatch as problem:
                problems.append((column, problem))
        return problems

    def record(self, cells: Sequence[str]) -> dict[str, Any]:
        """The row as a record; raises :class:`.inference.ValueMismatch` for a misfit cell."""
        if self.fits_fast(cells):
            return {prop: fast(cells[index]) for prop, index, fast in self._fast_plan}
        return {prop: convert(cells[index], kind) for prop, index, kind in self._slow_plan}
