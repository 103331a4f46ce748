"""Streaming CSV reading with BOM/encoding/ragged-row handling and row numbers.

Rows are parsed one at a time from a binary stream, so memory stays bounded whatever the size of
the export. Every problem is reported with the data-row number (1 = the first row after the
header) and the physical line number, never silently shifting columns:

- a UTF-8 BOM is removed; a UTF-16 BOM switches decoding to UTF-16;
- bytes that are invalid in ``encoding`` stop the read (``encoding_errors="strict"``, default)
  or become U+FFFD and are counted (``"replace"``);
- quoted delimiters, quotes and embedded newlines follow RFC 4180 (Python's ``csv`` module);
- a row whose number of cells differs from the header's (a *ragged* row) stops the read
  (``ragged_rows="fail"``, default) or is skipped, counted and logged (``"skip"``);
- blank lines are ignored.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from tap_walkme_insights.errors import TapWalkMeInsightsError

LOGGER = logging.getLogger(__name__)

_FIELD_SIZE_LIMIT = 16 * 1024 * 1024
_MAX_LOGGED_PROBLEMS = 20


class CsvFormatError(TapWalkMeInsightsError, ValueError):
    """The export cannot be read as CSV; the message names the row, line and the fix."""


@dataclass(frozen=True)
class CsvOptions:
    """How to decode and split an export."""

    encoding: str = "utf-8"
    encoding_errors: str = "strict"
    delimiter: str = ","
    ragged_rows: str = "fail"

    def __post_init__(self) -> None:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            msg = f"Unknown encoding {self.encoding!r}: use a Python codec name such as 'cp1252'."
            raise CsvFormatError(msg) from None
        if self.encoding_errors not in ("strict", "replace"):
            msg = f"encoding_errors must be 'strict' or 'replace', not {self.encoding_errors!r}."
            raise CsvFormatError(msg)
        if self.ragged_rows not in ("fail", "skip"):
            msg = f"ragged_rows must be 'fail' or 'skip', not {self.ragged_rows!r}."
            raise CsvFormatError(msg)
        if len(self.delimiter) != 1:
            msg = f"delimiter must be one character, not {self.delimiter!r}."
            raise CsvFormatError(msg)


@dataclass
class ReadCounts:
    """What the reader skipped or repaired, for the end-of-sync log line."""

    rows: int = 0
    ragged_skipped: int = 0
    replaced_bytes_rows: int = 0
    ragged_rows_seen: list[int] = field(default_factory=list)


class _LineDecoder:
    """Decode physical lines one by one so an invalid byte can be pinned to its line."""

    def __init__(
        self, binary: BinaryIO, encoding: str, errors: str, label: str, counts: ReadCounts
    ) -> None:
        self._binary = binary
        self._encoding = encoding
        self._errors = errors
        self._label = label
        self._counts = counts  # rows read so far: the row being decoded is the next one
        self.in_header = True
        self.lines_read = 0
        self.replaced_lines = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self._binary:
            self.lines_read += 1
            try:
                yield raw.decode(self._encoding)
            except UnicodeDecodeError as error:
                if self._errors == "replace":
                    self.replaced_lines += 1
                    yield raw.decode(self._encoding, errors="replace")
                    continue
                where = "the header" if self.in_header else f"row {self._counts.rows + 1}"
                msg = (
                    f"{self._label}: {where} (line {self.lines_read}) contains bytes that are not "
                    f"valid {self._encoding} (byte {error.start + 1} of the line). Set `encoding` "
                    "to the export's encoding (e.g. 'cp1252' or 'latin-1'), or "
                    "`encoding_errors: replace` to read such bytes as U+FFFD."
                )
                raise CsvFormatError(msg) from None


def _detect_bom(binary: BinaryIO) -> tuple[BinaryIO, str | None]:
    """Consume a leading BOM, returning the stream and the encoding it implies."""
    buffered = binary if isinstance(binary, io.BufferedReader) else io.BufferedReader(binary)  # type: ignore[arg-type]
    head = buffered.peek(4)[:4]
    if head.startswith(codecs.BOM_UTF8):
        buffered.read(3)
        return buffered, "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return buffered, "utf-16"
    return buffered, None


class ReportCsv:
    """One pass over an export: ``header`` first, then ``rows()`` as (row number, cells)."""

    def __init__(
        self, binary: BinaryIO, options: CsvOptions, label: str, *, quiet: bool = False
    ) -> None:
        """Open ``binary`` (an export's bytes) and read its header.

        ``label`` names the export in messages; it must not contain secrets. ``quiet`` stops
        per-row warnings (for a second pass over rows already reported).
        """
        self.quiet = quiet
        if csv.field_size_limit() < _FIELD_SIZE_LIMIT:
            csv.field_size_limit(_FIELD_SIZE_LIMIT)
        self.options = options
        self.label = label
        self.counts = ReadCounts()
        stream, bom_encoding = _detect_bom(binary)
        encoding = bom_encoding or options.encoding
        self._decoder: _LineDecoder | None = None
        lines: Iterator[str]
        if encoding == "utf-16":
            text = io.TextIOWrapper(stream, encoding="utf-16", errors=options.encoding_errors)
            lines = iter(text)
        else:
            self._decoder = _LineDecoder(
                stream, encoding, options.encoding_errors, label, self.counts
            )
            lines = iter(self._decoder)
        self._reader = csv.reader(lines, delimiter=options.delimiter, strict=True)
        self.header = self._read_header()
        if self._decoder is not None:
            self._decoder.in_header = False

    def _next_record(self) -> list[str] | None:
        try:
            while True:
                record = next(self._reader)
                if record:
                    return record
        except StopIteration:
            return None
        except (UnicodeDecodeError, csv.Error) as error:
            raise self._format_error(error) from None

    def _format_error(self, error: UnicodeDecodeError | csv.Error) -> CsvFormatError:
        """The message for a UTF-16 decoding error or malformed CSV, naming row and line."""
        if isinstance(error, UnicodeDecodeError):
            msg = (
                f"{self.label}: near line {self._reader.line_num} the bytes are not valid "
                f"UTF-16 ({error.reason}). Set `encoding_errors: replace` to read them as U+FFFD."
            )
            return CsvFormatError(msg)
        row = self.counts.rows + 1
        msg = (
            f"{self.label}: row {row} (line {self._reader.line_num}) is not valid CSV: "
            f"{error}. Check the quoting, or set `delimiter` if the export is not "
            "comma-separated."
        )
        return CsvFormatError(msg)

    def _read_header(self) -> list[str]:
        record = self._next_record()
        if record is None:
            msg = f"{self.label}: the export is empty (no header row)."
            raise CsvFormatError(msg)
        return [cell.strip() for cell in record]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (row number, cells) for every data row whose cell count matches the header."""
        width = len(self.header)
        counts = self.counts
        row_number = counts.rows
        try:
            for record in self._reader:
                if not record:
                    continue
                row_number += 1
                counts.rows = row_number
                if len(record) != width:
                    self._ragged(row_number, len(record), width)
                    continue
                yield row_number, record
        except (UnicodeDecodeError, csv.Error) as error:
            raise self._format_error(error) from None
        if self._decoder is not None:
            self.counts.replaced_bytes_rows = self._decoder.replaced_lines

    def _ragged(self, row_number: int, cells: int, width: int) -> None:
        line = self._reader.line_num
        if self.options.ragged_rows == "fail":
            msg = (
                f"{self.label}: row {row_number} (ending on line {line}) has {cells} cells but "
                f"the header has {width}; reading it would shift columns. Fix the export, check "
                "`delimiter`, or set `ragged_rows: skip` to skip such rows (they are counted)."
            )
            raise CsvFormatError(msg)
        self.counts.ragged_skipped += 1
        if len(self.counts.ragged_rows_seen) < _MAX_LOGGED_PROBLEMS and not self.quiet:
            self.counts.ragged_rows_seen.append(row_number)
            LOGGER.warning(
                "%s: skipped row %d (ending on line %d): %d cells, header has %d.",
                self.label,
                row_number,
                line,
                cells,
                width,
            )
