"""Rolling Bulk update jobs: a full write spool's job runs in the background while the stream
goes on.

:class:`RollingJobs` keeps at most one job in flight, in one background thread (the thread
carries the caller's per-stream call meter, :func:`.call_meter.carry_meter`). The writer
(:mod:`.writer`) decides when a spool is full and starts its job here; it calls
:meth:`RollingJobs.finish` before anything that must follow the job — another job, a write of
the spool, a batch holding one of the job's keys, a STATE — and ``finish`` hands the answered
job back to the writer's callbacks, which report its rows.
"""

from __future__ import annotations

import logging
import typing as t
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from .call_meter import carry_meter
from .exceptions import SalesforceError

if t.TYPE_CHECKING:
    from .job_journal import JobJournal
    from .salesforce import SalesforceClient
    from .salesforce.client import RecordError
    from .spool import WriteSpool

__all__ = ["Failures", "RollingJobs"]

#: A Bulk job's failed records: their 15-character Ids → the errors Salesforce gave.
Failures = dict[str, tuple["RecordError", ...]]


class RollingJobs:
    """The one rolling Bulk update job of a stream's writer, if any, and its thread."""

    def __init__(
        self,
        client: SalesforceClient,
        sobject: str,
        journal: JobJournal | None,
        logger: logging.Logger,
        stream: str,
        *,
        answered: Callable[[WriteSpool, Failures], None],
        failed: Callable[[WriteSpool, SalesforceError], None],
    ) -> None:
        self.client = client
        self.sobject = sobject
        self.journal = journal
        self.logger = logger
        self.stream = stream
        #: Called by :meth:`finish` with the spool of an answered job and its failures.
        self._answered = answered
        #: Called by :meth:`finish` when the job stopped with a fatal error (then re-raised).
        self._failed = failed
        #: The job in flight: its spool and the future of its failures.
        self._in_flight: tuple[WriteSpool, Future[Failures]] | None = None
        self._thread: ThreadPoolExecutor | None = None

    @property
    def in_flight(self) -> bool:
        """Whether a job was started and not finished yet."""
        return self._in_flight is not None

    def holds_any(self, keys: t.Iterable[str]) -> bool:
        """Whether the job in flight carries a change for one of ``keys``."""
        return self._in_flight is not None and self._in_flight[0].holds_any(keys)

    def answered(self) -> bool:
        """Whether the job in flight was answered and waits to be reported."""
        return self._in_flight is not None and self._in_flight[1].done()

    def start(self, spool: WriteSpool) -> None:
        """Run ``spool``'s Bulk job in the background; the caller finished the previous one."""
        assert self._in_flight is None, "one rolling Bulk job at a time"
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="sf-bulk-job")
        client = self.client
        sobject = self.sobject
        journal = self.journal

        def run() -> Failures:
            return client.bulk_update_file(
                sobject, spool.csv_file(), spool.csv_records, journal=journal
            )

        self.logger.info(
            "Stream %s → %s: Bulk update job of %d record(s) runs in the background while "
            "the stream goes on",
            self.stream,
            sobject,
            spool.csv_records,
        )
        self._in_flight = (spool, self._thread.submit(carry_meter(run)))

    def finish(self) -> None:
        """Wait for the job in flight, if any, and hand it to ``answered`` (or, after a fatal
        error, to ``failed``, then re-raise)."""
        if self._in_flight is None:
            return
        spool, future = self._in_flight
        self._in_flight = None
        try:
            failures = future.result()
        except SalesforceError as exc:
            self._failed(spool, exc)
            raise
        self._answered(spool, failures)
