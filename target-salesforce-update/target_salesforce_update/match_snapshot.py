"""A bounded-memory copy of the object's matchable records, keyed by match key.

The Bulk query strategy reads every record whose match field is set once, and looks the keys
of each batch up here instead of sending ``IN`` queries.

Keys are the same :func:`.matching.match_key` the ``IN`` path uses on query answers (text
folded case-insensitively unless the field is case-sensitive; numbers and Ids canonical), so
both strategies pair rows with records identically.

Storage: each record's cells (empty → None, checkboxes as bool, as the REST query gives
them) and its key are one length-prefixed msgpack array appended to a temporary file —
unlinked when created, so not even a killed run leaves it behind. In memory, one 8-byte index
entry per record (24 bits of its key's hash, a bit saying a lookup handed it out, where it
starts in the file), kept sorted: ≈ 8 MB per million records. A lookup bisects the index,
reads each candidate with one ``pread`` and compares the stored key (keys may share a hash).
This replaced a SQLite table with a covering index; 1M keys in random order: load 4.1 → 2.9
CPU-s, lookups 7.5 → 4.8 CPU-s (benchmarks/RESULTS.md, Run J).

A record handed out once is *used*: a later batch holding the same key must not compare with
the snapshot (this run may have written that record since), so :meth:`lookup` returns such
keys apart, and the caller reads them fresh with an ``IN`` query.
"""

from __future__ import annotations

import os
import struct
import tempfile
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from .coercion import CoercionError, FieldSpec
from .exceptions import BulkJobError
from .matching import match_key, text_key

#: Records encoded before one write to the file.
_WRITE_CHUNK = 5_000
#: An index entry: the top 24 bits of the key's hash, then one bit "handed out", then where
#: the record starts in the file (39 bits: 512 GiB).
_HASH_BITS = 24
_OFFSET_BITS = 39
_USED = 1 << _OFFSET_BITS
_OFFSET_MASK = _USED - 1
_HASH_SHIFT = _OFFSET_BITS + 1
#: The index is cut into this many ranges by the top bits of the hash; a lookup bisects only
#: its key's range (where each range starts: 4 bytes each, 256 kB).
_RANGE_BITS = 16
#: Index entries are first spread over this many buckets by the top bits of their hash, so
#: sorting them never needs more than one bucket's worth of Python ints at a time.
_BUCKET_BITS = 8
#: Each record is its length (4 bytes, little-endian), then its msgpack array; a lookup reads
#: this many bytes at once, and the rest only for a longer record.
_LENGTH = struct.Struct("<I")
_WINDOW = 512


def _seek_read(fd: int, size: int, offset: int) -> bytes:
    """``os.pread`` where there is none (Windows): seek, then read; it moves the file's
    position, so a load seeks to the end before it writes."""
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


_pread = getattr(os, "pread", _seek_read)


def _hash(key: str) -> int:
    """The index's hash of a key (:data:`_HASH_BITS` bits)."""
    return (hash(key) >> 8) & ((1 << _HASH_BITS) - 1)


