"""Rolling Bulk update jobs: a full write spool's job runs in the background while the stream
goes on.

:class:`RollingJobs` keeps at most one job in flight, in one background thread (the thread
carries the caller's per-stream call meter, :func:`.call_meter.carry_meter`). The writer
(:mod:`.writer`) decides when a spool is full and starts its job here; it calls
:meth:`RollingJobs.finish` before anything that must follow the job — another job, a write of
the spool, a batch holding one of the job's keys, a STATE — and ``finish`` hands the answered
job back to the writer's callbacks, which report its rows. To start the next job without first
writing those rows, the writer calls :meth:`RollingJobs.wait`, starts the next job, then
:meth:`RollingJobs.report`: Salesforce still has one job of the stream at a time. Each job gets
its own view of the journal (:meth:`.JobJournal.scope`), so reporting one job forgets only its
entries while the next one runs.
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

__all__ = ["AnsweredJob", "Failures", "RollingJobs"]

#: A Bulk job's failed records: their 15-character Ids → the errors Salesforce gave.
Failures = dict[str, tuple["RecordError", ...]]


class AnsweredJob(t.NamedTuple):
    """A rolling job Salesforce answered, not reported yet (:meth:`RollingJobs.wait`)."""

    spool: WriteSpool
    failures: Failures
    #: The job's own view of the journal (:meth:`.JobJournal.scope`), or None.
    journal: JobJournal | None


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
        answered: Callable[[WriteSpool, Failures, JobJournal | None], None],
        failed: Callable[[WriteSpool, SalesforceError], None],
    ) -> None:
        self.client = client
        self.sobject = sobject
        self.journal = journal
        self.logger = logger
        self.stream = stream
        #: Called by :meth:`report` with an answered job's spool, failures and journal view.
        self._answered = answered
        #: Called by :meth:`finish` when the job stopped with a fatal error (then re-raised).
        self._failed = failed
        #: The job in flight: its spool, the future of its failures and its journal view.
        self._in_flight: tuple[WriteSpool, Future[Failures], JobJournal | None] | None = None
        self._thread: ThreadPoolExecutor | None = None

    @property
    def in_flight(self) -> bool:
        """Whether a job was started and not finished yet."""
        return self._in_flight is not None

    def holds_any(self, keys: t.Iterable[str]) -> bool:
        """Whether the job in flight carries a change for one of ``keys``."""
        return self._in_flight is not None and self._in_flight[0].holds_any(keys)

    def start(self, spool: WriteSpool, *, last: bool = False) -> None:
        """Run ``spool``'s Bulk job in the background; the caller waited for the previous one
        (``last``: the stream's input has ended, only the log line differs)."""
        assert self._in_flight is None, "one rolling Bulk job at a time"
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="sf-bulk-job")
        client = self.client
        sobject = self.sobject
        journal = self.journal.scope() if self.journal is not None else None

        def run() -> Failures:
            return client.bulk_update_file(
                sobject, spool.csv_file(), spool.csv_records, journal=journal
            )

        self.logger.info(
            "Stream %s → %s: Bulk update job of %d record(s) %s",
            self.stream,
            sobject,
            spool.csv_records,
            "started, the last of the stream"
            if last
            else "runs in the background while the stream goes on",
        )
        self._in_flight = (spool, self._thread.submit(carry_meter(run)), journal)

    def wait(self) -> AnsweredJob | None:
        """Wait for the job in flight, if any, and return it, not reported yet (hand it to
        :meth:`report`); after a fatal error hand its spool to ``failed`` and re-raise.
        Afterwards no job is in flight."""
        if self._in_flight is None:
            return None
        spool, future, journal = self._in_flight
        self._in_flight = None
        try:
            failures = future.result()
        except SalesforceError as exc:
            self._failed(spool, exc)
            raise
        return AnsweredJob(spool, failures, journal)

    def report(self, answered: AnsweredJob | None) -> None:
        """Hand a job returned by :meth:`wait` to ``answered``, which reports its rows."""
        if answered is not None:
            self._answered(*answered)

    def finish(self) -> None:
        """Wait for the job in flight, if any, and report it (see :meth:`wait`)."""
        self.report(self.wait())
