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


_KNOWN_LIMIT = 1 << 15
"""Distinct cells a :class:`_KnownCells` remembers per type (a few MB at most)."""


class _KnownCells:
    """Batch check of one column by distinct value: a cell seen before is on the fast path,
    a new one is matched with its type's fast pattern (and remembered while there is room).
    Cheap for low-cardinality columns (booleans, counts, percentages)."""

    __slots__ = ("_known", "_match")

    def __init__(self, column_type: str) -> None:
        self._match = re.compile(f"(?:{FAST_PATTERNS[column_type]})?").fullmatch
        self._known: set[str] = set()

    def __call__(self, cells: list[str]) -> bool:
        known = self._known
        if all(map(known.__contains__, cells)):
            return True
        new = set(cells)
        new.difference_update(known)
        match = self._match
        for cell in new:
            if match(cell) is None:
                return False
        if len(known) < _KNOWN_LIMIT:
            known.update(new)
        return True


_SHAPE = bytes.maketrans(b"0123456789", b"9999999999")
_DIGIT_VALUE = bytes.maketrans(b"0123456789", bytes(range(10)))
_MONTHS = bytes(range(1, 13))
_HOURS = bytes(range(24))
_MAX_DAY = bytes.maketrans(_MONTHS, bytes([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]))
_SIXTIES = b"012345"
_STAMP_SHAPES = ("9999-99-99", "9999-99-99T99:99:99", "9999-99-99 99:99:99")
_STAMP_SHAPES += tuple(shape + "Z" for shape in _STAMP_SHAPES[1:])


class _Stamps:
    """Batch check of a ``date`` / ``date-time`` column whose non-empty cells all have one
    shape (``YYYY-MM-DD``, optionally ``[T ]HH:MM:SS`` and ``Z``), without a regex per cell:
    the shape is compared for the whole column at once, and the month, day, hour, minute and
    second of every cell are checked lane-wise (one byte a cell) with ``bytes`` and ``int``
    operations. It accepts exactly what the type's fast pattern accepts for these shapes:
    year not ``0000``, months 01-12, days 01 to the month's length (February: 28), hours
    00-23, minutes and seconds 00-59. Anything else (another shape, non-ASCII, …) is left to
    the row-by-row path."""

    __slots__ = ("_shapes",)

    def __init__(self, column_type: str) -> None:
        fast = re.compile(FAST_PATTERNS[column_type]).fullmatch
        examples = {shape: shape.replace("9", "1") for shape in _STAMP_SHAPES}
        self._shapes = {
            shape.encode() for shape, example in examples.items() if fast(example) is not None
        }

    def __call__(self, cells: list[str]) -> bool:
        if "" in cells:
            cells = [cell for cell in cells if cell]
            if not cells:
                return True
        joined = _SEPARATOR.join(cells)
        if not joined.isascii():
            return False
        data = joined.encode("ascii")
        count = len(cells)
        shape = cells[0].encode("ascii").translate(_SHAPE)
        stride = len(shape) + 1
        if (
            shape not in self._shapes
            or len(data) != count * stride - 1
            or data.translate(_SHAPE) != (shape + b"\x1f") * (count - 1) + shape
            or b"0000-" in data  # only a year can be four digits and a "-"
        ):
            return False

        def lanes(offset: int) -> int:  # the two digits at offset, offset + 1 of every cell
            tens = int.from_bytes(data[offset::stride].translate(_DIGIT_VALUE), "big")
            return tens * 10 + int.from_bytes(
                data[offset + 1 :: stride].translate(_DIGIT_VALUE), "big"
            )

        months = lanes(5).to_bytes(count, "big")
        if months.translate(None, _MONTHS):
            return False
        days = lanes(8)
        if b"\x00" in days.to_bytes(count, "big"):
            return False
        high = int.from_bytes(b"\x80" * count, "big")
        # lane by lane (0x80 + last day of the month) - day keeps its 0x80 bit iff day <= last
        if ((int.from_bytes(months.translate(_MAX_DAY), "big") | high) - days) & high != high:
            return False
        if stride > len("9999-99-99") + 1:
            if lanes(11).to_bytes(count, "big").translate(None, _HOURS):
                return False
            if (data[14::stride] + data[17::stride]).translate(None, _SIXTIES):
                return False
        return True


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
        self._batch_checks = [
            (
                itemgetter(c.index),
                (_Stamps if c.column_type in ("date", "date-time") else _KnownCells)(c.column_type),
            )
            for c in self.typed
        ]
        self._fast_plan = [(c.prop, c.index, _FAST_CONVERTERS[c.column_type]) for c in self.columns]
        self._slow_plan = [(c.prop, c.index, c.column_type) for c in self.columns]

    def fits_fast(self, cells: Sequence[str]) -> bool:
        """Whether every typed cell of the row is on the fast path (then all of them fit)."""
        if self._row_match is None:
            return True
        return self._row_match(_SEPARATOR.join(self._typed_cells(cells))) is not None

    def fits_fast_batch(self, rows: Sequence[Sequence[str]]) -> bool:
        """Whether every row would pass :meth:`fits_fast` — checked column by column for the
        whole batch (cheaper than row by row). ``False`` can also mean that the batch is not of
        a form the column checks handle: then check its rows one by one."""
        for cells_of, check_column in self._batch_checks:
            if not check_column(list(map(cells_of, rows))):
                return False
        return True

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
