"""SQLite storage of the emulated org (layout fixed in docs/architecture.md).

One table per sObject, named by its API name; one column per field, named by its API name.
Values: boolean → INTEGER 0/1; int → INTEGER; double/currency/percent → REAL; date → TEXT
``YYYY-MM-DD``; datetime → TEXT ``YYYY-MM-DDTHH:MM:SS.000+0000`` (UTC, fixed width); everything
else TEXT. Every connection registers the ``SFCI`` collation (Unicode case-insensitive via
``str.casefold``) and the deterministic function ``sfci_fold`` (the same comparison key) that
``soql.py`` uses; text-like columns with ``idLookup``/``externalId``/``unique`` (e.g. ``Email``)
get an index on ``sfci_fold(column)`` so ``Email IN (...)`` queries stay fast on a million rows:
SQLite compares the stored keys in C, where a ``COLLATE SFCI`` index would call back into Python
for every comparison (an index of that kind left by an older emulator is replaced on open).

One connection is shared by all request threads behind a lock: SQLite writes are serialized
anyway, statements are short, and HTTP parsing/JSON work happens outside the lock. File
databases use WAL so the file can be inspected while the emulator runs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any

from . import ids
from .metadata import ID_TYPES, NUMBER_TYPES, TEXT_TYPES, ObjectDef
from .soql import SFCI_FOLD, sfci_fold

_INDEXED_FLAGS = ("idLookup", "externalId", "unique")


def sfci(left: str, right: str) -> int:
    """The SFCI collation: compare strings case-insensitively (Unicode casefold)."""
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


def now_iso() -> str:
    """The current time in the storage format for datetimes (UTC, milliseconds)."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


def column_type(sf_type: str) -> str:
    """SQLite column affinity for a Salesforce field type."""
    if sf_type in {"boolean", "int", "long"}:
        return "INTEGER"
    if sf_type in NUMBER_TYPES:
        return "REAL"
    return "TEXT"


def decode(sf_type: str, value: Any) -> Any:
    """Turn a stored value into its JSON form as Salesforce returns it."""
    if value is None:
        return None
    if sf_type == "boolean":
        return bool(value)
    if sf_type in NUMBER_TYPES:
        return float(value)
    return value


def q(name: str) -> str:
    """Quote an identifier (object and field API names are validated, never raw user text)."""
    return '"' + name.replace('"', '""') + '"'


