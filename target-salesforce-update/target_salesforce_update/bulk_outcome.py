"""What follows the answer to a spool's Bulk update job, until every row is reported.

After the job (:meth:`BulkOutcome.settle`): the spool's records holding a literal ``#N/A``
go through Collections (Bulk would clear the field); records failing with a transient error
are sent again, up to ``max_retries`` rounds — a follow-up Bulk job for at least
``bulk_threshold`` of them, else Collections; then one results line per row, flushed. A job
stopped by a fatal error reports its rows as not confirmed (:meth:`BulkOutcome.fail`). The
writer (:mod:`.writer`) and the rolling jobs (:mod:`.rolling_jobs`) call it.
"""

from __future__ import annotations

import logging
import typing as t
from collections.abc import Callable

from .exceptions import SalesforceError
from .key_groups import KeyGroup, report_written, restore
from .salesforce.client import COLLECTION_SIZE, is_retryable

if t.TYPE_CHECKING:
    from .job_journal import JobJournal
    from .preflight import Plan
    from .results import StreamResults
    from .rolling_jobs import Failures
    from .salesforce import SalesforceClient
    from .spool import WriteSpool

__all__ = ["BulkOutcome", "collections_calls"]


def collections_calls(records: int) -> int:
    """The sObject Collections calls that update ``records`` records."""
    return -(-records // COLLECTION_SIZE)


class BulkOutcome:
    """Settles the Bulk jobs of one stream's writer and reports their rows."""

    def __init__(
        self,
        plan: Plan,
        client: SalesforceClient,
        results: StreamResults,
        journal: JobJournal | None,
        logger: logging.Logger,
        report: Callable[[KeyGroup], None],
    ) -> None:
        self.plan = plan
        self.client = client
        self.results = results
        self.journal = journal
        self.logger = logger
        #: Writes one key group's results lines (the writer's :meth:`.StreamWriter.report`).
        self.report = report

    def fail(self, spool: WriteSpool, exc: SalesforceError) -> None:
        """``spool``'s job stopped with a fatal error: its rows are reported as not confirmed."""
        code = exc.error_code or type(exc).__name__
        self.report_all(spool, code, f"not confirmed, the run stopped: {exc}")
        self.results.flush()

    def settle(
        self, spool: WriteSpool, failures: Failures, journal: JobJournal | None = None
    ) -> None:
        """After a spool's Bulk job: its ``#N/A`` records by Collections, transient failures
        sent again, then one results line per row; the spool is empty afterwards.

        ``journal`` is the job's own view of the journal (:meth:`.JobJournal.scope`; default
        the stream's): only the entries of this job and its retries are forgotten."""
        results = self.results
        journal = journal or self.journal
        try:
            try:
                if spool.direct:
                    failures.update(self._send_direct(spool.direct))
            except SalesforceError as exc:
                self.fail(spool, exc)
                raise
            stopped: SalesforceError | None = None
            try:
                self._retry_transient(spool, failures, journal)
            except SalesforceError as exc:
                stopped = exc  # the rows still failing are reported as such, then the run stops
            for spooled in spool.read_groups():
                if not failures:
                    results.records_written += len(spooled.changes)
                    report_written(results, spooled)
                    continue
                group = restore(spooled)
                for record_id in group.changes:
                    errors = failures.get(record_id[:15])
                    if errors is None:
                        results.records_written += 1
                        continue
                    group.failures[record_id] = (
                        ";".join(e.status_code for e in errors) or "UNKNOWN_ERROR",
                        " | ".join(e.message for e in errors) or "no message",
                    )
                self.report(group)
            if stopped is not None:
                raise stopped
        finally:
            spool.clear()
            results.flush()
            if journal is not None:
                journal.forget_reported()
            results.maybe_log_progress()

    def _send_direct(self, payloads: list[dict[str, t.Any]]) -> Failures:
        """Collections for records Bulk cannot carry; the errors of those that failed."""
        self.results.write_calls["collections"] += collections_calls(len(payloads))
        saved = self.client.update_records(self.plan.sobject, payloads)
        return {
            str(payload["Id"])[:15]: result.errors
            for payload, result in zip(payloads, saved, strict=True)
            if not result.success
        }

    def _retry_transient(
        self, spool: WriteSpool, failures: Failures, journal: JobJournal | None
    ) -> None:
        """Send the spooled records whose errors are all transient again, until none is left
        or ``max_retries`` rounds were made; ``failures`` is updated in place.

        A round of at least ``bulk_threshold`` records is one Bulk job (:meth:`.bulk_update`,
        which also routes ``#N/A`` records to Collections); a smaller one is Collections.
        """
        client = self.client
        plan = self.plan
        results = self.results
        for attempt in range(client.max_retries):
            wanted = {key for key, errors in failures.items() if is_retryable(errors)}
            if not wanted:
                return
            delay = client.retry_pause(attempt)
            payloads = [
                {"Id": record_id, **changes}
                for spooled in spool.read_groups()
                for record_id, changes in spooled.changes.items()
                if record_id[:15] in wanted
            ]
            if len(payloads) >= plan.integration.bulk_threshold:
                results.write_calls["bulk"] += 1
                saved = client.bulk_update(plan.sobject, payloads, journal=journal)
            else:
                results.write_calls["collections"] += collections_calls(len(payloads))
                saved = client.update_records(plan.sobject, payloads)
            for payload, result in zip(payloads, saved, strict=True):
                key = str(payload["Id"])[:15]
                if result.success:
                    failures.pop(key, None)
                else:
                    failures[key] = result.errors
            self.logger.info(
                "Retry %d/%d after %.1fs: sent %d record(s) that failed with a transient "
                "error again; %d still fail that way",
                attempt + 1,
                client.max_retries,
                delay,
                len(payloads),
                sum(1 for errors in failures.values() if is_retryable(errors)),
            )

    def report_all(self, spool: WriteSpool | None, code: str, message: str) -> None:
        """Report every row of ``spool`` as failed with ``code``/``message`` (nothing
        confirmed); the spool is empty afterwards."""
        if spool is None:
            return
        for spooled in spool.read_groups():
            group = restore(spooled)
            group.failures = dict.fromkeys(group.changes, (code, message))
            self.report(group)
        spool.clear()
