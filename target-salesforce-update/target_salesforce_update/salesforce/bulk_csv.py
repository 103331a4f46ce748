"""The CSV dialect of Bulk API 2.0 update jobs: cells, rows, upload chunks and ``sf__Error``.

Null semantics match the Collections path: a key absent from a record becomes an empty cell,
which Bulk API 2.0 leaves untouched; ``None`` (or ``""``, which Salesforce stores as null
anyway) becomes ``#N/A``, which clears the field. A literal string ``"#N/A"`` cannot be written
through Bulk API 2.0 — it would clear the field — so such a record goes through sObject
Collections (:func:`needs_collections`). Rows are RFC 4180 with LF line endings (:func:`csv_row`).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .save_results import RecordError

__all__ = [
    "LINE_ENDING",
    "NULL_CELL",
    "csv_cell",
    "csv_chunks",
    "csv_columns",
    "csv_record_line",
    "csv_row",
    "id_key",
    "needs_collections",
    "parse_bulk_error",
    "record_id",
]

NULL_CELL = "#N/A"

#: Every upload ends its lines with LF and the job says so (``lineEnding: LF``); a CR or LF
#: inside a value is data, always inside quotes.
LINE_ENDING = "LF"
_QUOTE_WHEN = frozenset(',"\r\n')


def csv_row(cells: Sequence[str]) -> str:
    """One RFC 4180 CSV line ending in LF.

    A cell is quoted when it holds the delimiter, a quote, a CR or an LF (Python's ``csv``
    module leaves a bare CR unquoted when the line terminator is LF, which cuts the value), or
    starts or ends with whitespace; quotes inside are doubled.
    """
    out = []
    for cell in cells:
        if cell and (not _QUOTE_WHEN.isdisjoint(cell) or cell[0].isspace() or cell[-1].isspace()):
            out.append('"' + cell.replace('"', '""') + '"')
        else:
            out.append(cell)
    return ",".join(out) + "\n"


def needs_collections(record: Mapping[str, Any]) -> bool:
    """Whether a record holds a literal ``#N/A`` text value, which Bulk API 2.0 reads as
    "set null": such a record is written with sObject Collections instead."""
    return any(
        isinstance(value, str) and value.strip() == NULL_CELL
        for key, value in record.items()
        if key not in {"Id", "id", "attributes"}
    )


def csv_cell(value: Any) -> str:
    """Render one value as a Bulk API 2.0 CSV cell (``None`` → ``#N/A``)."""
    if value is None or value == "":
        return NULL_CELL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_cell(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(dt.timezone.utc)
        return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _quoted(cell: str) -> str:
    """``cell`` as :func:`csv_row` writes it."""
    if cell and (not _QUOTE_WHEN.isdisjoint(cell) or cell[0].isspace() or cell[-1].isspace()):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _float_cell(value: float) -> str:
    if value == int(value):
        return str(int(value))
    text = repr(value)
    # repr is already the plain decimal form unless it has an exponent (1e-05, 1.5e+16).
    return text if "e" not in text else format(decimal.Decimal(text), "f")


#: The value types a mapped field usually holds, rendered straight to their (quoted) cell;
#: any other type goes through :func:`csv_cell` and :func:`_quoted`.
_QUOTED_CELL = {
    bool: lambda value: "true" if value else "false",
    int: str,
    float: _float_cell,
    type(None): lambda _value: NULL_CELL,
}


_ABSENT = object()


def csv_record_line(
    record_id: str, fields: Mapping[str, Any], columns: Sequence[str]
) -> str | None:
    """The upload line of one record — ``csv_row([record_id, *cells])`` with each cell
    ``csv_cell(fields[column])`` or empty when the column is not in ``fields`` — or None when
    the record :func:`needs_collections`. The spool's hot path: one pass, no list of cells
    per value type."""
    out = [_quoted(record_id)]
    append = out.append
    seen = 0
    for column in columns:
        value = fields.get(column, _ABSENT)
        if value is _ABSENT:
            append("")
            continue
        seen += 1
        if type(value) is str:
            if value.strip() == NULL_CELL:
                return None
            append(_quoted(value) if value else NULL_CELL)
            continue
        render = _QUOTED_CELL.get(type(value))
        if render is None:
            if isinstance(value, str) and value.strip() == NULL_CELL:
                return None
            append(_quoted(csv_cell(value)))
        else:
            append(render(value))
    if seen != len(fields) and needs_collections(fields):  # a field outside the columns
        return None
    return ",".join(out) + "\n"


def parse_bulk_error(text: str) -> tuple[RecordError, ...]:
    """Parse ``sf__Error`` (``CODE:message:field1,field2 --``) into record errors."""
    text = (text or "").strip()
    if text.endswith("--"):
        text = text[:-2].rstrip()
    code, sep, rest = text.partition(":")
    if not sep or not code or not code.replace("_", "").isalnum() or code.upper() != code:
        return (RecordError("UNKNOWN_ERROR", text, ()),)
    message, sep, fields_text = rest.rpartition(":")
    if not sep:
        message, fields_text = rest, ""
    fields = tuple(f.strip() for f in fields_text.split(",") if f.strip())
    return (RecordError(code, message.strip(), fields),)


def id_key(value: Any) -> str:
    return str(value or "")[:15]


def csv_columns(records: Sequence[Mapping]) -> list[str]:
    columns: dict[str, None] = {"Id": None}
    for record in records:
        for key in record:
            if key in {"Id", "id", "attributes"}:
                continue
            columns.setdefault(str(key), None)
    return list(columns)


def record_id(record: Mapping) -> str:
    value = record.get("Id", record.get("id"))
    if not value:
        raise ValueError(
            "every record passed to bulk_update needs an Id: this client only updates "
            "existing records and never creates one"
        )
    return str(value)


def csv_chunks(
    records: Sequence[Mapping], columns: list[str], max_bytes: int
) -> Iterator[tuple[list[int], bytes]]:
    """Yield ``(input indices, CSV bytes)`` chunks, each at most ``max_bytes`` long."""
    header = csv_row(columns).encode("utf-8")
    rows: list[bytes] = []
    indices: list[int] = []
    size = len(header)
    for index, record in enumerate(records):
        record_id(record)
        cells = []
        for column in columns:
            if column == "Id":
                cells.append(record_id(record))
            elif column in record:
                cells.append(csv_cell(record[column]))
            else:
                cells.append("")  # absent: leave the field alone
        row = csv_row(cells).encode("utf-8")
        if len(header) + len(row) > max_bytes:
            raise ValueError(
                f"record {index} alone needs {len(header) + len(row)} bytes of CSV, more than "
                f"the {max_bytes}-byte upload limit"
            )
        if rows and size + len(row) > max_bytes:
            yield indices, header + b"".join(rows)
            rows, indices, size = [], [], len(header)
        rows.append(row)
        indices.append(index)
        size += len(row)
    if rows:
        yield indices, header + b"".join(rows)
