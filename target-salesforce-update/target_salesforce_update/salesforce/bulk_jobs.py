"""The Bulk API 2.0 job lifecycle shared by ingest (:mod:`.bulk2`) and query
(:mod:`.bulk_query`) jobs: create, poll until a final state, abort, read CSV results.

Polling: every poll is an API call, and every second a finished job waits to be seen is a
second of the run. A job is never done the moment it is closed, so the first poll waits the
queueing time (``first_seconds``) plus a share of the expected processing time (1 s per
``records_per_second`` records): a third for write jobs, an eighth for query jobs, whose time
varies most (the estimate is the object's matchable records; the emulator reads 959,027 of them
in 2.1 s, where a third of the estimate waited 6.9 s). After that the job's own progress
decides: when Salesforce reports ``numberRecordsProcessed`` part-way, the next poll comes when
the rest should be done at the rate seen so far (plus 10 % and 0.1 s); with no progress to go
by, each wait is 1.5 times the last. Waits stay between 0.1 and 10 s. A job still running when
the next wait would pass ``bulk_poll_timeout`` is a :class:`BulkJobError` (``error_code``
``TIMEOUT``).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import BulkJobError
from .csv_stream import response_lines
from .transport import Transport

__all__ = ["FINAL_STATES", "BulkJobs", "PollSchedule"]


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


FINAL_STATES = frozenset({"JobComplete", "Failed", "Aborted"})
MAX_POLL_SECONDS = 10.0
MIN_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class PollSchedule:
    """When to poll a job of ``records`` records (see the module docstring)."""

    first_seconds: float
    records_per_second: float
    #: The share of the expected processing time waited before the first poll.
    first_share: float = 1 / 3

    def first_wait(self, records: int) -> float:
        """The wait before the first poll."""
        expected = records / self.records_per_second
        return _bounded(self.first_seconds + expected * self.first_share)

    def next_wait(self, records: int, processed: int, elapsed: float, last_wait: float) -> float:
        """The wait before the next poll, ``elapsed`` seconds after the job was closed, when
        the last poll saw ``processed`` of its ``records`` records done."""
        if 0 < processed < records and elapsed > 0:
            rest = (records - processed) * elapsed / processed
            return _bounded(rest * 1.1 + MIN_POLL_SECONDS)
        return _bounded(last_wait * 1.5)


def _bounded(seconds: float) -> float:
    return min(MAX_POLL_SECONDS, max(MIN_POLL_SECONDS, seconds))


@dataclass(frozen=True)
class BulkJobs:
    """Jobs of one kind (``ingest`` or ``query``) on one transport."""

    transport: Transport
    kind: str
    label: str  # how messages name a job, e.g. "Bulk API 2.0 query job"

    def create(self, body: Mapping[str, Any]) -> str:
        """Create a job; returns its id."""
        job = self.transport.request_json("POST", f"jobs/{self.kind}", json=dict(body))
        return str(job["id"])

    def info(self, job_id: str) -> dict[str, Any]:
        """The job's current information (state, counts, ``errorMessage``)."""
        return self.transport.request_json("GET", f"jobs/{self.kind}/{job_id}")

    def set_state(self, job_id: str, state: str) -> None:
        """``UploadComplete`` closes an ingest job; ``Aborted`` aborts any job."""
        self.transport.request("PATCH", f"jobs/{self.kind}/{job_id}", json={"state": state})

    def abort(self, job_id: str) -> None:
        self.set_state(job_id, "Aborted")

    def wait(
        self, job_id: str, schedule: PollSchedule, records: int, advice: str
    ) -> dict[str, Any]:
        """Poll until the job reaches a final state; returns its information.

        ``advice`` ends the timeout message (what the user can do about a slow job).
        """
        timeout = self.transport.tuning.bulk_poll_timeout
        started = time.monotonic()
        deadline = started + timeout
        delay = schedule.first_wait(records)
        while True:
            time.sleep(delay)
            info = self.info(job_id)
            if info.get("state") in FINAL_STATES:
                return info
            processed = _int(info.get("numberRecordsProcessed"))
            delay = schedule.next_wait(records, processed, time.monotonic() - started, delay)
            if time.monotonic() + delay > deadline:
                raise BulkJobError(
                    f"{self.label} {job_id} still {info.get('state')} after {timeout:g}s: {advice}",
                    error_code="TIMEOUT",
                )

    def csv_rows(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> Iterator[tuple[Any, Iterator[dict[str, str]]]]:
        """One streamed CSV answer of ``jobs/{kind}/{path}``: yields ``(response, rows)`` once;
        the response is closed when the caller moves on."""
        for response, lines in self.csv_lines(path, params):
            yield response, csv.DictReader(lines)

    def csv_tables(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> Iterator[tuple[Any, Iterator[list[str]]]]:
        """Like :meth:`csv_rows`, but rows are lists of cells, the header first (no dict per
        row: the Bulk query snapshot reads millions of them)."""
        for response, lines in self.csv_lines(path, params):
            yield response, csv.reader(lines)

    def csv_lines(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> Iterator[tuple[Any, Iterator[str]]]:
        """The streamed text lines of one CSV answer; the response is closed afterwards."""
        response = self.transport.request(
            "GET",
            f"jobs/{self.kind}/{path}",
            params=params,
            headers={"Accept": "text/csv"},
            stream=True,
        )
        try:
            yield response, response_lines(response)
        finally:
            response.close()

    def result_rows(self, job_id: str, kind: str) -> Iterator[dict[str, str]]:
        """Rows of one result set of an ingest job (``successfulResults/`` …)."""
        for _response, rows in self.csv_rows(f"{job_id}/{kind}"):
            yield from rows