class Store:
    """The SQLite database plus Id counters. All access goes through :meth:`locked`."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        self.conn.create_collation("SFCI", sfci)
        self.conn.create_function(SFCI_FOLD, 1, sfci_fold, deterministic=True)
        if path:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            # 64 MiB of page cache (default 2 MiB): a Bulk job touches a million-row table
            self.conn.execute("PRAGMA cache_size=-65536")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS _emulator_meta (key TEXT PRIMARY KEY, value TEXT)"
        )
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS _emulator_ids (prefix TEXT PRIMARY KEY, next INTEGER)"
        )

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """Hold the store lock (no transaction)."""
        with self._lock:
            yield self.conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one transaction (rolled back on error)."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # -- metadata persistence -------------------------------------------------------------
    def get_meta(self, key: str) -> Any:
        with self.locked() as conn:
            row = conn.execute("SELECT value FROM _emulator_meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        with self.locked() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO _emulator_meta (key, value) VALUES (?, ?)",
                (key, json.dumps(value)),
            )

    # -- tables ---------------------------------------------------------------------------
    def ensure_table(self, obj: ObjectDef) -> None:
        """Create the object's table, add missing columns and lookup indexes."""
        with self.locked() as conn:
            table = q(obj.name)
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if not have:  # a new table gets every column at once (one schema change, not 50)
                columns = "".join(
                    f", {q(name)} {column_type(fdesc['type'])}"
                    for name, fdesc in obj.fields.items()
                    if name != "Id"
                )
                conn.execute(f'CREATE TABLE {table} ("Id" TEXT PRIMARY KEY{columns})')
                have = set(obj.fields) | {"Id"}
            indexes = {
                row[0]: row[1] or ""
                for row in conn.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
                    (obj.name,),
                )
            }
            for name, fdesc in obj.fields.items():
                if name not in have:
                    conn.execute(
                        f"ALTER TABLE {table} ADD COLUMN {q(name)} {column_type(fdesc['type'])}"
                    )
                if name != "Id" and any(fdesc.get(flag) for flag in _INDEXED_FLAGS):
                    index = f"ix_{obj.name}_{name}"
                    if "COLLATE SFCI" in indexes.get(index, ""):
                        conn.execute(f"DROP INDEX {q(index)}")  # older layout, see above
                    expression = (
                        f"{SFCI_FOLD}({q(name)})" if fdesc["type"] in TEXT_TYPES else q(name)
                    )
                    conn.execute(f"CREATE INDEX IF NOT EXISTS {q(index)} ON {table} ({expression})")

    def drop_all(self) -> None:
        """Drop every table (reset)."""
        with self.locked() as conn:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            for table in tables:
                conn.execute(f"DROP TABLE IF EXISTS {q(table)}")
            conn.execute("CREATE TABLE _emulator_meta (key TEXT PRIMARY KEY, value TEXT)")
            conn.execute("CREATE TABLE _emulator_ids (prefix TEXT PRIMARY KEY, next INTEGER)")

    def new_ids(self, key_prefix: str, count: int) -> list[str]:
        """Reserve ``count`` new 18-character Ids with the object's key prefix."""
        with self.locked() as conn:
            row = conn.execute(
                "SELECT next FROM _emulator_ids WHERE prefix = ?", (key_prefix,)
            ).fetchone()
            start = row[0] if row else 1
            conn.execute(
                "INSERT OR REPLACE INTO _emulator_ids (prefix, next) VALUES (?, ?)",
                (key_prefix, start + count),
            )
        return ids.make_ids(key_prefix, start, count)

    # -- rows -----------------------------------------------------------------------------
    def insert_rows(
        self, conn: sqlite3.Connection, obj: ObjectDef, rows: Sequence[dict[str, Any]]
    ) -> None:
        """Insert encoded rows (grouped by column set, executemany)."""
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for row in rows:
            cols = tuple(row)
            groups.setdefault(cols, []).append(tuple(row[c] for c in cols))
        for cols, values in groups.items():
            sql = (
                f"INSERT OR REPLACE INTO {q(obj.name)} ({', '.join(q(c) for c in cols)}) "  # noqa: S608 - identifiers are validated API names
                f"VALUES ({', '.join('?' for _ in cols)})"
            )
            conn.executemany(sql, values)

    def insert_values(
        self,
        conn: sqlite3.Connection,
        obj: ObjectDef,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        constants: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Insert rows given as value sequences in ``columns`` order (one executemany);
        ``constants`` are ``(column, SQL literal)`` pairs written the same into every row."""
        names = ", ".join(q(c) for c in (*columns, *(c for c, _ in constants)))
        values = ", ".join(["?"] * len(columns) + [literal for _, literal in constants])
        sql = f"INSERT OR REPLACE INTO {q(obj.name)} ({names}) VALUES ({values})"  # noqa: S608 - identifiers are validated API names; literals come from sql_literal
        conn.executemany(sql, rows)

    def drop_lookup_indexes(self, conn: sqlite3.Connection, obj: ObjectDef) -> list[str]:
        """Drop the object's ``ix_…`` lookup indexes before a big load (``ensure_table``
        builds them again, once, which is cheaper than updating them row by row)."""
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND name LIKE 'ix\\_%' ESCAPE '\\'",
                (obj.name,),
            )
        ]
        for name in names:
            conn.execute(f"DROP INDEX {q(name)}")
        return names

    def update_rows(
        self,
        conn: sqlite3.Connection,
        obj: ObjectDef,
        changes: Iterable[tuple[str, dict[str, Any]]],
    ) -> None:
        """Apply ``(id, {column: encoded value})`` changes, grouped by column set."""
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for record_id, values in changes:
            cols = tuple(values)
            groups.setdefault(cols, []).append((*(values[c] for c in cols), record_id))
        self.update_groups(conn, obj, groups)

    def update_groups(
        self,
        conn: sqlite3.Connection,
        obj: ObjectDef,
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]],
    ) -> None:
        """Apply grouped changes: per column set, ``(values in column order..., id)``
        parameters (sorted here), one ``executemany`` per set in the dict's order."""
        for cols, params in groups.items():
            params.sort(key=itemgetter(-1))  # in Id order: the B-tree pages are visited once
            sets = ", ".join(f"{q(c)} = ?" for c in cols)
            conn.executemany(f'UPDATE {q(obj.name)} SET {sets} WHERE "Id" = ?', params)  # noqa: S608 - identifiers are validated API names

    def fetch_by_ids(
        self,
        conn: sqlite3.Connection,
        obj: ObjectDef,
        record_ids: Sequence[str],
        columns: Sequence[str],
    ) -> dict[str, tuple[Any, ...]]:
        """Return ``{Id: (columns...)}`` for the given Ids (deleted rows included)."""
        out: dict[str, tuple[Any, ...]] = {}
        record_ids = sorted(record_ids)  # in Id order: neighbouring Ids share index pages
        cols = ", ".join(q(c) for c in ("Id", *columns))
        for start in range(0, len(record_ids), 500):
            chunk = list(record_ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            for row in conn.execute(
                f'SELECT {cols} FROM {q(obj.name)} WHERE "Id" IN ({marks})',  # noqa: S608
                chunk,
            ):
                out[row[0]] = row[1:]
        return out

    def close(self) -> None:
        with self.locked() as conn:
            conn.close()


def row_to_json(obj: ObjectDef, columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """Decode one stored row into ``{field: JSON value}``."""
    return {
        col: decode(obj.fields[col]["type"] if col in obj.fields else "string", value)
        for col, value in zip(columns, row, strict=False)
    }


__all__ = [
    "ID_TYPES",
    "Store",
    "column_type",
    "decode",
    "now_iso",
    "q",
    "row_to_json",
    "sfci",
]
