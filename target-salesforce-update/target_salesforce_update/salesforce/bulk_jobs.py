"""The Bulk API 2.0 job lifecycle shared by ingest (:mod:`.bulk2`) and query
(:mod:`.bulk_query`) jobs: create, poll until a final state, abort, read CSV results.

Polling: a job is never done the moment it is closed, so the first poll waits; that wait
grows with the job (``first_seconds`` + 1 s per ``records_per_second`` records, at most 10 s)
and each next one is 1.5 times longer (at most 10 s): a 70,000-record ingest job is seen done
after ~4 polls instead of ~10. A job still running when the next wait would pass
``bulk_poll_timeout`` is a :class:`BulkJobError` (``error_code`` ``TIMEOUT``).
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

FINAL_STATES = frozenset({"JobComplete", "Failed", "Aborted"})
MAX_POLL_SECONDS = 10.0


@dataclass(frozen=True)
class PollSchedule:
    """How long to wait before each poll of a job of ``records`` records."""

    first_seconds: float
    records_per_second: float

    def waits(self, records: int) -> Iterator[float]:
        """The waits before poll 1, 2, …: the first grows with the job, then 1.5 times more."""
        delay = min(MAX_POLL_SECONDS, self.first_seconds + records / self.records_per_second)
        while True:
            yield delay
            delay = min(MAX_POLL_SECONDS, delay * 1.5)


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
        deadline = time.monotonic() + timeout
        waits = schedule.waits(records)
        delay = next(waits)
        while True:
            time.sleep(delay)
            info = self.info(job_id)
            if info.get("state") in FINAL_STATES:
                return info
            delay = next(waits)
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
