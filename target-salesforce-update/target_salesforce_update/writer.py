"""The writer: every decision about how a stream's changes reach Salesforce, in one place.

- ``write_method: collections`` (or a dry run): no spool; each batch's changes are written by
  sObject Collections as the batch is processed (:meth:`StreamWriter.submit`), in slices of
  about :data:`WRITE_SLICE` records that never split a key group.
- ``auto`` / ``bulk``: changes wait in a :class:`.spool.WriteSpool` on disk and are written
  together (:meth:`StreamWriter.write_spool`) — one Bulk API 2.0 job, or Collections calls when
  fewer than ``bulk_threshold`` are waiting and the method is ``auto`` — when the spool nears the
  Bulk upload limit, before a STATE, at the end of the stream, and before a batch holding a key
  whose change is still waiting.
- After a Bulk job (:mod:`.bulk_outcome`), records holding a literal ``#N/A`` go through
  Collections (Bulk would clear the field); records failing with a transient error are sent
  again, up to ``max_retries`` rounds — a follow-up Bulk job for at least ``bulk_threshold``
  of them, else Collections.
- Once the spool holds ``bulk_job_records`` changes, its Bulk job runs in the background while
  the stream goes on (:mod:`.rolling_jobs`: one job in flight; its rows are reported once the
  next job has started, or before a write, a batch holding one of its keys, or a STATE).

Each write is journaled while in flight (:mod:`.job_journal`) and its rows are reported
(:func:`.key_groups.report`) and flushed once it is answered — a rolling job's right after the
next job has started.
"""

from __future__ import annotations

import contextlib
import logging
import typing as t
from collections.abc import Sequence

from .bulk_outcome import BulkOutcome, collections_calls
from .exceptions import SalesforceError
from .key_groups import KeyGroup, report, restore
from .rolling_jobs import RollingJobs
from .spool import WriteSpool

if t.TYPE_CHECKING:
    from .job_journal import JobJournal
    from .preflight import Plan
    from .results import StreamResults
    from .salesforce import SalesforceClient, SaveResult

__all__ = ["WRITE_SLICE", "StreamWriter"]

#: Records per update_records call: a few Collections calls in parallel, so a run that stops
#: mid-batch knows the outcome of everything sent before the failing slice.
WRITE_SLICE = 800


