"""The per-row results CSVs of one stream's run, like Salesforce Data Loader's success and error
files: ``updated.csv``, ``unchanged.csv``, ``unmatched.csv``, ``ambiguous.csv``, ``failed.csv``.

One line per input row, in :data:`COLUMNS`; every cell a spreadsheet could run as a formula is
made safe (:func:`spreadsheet_safe`). Lines are appended batch by batch, so memory stays
bounded however long the report is. :class:`.results.StreamResults` counts the rows and guards
:class:`ResultsFiles` with its lock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import msgspec

__all__ = ["CATEGORIES", "COLUMNS", "ResultsFiles", "spreadsheet_safe"]

#: The outcome files, in summary order.
CATEGORIES = ("updated", "unchanged", "unmatched", "ambiguous", "failed")
COLUMNS = (
    "row",
    "key",
    "outcome",
    "record_ids",
    "fields_changed",
    "new_values",
    "error_code",
    "error_message",
)
_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")
#: What makes a CSV cell need quotes (Python's ``csv`` default, ``QUOTE_MINIMAL``).
_NEEDS_QUOTES = re.compile(r'[",\r\n]').search

_json_encoder = msgspec.json.Encoder(enc_hook=str)
#: The fallback for what msgspec refuses (a lone surrogate in a text value): the same compact
#: JSON from the standard library.
_json_fallback = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":")).encode


def encode_values(values: dict[str, Any]) -> str:
    """The ``new_values`` cell: compact JSON (no spaces), UTF-8 text as is, other values as
    ``str``. msgspec writes it about five times faster than ``json`` (Run I)."""
    try:
        return _json_encoder.encode(values).decode("utf-8")
    except (TypeError, UnicodeEncodeError, msgspec.EncodeError):
        return _json_fallback(values)


def spreadsheet_safe(value: Any) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula.

    Cells starting with ``= + - @`` (or a tab/carriage return) get a leading ``'``.
    """
    text = "" if value is None else str(value)
    if text.startswith(_UNSAFE_START):
        return "'" + text
    return text


def _cell(text: str) -> str:
    """``text`` as one CSV cell: quoted, inner quotes doubled, only when it must be."""
    if _NEEDS_QUOTES(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _safe_cell(text: str) -> str:
    """``_cell(spreadsheet_safe(text))`` for a ``str``, in one call."""
    if text.startswith(_UNSAFE_START):
        text = "'" + text
    if _NEEDS_QUOTES(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(cells: Iterable[str]) -> str:
    """One CSV line (CRLF ended), byte for byte what ``csv.writer`` writes for ``cells``.

    The results files are built with this rather than ``csv.writer``: an updated row's
    ``new_values`` cell is long and full of quotes, and ``str.replace`` doubles them several
    times faster than the ``csv`` module's per-character loop (benchmarks/RESULTS.md, Run H).
    """
    return ",".join([_cell(c) for c in cells]) + "\r\n"


class ResultsFiles:
    """The five CSVs in ``folder``, created (each with its header) when first needed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._files: dict[str, IO[str]] = {}

    def open(self) -> None:
        """Create the run folder and every CSV with its header (empty files say 'none')."""
        if self._files:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for category in CATEGORIES:
            # backslashreplace: a key with bytes that were not UTF-8 is still reported
            handle = (self.folder / f"{category}.csv").open(
                "w", newline="", encoding="utf-8", errors="backslashreplace"
            )
            handle.write(csv_line(COLUMNS))
            self._files[category] = handle

    def write_rows(
        self,
        category: str,
        rows: Iterable[tuple[int, Any]],
        *,
        outcome: str,
        record_ids: list[str] | tuple[str, ...],
        fields_changed: list[str] | tuple[str, ...],
        new_values: dict[str, Any] | None,
        error_code: str,
        error_message: str,
    ) -> None:
        """Write the lines of rows sharing one outcome (the rows of one key) into
        ``category``'s file: ``rows`` are ``(row number, key as read)``; the other cells are
        the same on every line."""
        if category not in self._files:
            self.open()
        # csv_line((outcome, ...)) cell by cell, without a list per group (the hot path: one
        # call per key); outcome and the API names in fields_changed never need quotes.
        # A JSON object starts with "{" (never a formula) and always holds quotes: it is
        # quoted straight away; empty cells need no checks.
        values = '"' + encode_values(new_values).replace('"', '""') + '"' if new_values else ""
        code = _safe_cell(error_code) if error_code else ""
        message = _safe_cell(error_message) if error_message else ""
        tail = (
            f",{outcome},{_safe_cell(';'.join(record_ids))},{';'.join(fields_changed)},"
            f"{values},{code},{message}\r\n"
        )
        write = self._files[category].write
        for position, key in rows:
            write(f"{position},{_safe_cell('' if key is None else str(key))}{tail}")

    def flush(self) -> None:
        """Push written lines to disk."""
        for handle in self._files.values():
            handle.flush()

    def close(self) -> None:
        """Close every file (creating them first, so a run's folder always has all five)."""
        self.open()
        for handle in self._files.values():
            handle.close()
