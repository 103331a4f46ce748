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
import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import BinaryIO

from tap_walkme_insights.errors import TapWalkMeInsightsError

LOGGER = logging.getLogger(__name__)

_FIELD_SIZE_LIMIT = 16 * 1024 * 1024
_MAX_LOGGED_PROBLEMS = 20
BATCH_ROWS = 2048
"""At most this many rows in a batch of :meth:`ReportCsv.row_batches`…"""
BATCH_BYTES = 1 << 20
"""…and, as far as the stream can tell, not much more than this many bytes of the export."""
_SIZE_CHECK_ROWS = 64


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
    """Decode physical lines one by one, reading invalid bytes as U+FFFD and counting the
    lines that had some (``encoding_errors: replace``).

    Strict decoding needs no Python code per line: lines are decoded with ``map``, and an
    invalid byte surfaces as the ``UnicodeDecodeError`` of the line after the csv reader's
    ``line_num`` (which counts the lines it was given).
    """

    def __init__(self, binary: BinaryIO, encoding: str) -> None:
        self._binary = binary
        self._encoding = encoding
        self.replaced_lines = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self._binary:
            try:
                yield raw.decode(self._encoding)
            except UnicodeDecodeError:
                self.replaced_lines += 1
                yield raw.decode(self._encoding, errors="replace")


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
        self._stream = stream
        self._encoding = encoding
        self._decoder: _LineDecoder | None = None
        self._strict_lines = False
        """Lines decoded one by one, strictly: a ``UnicodeDecodeError`` is the next line's."""
        lines: Iterator[str]
        if encoding == "utf-16":
            text = io.TextIOWrapper(stream, encoding="utf-16", errors=options.encoding_errors)
            lines = iter(text)
        elif options.encoding_errors == "replace":
            self._decoder = _LineDecoder(stream, encoding)
            lines = iter(self._decoder)
        else:
            self._strict_lines = True
            lines = map(operator.methodcaller("decode", encoding), stream)
        self._reader = csv.reader(lines, delimiter=options.delimiter, strict=True)
        self._in_header = True
        self.header = self._read_header()
        self._in_header = False

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
        """The message for undecodable bytes or malformed CSV, naming row and line (the rows
        read so far are in ``counts.rows``: the row being read is the next one)."""
        if isinstance(error, UnicodeDecodeError) and self._strict_lines:
            where = "the header" if self._in_header else f"row {self.counts.rows + 1}"
            msg = (
                f"{self.label}: {where} (line {self._reader.line_num + 1}) contains bytes that "
                f"are not valid {self._encoding} (byte {error.start + 1} of the line). Set "
                "`encoding` to the export's encoding (e.g. 'cp1252' or 'latin-1'), or "
                "`encoding_errors: replace` to read such bytes as U+FFFD."
            )
            return CsvFormatError(msg)
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

    def row_batches(self) -> Iterator[tuple[int, list[list[str]]]]:
        """The rows of :meth:`rows` in batches of consecutive rows, ``(start, rows)``:
        ``rows[i]`` is row ``start + i + 1``. A batch holds at most :data:`BATCH_ROWS` rows and
        ends once about :data:`BATCH_BYTES` of the export have been read for it.

        Everything else happens as in :meth:`rows`, at the same point of the read: a batch
        ends before a ragged row (the rows before it are handed over before that row is
        logged, skipped or refused), and a reading error is raised after the rows read before
        it have been handed over.
        """
        width = len(self.header)
        counts = self.counts
        reader = self._reader
        tell = self._stream.tell if self._can_tell() else None
        start = counts.rows
        batch: list[list[str]] = []
        append = batch.append
        failure: CsvFormatError | None = None
        begin = size = 0
        try:
            begin = tell() if tell is not None else 0
            while True:
                lines_before = reader.line_num
                first = len(batch)
                for record in islice(reader, _SIZE_CHECK_ROWS):
                    if len(record) == width:
                        append(record)
                    elif record:  # a ragged row (a blank line is an empty record: skipped)
                        if batch:
                            yield start, batch
                            start += len(batch)
                            batch = []
                            append = batch.append
                            first = 0
                        start += 1
                        counts.rows = start
                        self._ragged(start, len(record), width)
                if reader.line_num == lines_before:
                    break  # the reader is exhausted
                if tell is not None:
                    size = tell() - begin
                else:
                    size += sum(map(len, chain.from_iterable(batch[first:])))
                if len(batch) + _SIZE_CHECK_ROWS > BATCH_ROWS or size >= BATCH_BYTES:
                    if batch:
                        yield start, batch
                        start += len(batch)
                        counts.rows = start
                        batch = []
                        append = batch.append
                    begin = tell() if tell is not None else 0
                    size = 0
        except (UnicodeDecodeError, csv.Error) as error:
            counts.rows = start + len(batch)
            failure = self._format_error(error)
        if batch:
            counts.rows = start + len(batch)
            yield start, batch
        if failure is not None:
            raise failure
        if self._decoder is not None:
            counts.replaced_bytes_rows = self._decoder.replaced_lines

    def _can_tell(self) -> bool:
        try:
            self._stream.tell()
        except (OSError, ValueError):
            return False
        return True

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