class StreamWriter:
    """Writes (and reports) the changes of one stream's sink."""

    def __init__(
        self,
        plan: Plan,
        client: SalesforceClient,
        results: StreamResults,
        journal: JobJournal | None,
        logger: logging.Logger,
    ) -> None:
        self.plan = plan
        self.client = client
        self.results = results
        self.journal = journal
        self.logger = logger
        integration = plan.integration
        self.spool: WriteSpool | None = None
        if not integration.dry_run and integration.write_method != "collections":
            self.spool = WriteSpool([spec.name for spec in plan.fields.values()])
        #: What follows a Bulk job's answer (:mod:`.bulk_outcome`).
        self._outcome = BulkOutcome(plan, client, results, journal, logger, self.report)
        #: The rolling Bulk job in flight, if any (:mod:`.rolling_jobs`).
        self._rolling = RollingJobs(
            client,
            plan.sobject,
            journal,
            logger,
            integration.stream,
            answered=self._outcome.settle,
            failed=self._outcome.fail,
        )

    @property
    def waiting(self) -> bool:
        """Whether changes wait in the spool or in a rolling Bulk job not reported yet."""
        return self._rolling.in_flight or (self.spool is not None and bool(self.spool.groups))

    def report(self, group: KeyGroup, *, stopped: bool = False) -> None:
        report(self.results, group, self.plan.integration.multiple_matches, stopped=stopped)

    def write_waiting_for(self, keys: t.Iterable[str]) -> None:
        """Write the spool first when it holds a change for one of ``keys``, so the batch
        carrying them is compared with (and applied after) that change."""
        keys = list(keys)
        if self._rolling.holds_any(keys):
            self._rolling.finish()
        if self.spool is not None and self.spool.holds_any(keys):
            self.write_spool()

    def submit(self, groups: Sequence[KeyGroup]) -> None:
        """A processed batch's key groups: written now (no spool) or spooled; groups with
        nothing to write are reported at once."""
        spool = self.spool
        if spool is None:
            try:
                self._write_collections(groups)
            finally:
                for group in groups:
                    self.report(group)
            return
        # A rolling job answered meanwhile is reported once the next job has started (in
        # `_roll` or `write_spool`), not here: its rows would hold up that job's start.
        limit = self.client.bulk_max_upload_bytes * 0.9
        integration = self.plan.integration
        roll_at = integration.bulk_job_records
        if integration.write_method != "bulk":
            roll_at = max(roll_at, integration.bulk_threshold)
        for group in groups:
            if not group.changes:
                self.report(group)
                continue
            rows = [(row.position, row.raw_key) for row in group.rows]
            spool.add(group.key, rows, [str(r["Id"]) for r in group.records], group.changes)
            group.reported = True  # the spool reports these rows once Salesforce answers
            if spool.csv_bytes >= limit:
                self.write_spool()
            elif spool.csv_records >= roll_at:
                self._roll()
                spool = self.spool

    def _write_collections(self, groups: Sequence[KeyGroup]) -> None:
        """Send every change by Collections; a fatal error marks the unconfirmed records failed
        and re-raises.

        Slices of about ``WRITE_SLICE`` records never split a key group; each slice is in the
        journal while it is in flight, and its rows are reported and flushed as soon as it is
        answered, so a run killed mid-batch leaves a results line (or a journal entry the next
        run reconciles) for every record it wrote.
        """
        plan = self.plan
        integration = plan.integration
        if integration.dry_run or not any(group.changes for group in groups):
            return
        slices: list[list[KeyGroup]] = [[]]
        size = 0
        for group in groups:
            if size and size + len(group.changes) > WRITE_SLICE:
                slices.append([])
                size = 0
            slices[-1].append(group)
            size += len(group.changes)
        results = self.results
        journal = self.journal
        for number, slice_groups in enumerate(slices):
            payloads: list[dict[str, t.Any]] = []
            owners: list[KeyGroup] = []
            for group in slice_groups:
                for record_id, changes in group.changes.items():
                    payloads.append({"Id": record_id, **changes})
                    owners.append(group)
            if not payloads:
                continue
            entry = None
            try:
                if journal is not None:
                    entry = journal.slice_started([p["Id"] for p in payloads])
                results.write_calls["collections"] += collections_calls(len(payloads))
                saved = self.client.update_records(plan.sobject, payloads)
            except SalesforceError as exc:
                code = exc.error_code or type(exc).__name__
                message = f"not confirmed, the run stopped: {exc}"
                for later in slices[number:]:
                    for owner in later:
                        for record_id in owner.changes:
                            owner.failures[record_id] = (code, message)
                raise
            self._apply_results(payloads, owners, saved)
            for group in slice_groups:
                self.report(group)
            results.flush()
            if journal is not None:
                if entry is not None:
                    journal.remove(entry)
                journal.forget_reported()
            results.maybe_log_progress()

    def _apply_results(
        self, chunk: list[dict], owners: list[KeyGroup], saved: Sequence[SaveResult]
    ) -> None:
        for payload, owner, result in zip(chunk, owners, saved, strict=True):
            if result.success:
                self.results.records_written += 1
                continue
            codes = ";".join(e.status_code for e in result.errors) or "UNKNOWN_ERROR"
            messages = " | ".join(e.message for e in result.errors) or "no message"
            owner.failures[payload["Id"]] = (codes, messages)

    def write_spool(self) -> None:
        """Write what the spool holds — one Bulk job, or Collections calls below
        ``bulk_threshold`` — and report its rows; the spool is empty afterwards. A rolling
        job still in flight is waited for (and its rows reported) first."""
        spool = self.spool
        plan = self.plan
        results = self.results
        if spool is None or not spool.groups:
            self._rolling.finish()
            return
        integration = plan.integration
        count = len(spool)
        use_bulk = integration.write_method == "bulk" or count >= integration.bulk_threshold
        if use_bulk and spool.csv_records:
            self._roll(last=True)  # the previous job's rows are reported while this one runs
            self._rolling.finish()
            return
        self._rolling.finish()
        if use_bulk:  # every record holds a literal #N/A: Collections only
            self._outcome.settle(spool, {})
            return
        journal = self.journal
        try:
            groups = [restore(spooled) for spooled in spool.read_groups()]
            try:
                self._write_collections(groups)
            finally:
                for group in groups:
                    self.report(group)
        finally:
            spool.clear()
            results.flush()
            if journal is not None:
                journal.forget_reported()
            results.maybe_log_progress()

    def _roll(self, *, last: bool = False) -> None:
        """The spool's Bulk job runs in the background (once the previous rolling job, if any,
        is answered — its rows are reported while the new job runs) and a new spool takes the
        stream's next changes. Called when the spool holds ``bulk_job_records`` changes, and
        (``last``) by :meth:`write_spool`, which then waits for the job."""
        previous = self._rolling.wait()
        spool = self.spool
        assert spool is not None
        self.results.write_calls["bulk"] += 1
        self._rolling.start(spool, last=last)
        self.spool = WriteSpool(spool.columns[1:])
        self._rolling.report(previous)  # its rows are written while the new job runs

    def abandon(self, reason: str) -> None:
        """The run stops: a rolling job in flight is waited for and reported; rows still
        waiting in the spool are reported as not written."""
        with contextlib.suppress(SalesforceError):
            self._rolling.finish()  # a failure reports its rows as not confirmed
        if self.spool is not None and self.spool.groups:
            self._outcome.report_all(
                self.spool, "NOT_WRITTEN", f"not written, the run stopped: {reason}"
            )