class MatchSnapshot:
    """Records of one object keyed by match key, in a temporary file with an index in memory."""

    def __init__(self, match: FieldSpec, specs: Mapping[str, FieldSpec]) -> None:
        self.match = match
        self._specs = {name.lower(): spec for name, spec in specs.items()}
        self._specs.setdefault(match.name.lower(), match)
        self._file = tempfile.TemporaryFile(prefix="sf-match-")  # noqa: SIM115 - closed in close()
        self._size = 0
        #: The Bulk CSV's header: every record's cells, in this order.
        self._columns: list[str] = []
        self.records = 0
        #: One entry per record (see _HASH_BITS), sorted: by hash, then in Bulk order.
        self._index = array("Q")
        #: Where in the index each range of hashes starts (see _RANGE_BITS); then its length.
        self._starts = array("I", [0] * ((1 << _RANGE_BITS) + 1))
        self._encode = msgspec.msgpack.Encoder().encode
        self._decode = msgspec.msgpack.Decoder(list).decode

    def load(self, pages: Iterable[tuple[Sequence[str], Iterable[Sequence[str]]]]) -> int:
        """Store every row whose match field gives a key; return how many were stored.

        ``pages`` are ``(header, rows)`` pairs as :func:`.salesforce.bulk_query.query_pages`
        yields them; every page must carry the same header."""
        match = self.match
        fast_keys = text_key(match)
        buckets = [array("Q") for _ in range(1 << _BUCKET_BITS)]
        shift = _HASH_BITS - _BUCKET_BITS
        encode = self._encode
        chunk: list[bytes] = []
        stored = 0
        end = self._size
        length = _LENGTH.pack
        self._file.seek(0, os.SEEK_END)
        for header, rows in pages:
            if not self._columns:
                self._columns = list(header)
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
            specs = [self._specs.get(name.lower()) for name in self._columns]
            spec = specs[at]
            booleans = [i for i, s in enumerate(specs) if s is not None and s.type == "boolean"]
            for row in rows:
                if not row:
                    continue
                if len(row) != width:
                    raise BulkJobError(
                        f"A Bulk query result row has {len(row)} cell(s) where the header has "
                        f"{width}; set match_strategy to in_query to match with IN queries"
                    )
                try:
                    if fast_keys is None:
                        key = match_key(_cell(row[at], spec), match)
                    else:
                        keys = fast_keys(row[at])
                        key = keys[1] if keys is not None else None
                except CoercionError:
                    continue
                if key is None:
                    continue
                cells: list[Any] = [cell if cell != "" else None for cell in row]
                for index in booleans:
                    value = cells[index]
                    if value is not None:
                        cells[index] = value.lower() == "true"
                cells.append(key)  # last: a lookup pops it off without copying the cells
                data = encode(cells)
                if end + len(data) + 4 > _OFFSET_MASK:
                    raise BulkJobError(
                        "The Bulk query snapshot outgrew 512 GiB; set match_strategy to "
                        "in_query to match with IN queries"
                    )
                chunk.append(length(len(data)))
                chunk.append(data)
                value = _hash(key)
                buckets[value >> shift].append(value << _HASH_SHIFT | end)
                end += len(data) + 4
                stored += 1
                if len(chunk) >= 2 * _WRITE_CHUNK:
                    self._file.write(b"".join(chunk))
                    chunk = []
        if chunk:
            self._file.write(b"".join(chunk))
        self._file.flush()
        self._size = end
        # Sort the index bucket by bucket (a bucket's entries all sort before the next
        # bucket's), freeing each bucket once sorted: the index is held about once, not twice.
        for value in self._index:  # the entries of an earlier load
            buckets[value >> (_HASH_SHIFT + shift)].append(value)
        self._index = array("Q")
        merged = array("Q")
        for number, bucket in enumerate(buckets):
            merged.extend(sorted(bucket))
            buckets[number] = array("Q")
        self._index = merged
        self._starts = array(
            "I",
            (
                bisect_left(merged, number << (64 - _RANGE_BITS))
                for number in range(1 << _RANGE_BITS)
            ),
        )
        self._starts.append(len(merged))
        self.records += stored
        return stored

    def lookup(self, keys: Sequence[str]) -> tuple[dict[str, list[dict]], list[str]]:
        """Records per key (in the order the Bulk job returned them) and the keys whose
        records were already handed out by an earlier lookup (read those fresh)."""
        found: dict[str, list[dict]] = {}
        used: set[str] = set()
        index = self._index
        starts = self._starts
        shift = _HASH_BITS - _RANGE_BITS
        names = self._columns
        decode = self._decode
        length = _LENGTH.unpack_from
        fd = self._file.fileno()
        pread = _pread
        for key in keys:
            value = _hash(key)
            part = value >> shift
            end = starts[part + 1]
            at = bisect_left(index, value << _HASH_SHIFT, starts[part], end)
            records: list[dict] | None = None
            while at < end:
                entry = index[at]
                if entry >> _HASH_SHIFT != value:
                    break
                offset = entry & _OFFSET_MASK
                data = pread(fd, _WINDOW, offset)
                (size,) = length(data)
                if size + 4 > len(data):
                    data = pread(fd, size + 4, offset)
                cells = decode(memoryview(data)[4 : size + 4])
                if cells.pop() != key:
                    at += 1
                    continue  # another key with the same hash
                if entry & _USED:
                    used.add(key)
                    at += 1
                    continue
                index[at] = entry | _USED  # in place: the order by hash does not change
                at += 1
                record = dict(zip(names, cells, strict=True))
                if records is None:
                    records = found[key] = [record]
                else:
                    records.append(record)
        for key in used:
            found.pop(key, None)
        return found, sorted(used)

    def close(self) -> None:
        """Drop the temporary file and the index."""
        self._file.close()
        self._index = array("Q")


def _cell(text: str, spec: FieldSpec | None) -> Any:
    """A Bulk CSV cell as the REST query would give it: empty → None, booleans as bool
    (other values stay text: change detection normalises them per field type)."""
    if text == "":
        return None
    if spec is not None and spec.type == "boolean":
        return text.lower() == "true"
    return text
