"""Batches waiting while the stream's Bulk query snapshot is read in the background.

Once ``auto`` (or ``bulk_query``) decides to read the object with a Bulk query job, the job
takes seconds to minutes. Instead of stopping the input for that long, the sink goes on
reading: the batch that started the read is held (its key groups, in memory: one batch), and
each batch after it is kept as it came, its records pickled to a temporary file. When the
snapshot is ready the sink matches the held batch, then coerces, groups, matches and writes the
kept ones in arrival order, before the batch that just arrived: every outcome, and the order of
the results lines, is what it would have been without the wait.

Raw records, not key groups, are kept because they pickle about four times faster (37 vs
143 ms per 10,000 rows, measured). At most :data:`MAX_ROWS` rows are kept; past that the sink
waits for the snapshot, so a long read does not leave all the work (and the rolling write jobs)
for the end of the input.

If the run stops first, every row still waiting is reported as ``failed`` with
``NOT_WRITTEN`` and the reason (:meth:`BatchBacklog.report_not_written`): nothing the target
received goes unreported.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .key_groups import KeyGroup
    from .results import StreamResults

__all__ = ["MAX_ROWS", "BatchBacklog", "report_not_written"]

#: Rows kept at most while the snapshot is read (≈ 145 MB of temporary file for the
#: benchmark's 10-column rows). At 1M rows the 1M-record snapshot takes ≈ 13 s to read, during
#: which the input brings ≈ 410,000 rows: with 100,000 the input stopped for ≈ 10 s (1M wall
#: 85.0 s), with 400,000 it hardly stops (71.7 s; benchmarks/RESULTS.md, Run H).
MAX_ROWS = 400_000


def _not_written(reason: str) -> dict[str, str]:
    return {
        "error_code": "NOT_WRITTEN",
        "error_message": f"not written, the run stopped: {reason}",
    }


def report_not_written(results: StreamResults, groups: Iterable[KeyGroup], reason: str) -> int:
    """The run stopped: one ``failed`` line (``NOT_WRITTEN``) per row of every group not yet
    reported, nor handed to the write spool (which reports its own); returns the count."""
    reported = 0
    for group in groups:
        if group.reported:
            continue
        group.reported = True
        for row in group.rows:
            results.add("failed", row=row.position, key=row.raw_key, **_not_written(reason))
            reported += 1
    return reported


class BatchBacklog:
    """The held batch's key groups, and later batches' records in a temporary file."""

    def __init__(self, directory: str | None = None) -> None:
        self._directory = directory
        self.held: dict[str, KeyGroup] | None = None
        self._file: IO[bytes] | None = None
        self._read_at = 0  # where the oldest batch not yet handed out starts
        self.batches = 0
        self.rows = 0

    def __len__(self) -> int:
        """Batches waiting (the held one included)."""
        return self.batches + (self.held is not None)

    @property
    def full(self) -> bool:
        """Whether :data:`MAX_ROWS` rows are kept already."""
        return self.rows >= MAX_ROWS

    def hold(self, groups: dict[str, KeyGroup]) -> None:
        """Hold the key groups of the batch that started the snapshot read."""
        self.held = groups

    def take_held(self) -> dict[str, KeyGroup] | None:
        held, self.held = self.held, None
        return held

    def keep(self, records: Sequence[dict[str, Any]]) -> None:
        """Keep one later batch's records, as received."""
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self._directory, prefix="backlog-")  # noqa: SIM115
        self._file.seek(0, 2)
        pickle.dump(list(records), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.batches += 1
        self.rows += len(records)

    def drain(self) -> Iterator[list[dict[str, Any]]]:
        """Every kept batch's records, oldest first; each is forgotten as it is handed out,
        and the file is dropped after the last one."""
        handle = self._file
        if handle is None:
            return
        try:
            while self.batches:
                handle.seek(self._read_at)
                records: list[dict[str, Any]] = pickle.load(handle)  # noqa: S301 - our own file
                self._read_at = handle.tell()
                self.batches -= 1
                self.rows -= len(records)
                yield records
        finally:
            if not self.batches:
                self.close()

    def report_not_written(self, results: StreamResults, reason: str, key_property: str) -> int:
        """The run stopped: one ``failed`` line per row still waiting here (the held batch's
        and the kept ones', which get their row numbers now); returns the count."""
        held = self.take_held()
        reported = report_not_written(results, held.values(), reason) if held else 0
        for records in self.drain():
            first = results.reserve_positions(len(records))
            for offset, record in enumerate(records):
                results.add(
                    "failed",
                    row=first + offset,
                    key=record.get(key_property),
                    **_not_written(reason),
                )
            reported += len(records)
        return reported

    def close(self) -> None:
        """Drop the file (and whatever it still holds)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.held = None
        self.batches = self.rows = self._read_at = 0
