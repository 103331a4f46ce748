"""A bounded-memory copy of the object's matchable records, keyed by match key.

The Bulk query strategy reads every record whose match field is set once, and looks the keys
of each batch up here instead of sending ``IN`` queries. Records live in SQLite's private
temporary database (its file is unlinked as soon as it is opened, so even a killed run leaves
nothing behind): memory stays bounded whatever the object's size; only one insert chunk is held
at a time.

Keys are the same :func:`.matching.match_key` the ``IN`` path uses on query answers (text
folded case-insensitively unless the field is case-sensitive; numbers and Ids canonical), so
both strategies pair rows with records identically.

A record handed out once is *used*: a later batch holding the same key must not compare with
the snapshot (this run may have written that record since), so :meth:`lookup` returns such
keys apart, and the caller reads them fresh with an ``IN`` query. Which records were handed
out is one byte per record in memory (1 MB per million), not an ``UPDATE`` of the file: with
a covering index over ``(key, seq, cells)`` a lookup only reads index pages and writes none
(1M keys in random order: 13.2 → 7.5 CPU-s; benchmarks/RESULTS.md, Run I).
"""

from __future__ import annotations

import sqlite3
import typing as t
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .coercion import CoercionError, FieldSpec
from .exceptions import BulkJobError
from .matching import match_key

_INSERT_CHUNK = 5_000
_LOOKUP_CHUNK = 500


def _cell(text: str, spec: FieldSpec | None) -> Any:
    """A Bulk CSV cell as the REST query would give it: empty → None, booleans as bool
    (other values stay text: change detection normalises them per field type)."""
    if text == "":
        return None
    if spec is not None and spec.type == "boolean":
        return text.lower() == "true"
    return text


class MatchSnapshot:
    """Records of one object keyed by match key, in a temporary SQLite database."""

    def __init__(self, match: FieldSpec, specs: Mapping[str, FieldSpec]) -> None:
        self.match = match
        self._specs = {name.lower(): spec for name, spec in specs.items()}
        self._specs.setdefault(match.name.lower(), match)
        # An empty name is SQLite's private temporary database: its file (in SQLITE_TMPDIR or
        # TMPDIR) is unlinked as soon as SQLite opens it, so even a killed run leaves nothing.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        #: The Bulk CSV's header; each record is stored as its raw cells, one column each
        #: (no per-record JSON: converting cells is left to the records a lookup returns).
        self._columns: list[str] = []
        self._column_specs: list[FieldSpec | None] = []
        self._booleans: list[str] = []
        self.records = 0
        #: One byte per stored record, set once a lookup handed it out (see :meth:`lookup`).
        self._used = bytearray()

    def _create_table(self, columns: Sequence[str]) -> None:
        self._columns = list(columns)
        self._column_specs = [self._specs.get(name.lower()) for name in self._columns]
        self._booleans = [
            name
            for name, spec in zip(self._columns, self._column_specs, strict=True)
            if spec is not None and spec.type == "boolean"
        ]
        cells = ", ".join(f"c{index} TEXT" for index in range(len(self._columns)))
        self._db.execute(f"CREATE TABLE records (key TEXT NOT NULL, seq INTEGER NOT NULL, {cells})")

    def load(self, pages: Iterable[tuple[Sequence[str], Iterable[Sequence[str]]]]) -> int:
        """Store every row whose match field gives a key; return how many were stored.

        ``pages`` are ``(header, rows)`` pairs as :func:`.salesforce.bulk_query.query_pages`
        yields them; every page must carry the same header."""
        chunk: list[tuple[t.Any, ...]] = []
        stored = 0
        seq = self.records
        match = self.match
        insert = ""
        for header, rows in pages:
            if not insert:
                self._create_table(header)
                marks = ", ".join("?" * (len(self._columns) + 2))
                # Only placeholders are interpolated, never data.
                insert = f"INSERT INTO records VALUES ({marks})"  # noqa: S608
            elif list(header) != self._columns:
                raise BulkJobError(
                    f"Bulk query result pages disagree on their columns ({list(header)} after "
                    f"{self._columns}); set match_strategy to in_query to match with IN queries"
                )
            width = len(self._columns)
            try:
                at = [name.lower() for name in self._columns].index(match.name.lower())
            except ValueError:
                continue
            spec = self._column_specs[at]
            for row in rows:
                if not row:
                    continue
                if len(row) != width:
                    raise BulkJobError(
                        f"A Bulk query result row has {len(row)} cell(s) where the header has "
                        f"{width}; set match_strategy to in_query to match with IN queries"
                    )
                try:
                    key = match_key(_cell(row[at], spec), match)
                except CoercionError:
                    continue
                if key is None:
                    continue
                chunk.append((key, seq, *row))
                seq += 1
                if len(chunk) >= _INSERT_CHUNK:
                    self._db.executemany(insert, chunk)
                    stored += len(chunk)
                    chunk = []
        if not insert:
            self._create_table([match.name])
        if chunk:
            self._db.executemany(insert, chunk)
            stored += len(chunk)
        # A covering index in (key, seq) order: a lookup reads index pages only, and a key's
        # records come out in the order the Bulk job returned them.
        cells = "".join(f", c{index}" for index in range(len(self._columns)))
        self._db.execute(f"CREATE INDEX records_key ON records (key, seq{cells})")
        self._db.commit()
        self.records += stored
        self._used = bytearray(self.records)
        return stored

    def lookup(self, keys: Sequence[str]) -> tuple[dict[str, list[dict]], list[str]]:
        """Records per key (in the order the Bulk job returned them) and the keys whose
        records were already handed out by an earlier lookup (read those fresh)."""
        found: dict[str, list[dict]] = {}
        used: set[str] = set()
        db = self._db
        names = self._columns
        booleans = self._booleans
        marked = self._used
        # Empty cells come back as None, as the REST query gives them.
        cells = ", ".join(f"NULLIF(c{index}, '')" for index in range(len(names)))
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            part = list(keys[start : start + _LOOKUP_CHUNK])
            marks = ",".join("?" * len(part))
            rows = db.execute(
                f"SELECT key, seq, {cells} FROM records WHERE key IN ({marks}) "  # noqa: S608
                "ORDER BY key, seq",
                part,
            ).fetchall()
            for row in rows:
                key = row[0]
                if marked[row[1]]:
                    used.add(key)
                    continue
                marked[row[1]] = 1
                record = dict(zip(names, row[2:], strict=True))
                for name in booleans:
                    value = record[name]
                    if value is not None:
                        record[name] = value.lower() == "true"
                found.setdefault(key, []).append(record)
        for key in used:
            found.pop(key, None)
        return found, sorted(used)

    def close(self) -> None:
        """Drop the temporary database (SQLite frees its file)."""
        self._db.close()
