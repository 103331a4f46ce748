"""CSV text as ``csv.writer(quoting=csv.QUOTE_ALL)`` writes it, built with ``str.join``.

Bulk API 2.0 results (ingest ``successfulResults``/``failedResults``/``unprocessedrecords``
and query result pages) quote every cell. For rows of ``str`` cells, ``csv.writer`` with
``QUOTE_ALL`` (and the default ``doublequote``) writes each cell between double quotes with
its own double quotes doubled, cells separated by the delimiter, each row followed by the line
terminator, and an empty row as the terminator alone; :func:`quote_all` writes the same text
with one ``join`` per row, doubling quotes only in the rare row that holds one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def quote_all(rows: Iterable[Sequence[str]], delimiter: str, line_end: str) -> str:
    """``rows`` (of ``str`` cells) as ``csv.writer(…, quoting=QUOTE_ALL)`` writes them;
    ``delimiter`` is one character other than a double quote."""
    sep = f'"{delimiter}"'
    lines: list[str] = []
    append = lines.append
    for row in rows:
        if not row:
            append("")
            continue
        line = sep.join(row)
        if line.count('"') != 2 * (len(row) - 1):  # a cell holds a double quote: double it
            line = sep.join([cell.replace('"', '""') for cell in row])
        append(f'"{line}"')
    if not lines:
        return ""
    return line_end.join(lines) + line_end
