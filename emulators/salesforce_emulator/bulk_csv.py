"""Bulk API 2.0 CSV records, read as strictly as Salesforce documents them.

"Valid CSV Record Rows" and "Prepare CSV Files" (Bulk API 2.0 and Bulk API Developer Guide):
a field holding the delimiter, a double quote, a CR or an LF must be enclosed in double quotes
(a quote inside doubled); field values are not trimmed; a space before or after a double quote
is an error *for the row* (``"John", "Smith"``). The docs do not say what a bare CR in an
unquoted field does; the strictest reading is taken: the row fails (never a silent split or
truncation). Records end with the job's ``lineEnding`` (LF, or CRLF).

:func:`split_records` finds each record's extent with one compiled regular expression per
record (C speed), sends the well-formed ones to :mod:`csv` for the cell values, and returns
the malformed ones separately, with their text. A whole upload is first checked with one
match; only an upload holding a malformed record is walked record by record.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache

ROW_ERROR = (
    "INVALID_FIELD:Malformed CSV row: a value holding the delimiter, a double quote, CR or LF "
    "must be enclosed in double quotes, with no space before or after the quotes:--"
)


@dataclass
class Records:
    """The records of one upload: header, good rows (cells) and bad rows (raw text)."""

    header: list[str]
    rows: list[list[str]]
    bad: list[str]


def _record_regex(delimiter: str, line_ending: str) -> str:
    d = re.escape(delimiter)
    end = r"\r\n" if line_ending == "CRLF" else r"\n"
    field = rf'(?:"[^"]*(?:""[^"]*)*"|[^{d}"\r\n]*)'
    return rf"{field}(?:{d}{field})*(?:{end}|\Z)"


@lru_cache(maxsize=16)
def _record_pattern(delimiter: str, line_ending: str) -> re.Pattern[str]:
    return re.compile(_record_regex(delimiter, line_ending))


@lru_cache(maxsize=16)
def _file_pattern(delimiter: str, line_ending: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{_record_regex(delimiter, line_ending)})*")


@lru_cache(maxsize=16)
def _line_end(line_ending: str) -> str:
    return "\r\n" if line_ending == "CRLF" else "\n"


def split_records(text: str, delimiter: str, line_ending: str) -> Records | str:
    """Split ``text`` into records; a string return is a whole-job error (bad header)."""
    plain = _split_plain(text, delimiter, line_ending)
    if plain is not None:
        return plain
    if _file_pattern(delimiter, line_ending).fullmatch(text):
        return _parse(text, [], delimiter)  # every record is well formed (the usual case)
    pattern = _record_pattern(delimiter, line_ending)
    end = _line_end(line_ending)
    good: list[str] = []
    bad: list[str] = []
    pos, size = 0, len(text)
    header_text: str | None = None
    match = pattern.match
    while pos < size:
        m = match(text, pos)
        if m is not None and m.end() > pos:
            record = m.group()
            pos = m.end()
        else:
            # Not a well-formed record: it fails alone; resume after its line ending.
            stop = text.find(end, pos)
            stop = size if stop < 0 else stop + len(end)
            record = text[pos:stop]
            pos = stop
            if header_text is None:
                return "InvalidBatch : Failed to parse the CSV header row"
            if record.strip(end):
                bad.append(record.removesuffix(end))
            continue
        if header_text is None:
            header_text = record
        else:
            good.append(record)
    if header_text is None:
        return "InvalidBatch : No data uploaded for the job"
    return _parse(header_text + "".join(good), bad, delimiter)


def _split_plain(text: str, delimiter: str, line_ending: str) -> Records | str | None:
    """The fast path for an upload without any double quote (the usual one).

    With no quotes every record is well formed exactly when no CR or LF stands outside its
    line ending, and cells are the text between delimiters, so plain ``str.split`` gives what
    :mod:`csv` would. ``None``: the upload needs the full reading.
    """
    if '"' in text or "\0" in text:
        return None
    end = _line_end(line_ending)
    if line_ending == "CRLF":
        records = text.count("\r\n")
        if text.count("\r") != records or text.count("\n") != records:
            return None
    elif "\r" in text:
        return None
    lines = text.split(end)
    if not lines[0] and len(lines) == 1:
        return "InvalidBatch : No data uploaded for the job"
    header = lines[0].split(delimiter) if lines[0] else []
    split = str.split
    rows = [r for r in (split(line, delimiter) for line in lines[1:] if line) if any(r)]
    return Records(header, rows, [])


def _parse(text: str, bad: list[str], delimiter: str) -> Records | str:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        rows = [r for r in reader if r and any(cell != "" for cell in r)]
    except StopIteration:
        return "InvalidBatch : No data uploaded for the job"
    except csv.Error as exc:
        return f"InvalidBatch : Failed to parse CSV : {exc}"
    return Records(header, rows, bad)
