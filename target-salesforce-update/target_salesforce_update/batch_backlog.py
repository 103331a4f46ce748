"""Batches waiting on disk while the stream's Bulk query snapshot is read in the background.

Once ``auto`` (or ``bulk_query``) decides to read the object with a Bulk query job, the job
takes seconds to minutes. Instead of stopping the input for that long, the sink goes on
reading: each batch is coerced and grouped by key as usual (rejected rows are reported at
once), and its key groups are pickled here, one pickle per batch, in arrival order. When the
snapshot is ready the sink matches, diffs and writes them in that same order, before the
batch that just arrived, so every outcome is exactly what it would have been without the wait.
Memory stays at one batch.

If the run stops first, every row still here is reported as ``failed`` with ``NOT_WRITTEN``
and the reason (:meth:`BatchBacklog.report_not_written`): nothing the target received goes
unreported.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .key_groups import KeyGroup
    from .results import StreamResults

__all__ = ["BatchBacklog", "report_not_written"]


def report_not_written(results: StreamResults, groups: Iterable[KeyGroup], reason: str) -> int:
    """The run stopped: one ``failed`` line (``NOT_WRITTEN``) per row of every group not yet
    reported, nor handed to the write spool (which reports its own); returns the count."""
    reported = 0
    for group in groups:
        if group.reported:
            continue
        group.reported = True
        for row in group.rows:
            results.add(
                "failed",
                row=row.position,
                key=row.raw_key,
                error_code="NOT_WRITTEN",
                error_message=f"not written, the run stopped: {reason}",
            )
            reported += 1
    return reported


class BatchBacklog:
    """Key groups of whole batches, pickled to a temporary file until they can be matched."""

    def __init__(self, directory: str | None = None) -> None:
        self._directory = directory
        self._file: IO[bytes] | None = None
        self._read_at = 0  # where the oldest batch not yet handed out starts
        self.batches = 0
        self.rows = 0

    def __len__(self) -> int:
        return self.batches

    def add(self, groups: dict[str, KeyGroup]) -> None:
        """Keep one batch's key groups (in the order the batch was received)."""
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self._directory, prefix="backlog-")  # noqa: SIM115
        self._file.seek(0, 2)
        pickle.dump(groups, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.batches += 1
        self.rows += sum(len(group.rows) for group in groups.values())

    def drain(self) -> Iterator[dict[str, KeyGroup]]:
        """Every kept batch, oldest first; each is forgotten as it is handed out, and the
        file is dropped after the last one."""
        handle = self._file
        if handle is None:
            return
        try:
            while self.batches:
                handle.seek(self._read_at)
                groups: dict[str, KeyGroup] = pickle.load(handle)  # noqa: S301 - our own file
                self._read_at = handle.tell()
                self.batches -= 1
                self.rows -= sum(len(group.rows) for group in groups.values())
                yield groups
        finally:
            if not self.batches:
                self.close()

    def report_not_written(self, results: StreamResults, reason: str) -> int:
        """The run stopped: one ``failed`` line per row still waiting here; returns the count."""
        return sum(report_not_written(results, groups.values(), reason) for groups in self.drain())

    def close(self) -> None:
        """Drop the file (and whatever it still holds)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.batches = self.rows = self._read_at = 0
