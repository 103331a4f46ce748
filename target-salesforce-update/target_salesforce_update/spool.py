"""The write spool: a stream's changed records waiting for one write, kept on disk.

Instead of one Bulk API 2.0 job per SDK batch (≈ 9 calls each), the sink appends every
batch's changes here and writes them all at once — one job per stream — when the spool reaches
``max_bytes`` of CSV, before the target prints a STATE, and at the end of the stream. Memory
stays at one batch: the spool holds, on disk,

- ``csv``: the Bulk API 2.0 upload itself (``Id`` + every mapped field; an empty cell leaves
  the field alone), written as records arrive, so its exact size is known — except records
  holding a literal ``#N/A`` text value (Bulk's null marker), kept apart for Collections;
- the key groups, pickled in chunks of :data:`_GROUPS_PER_PICKLE`: the rows of each key, its
  record Ids and the changes per record — what the results files need once Salesforce has
  answered (and the Collections payloads when the stream's total stays below
  ``bulk_threshold``).

In memory only a hash per spooled match key is kept, so a later batch that carries a key
already waiting can have the spool written first: its change must be compared with, and
applied after, the earlier one.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from .salesforce.bulk2 import csv_record_line, csv_row

__all__ = ["SpooledGroup", "WriteSpool"]

#: Key groups pickled together: one pickle call per group cost ~10 % of the target's CPU at
#: 200k rows; chunks of this many keep memory at a few hundred kB while the spool grows.
_GROUPS_PER_PICKLE = 1000


@dataclass
class SpooledGroup:
    """One key's rows and its records' changes, as they come back out of the spool."""

    rows: list[tuple[int, Any]]  # (position in the stream, raw key)
    record_ids: list[str]
    changes: dict[str, dict[str, Any]]  # record Id -> changed fields


class WriteSpool:
    """Changed records of one stream on disk, waiting for one Bulk job or Collections calls."""

    def __init__(self, columns: Sequence[str], directory: str | None = None) -> None:
        self.columns = ["Id", *(c for c in columns if c != "Id")]
        self._directory = directory
        self._csv: IO[bytes] | None = None
        self._groups: IO[bytes] | None = None
        self._keys: set[int] = set()
        #: Groups not yet pickled, and how many pickled chunks the groups file holds.
        self._pending: list[
            tuple[Sequence[tuple[int, Any]], Sequence[str], Mapping[str, Mapping[str, Any]]]
        ] = []
        self._chunks = 0
        self.records = 0
        self.groups = 0
        self.csv_bytes = 0
        #: Records that cannot go through Bulk (a literal ``#N/A`` text value, which Bulk reads
        #: as "set null"): kept here, in memory (they are rare), and sent with Collections.
        self.direct: list[dict[str, Any]] = []

    @property
    def csv_records(self) -> int:
        """Records in the Bulk upload (all but :attr:`direct`)."""
        return self.records - len(self.direct)

    def __len__(self) -> int:
        return self.records

    def _open(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._csv is None or self._groups is None:
            self._csv = tempfile.TemporaryFile(dir=self._directory, prefix="bulk-")  # noqa: SIM115
            self._groups = tempfile.TemporaryFile(dir=self._directory, prefix="groups-")  # noqa: SIM115
            self.csv_bytes = self._csv.write(self._row(self.columns))
        return self._csv, self._groups

    def _row(self, cells: Sequence[str]) -> bytes:
        return csv_row(cells).encode("utf-8")

    def holds_any(self, keys: Iterator[str] | Sequence[str]) -> bool:
        """Whether a change for one of these match keys is already waiting."""
        spooled = self._keys
        return bool(spooled) and any(hash(key) in spooled for key in keys)

    def add(
        self,
        key: str,
        rows: Sequence[tuple[int, Any]],
        record_ids: Sequence[str],
        changes: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """Append one key's rows and the changes of its records (kept as given, not copied:
        they must not change afterwards)."""
        csv_file, groups_file = self._open()
        columns = self.columns[1:]
        for record_id, fields in changes.items():
            self.records += 1
            line = csv_record_line(record_id, fields, columns)
            if line is None:  # a literal "#N/A" would clear the field in Bulk: Collections
                self.direct.append({"Id": record_id, **fields})
                continue
            self.csv_bytes += csv_file.write(line.encode("utf-8"))
        self._pending.append((rows, record_ids, changes))
        if len(self._pending) >= _GROUPS_PER_PICKLE:
            self._dump_pending(groups_file)
        self._keys.add(hash(key))
        self.groups += 1

    def _dump_pending(self, groups_file: IO[bytes]) -> None:
        if self._pending:
            pickle.dump(self._pending, groups_file, protocol=pickle.HIGHEST_PROTOCOL)
            self._chunks += 1
            self._pending = []

    def csv_file(self) -> IO[bytes]:
        """The upload, rewound (header + one line per spooled record)."""
        csv_file, _ = self._open()
        csv_file.flush()
        csv_file.seek(0)
        return csv_file

    def read_groups(self) -> Iterator[SpooledGroup]:
        """Every spooled key group, in the order added."""
        if self._groups is None:
            return
        groups_file = self._groups
        self._dump_pending(groups_file)
        groups_file.flush()
        groups_file.seek(0)
        for _ in range(self._chunks):
            chunk = pickle.load(groups_file)  # noqa: S301 - our own file
            for rows, record_ids, changes in chunk:
                yield SpooledGroup(rows, record_ids, changes)

    def clear(self) -> None:
        """Forget everything spooled (after it was written and reported)."""
        for handle in (self._csv, self._groups):
            if handle is not None:
                handle.close()
        self._csv = self._groups = None
        self._keys = set()
        self._pending = []
        self.records = self.groups = self.csv_bytes = self._chunks = 0
        self.direct = []
