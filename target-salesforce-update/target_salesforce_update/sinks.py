"""The batch sink: match a batch of rows to existing records, diff, and update what changed.

Per batch: coerce rows and group them by key (:mod:`.key_groups`; rejects go to failed.csv)
→ find each key's records (:class:`.record_lookup.RecordLookup`: SOQL ``IN`` queries of a few
hundred keys each, up to ``max_concurrency`` at once, or the stream's Bulk query snapshot, as
:mod:`.match_strategy` chooses) → keep only records whose values really change
(:func:`.key_groups.diff_groups`) → write them (:mod:`.writer`: Collections now, or the write
spool for one Bulk job) → one results line per row.

Batches are processed in a worker thread, one at a time, while the target reads the next one
(:meth:`SalesforceUpdateSink.process_batch`); the target waits for it, and has the spool
written (:meth:`SalesforceUpdateSink.settle`), before any STATE.

The sink gets everything it works with from the target when it is built
(:meth:`SalesforceUpdateSink.start`, a :class:`.sink_context.StreamContext`) and never calls
back into the target; every API call it causes is counted on the context's call meter.

A fatal client error (daily limit, our API-usage ceiling, authentication, retries exhausted)
records what is known, writes the summary with ``status=failed`` and raises: the SDK then exits
non-zero without printing the STATE that followed the unwritten rows.
"""

from __future__ import annotations

import typing as t
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from .batch_backlog import BatchBacklog, report_not_written
from .call_meter import carry_meter, metering
from .exceptions import SalesforceError, TargetSalesforceUpdateError
from .job_journal import JobJournal, abort_running_jobs_on_signal
from .key_groups import KeyGroup, diff_groups, group_rows
from .match_strategy import Matcher
from .preflight import Plan, check_integration
from .reconcile import reconcile_journal
from .record_lookup import RecordLookup
from .settings import default
from .sink_base import SalesforceSinkBase
from .writer import StreamWriter

if t.TYPE_CHECKING:
    from .sink_context import StreamContext

__all__ = ["SalesforceUpdateSink", "TargetRunError"]


class TargetRunError(TargetSalesforceUpdateError):
    """The run must stop: the message says why; results and summary are already written."""


class SalesforceUpdateSink(SalesforceSinkBase):
    """Updates the existing records of one stream's integration, batch by batch."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.context: StreamContext | None = None
        self.plan: Plan | None = None
        #: Set by the target when a newer sink of this stream (its schema changed) took over:
        #: the newest sink ends the stream.
        self.superseded = False
        self._writer: StreamWriter | None = None
        self._worker: ThreadPoolExecutor | None = None
        self._in_flight: Future[None] | None = None
        self._lookup: RecordLookup | None = None
        self._backlog = BatchBacklog()
        #: The key groups of the batch being matched and written (reported NOT_WRITTEN if
        #: the run stops before they are reported or spooled).
        self._unfinished: t.Iterable[KeyGroup] = ()
        super().__init__(*args, **kwargs)

    @property
    def results(self) -> t.Any:
        """The stream's results collector (None before :meth:`start`)."""
        return self.context.results if self.context is not None else None

    # ------------------------------------------------------------------ start

    def start(self, context: StreamContext) -> None:
        """Run preflight and settle an earlier run's unfinished writes before any record is
        written; the target calls this once, right after building the sink."""
        self.context = context
        integration = context.integration
        results = context.results
        with metering(context.meter):
            try:
                describe = context.connection.describe(integration.sobject)
                self.plan = check_integration(integration, describe, self.schema)
            except Exception as exc:
                context.count_calls()
                results.finish("failed", error=str(exc))
                raise
            context.count_calls()
            journal = None
            if not integration.dry_run:
                journal = self._settle_earlier_writes(integration.results_dir)
        self._writer = StreamWriter(self.plan, context.client, results, journal, self.logger)
        matcher = Matcher(
            self.plan,
            context.client,
            page_records=int(
                self.config.get("bulk_query_page_size") or default("bulk_query_page_size")
            ),
            logger=self.logger,
        )
        self._lookup = RecordLookup(self.plan, context.client, results, matcher)
        for warning in self.plan.warnings:
            self.logger.warning("%s", warning)
        self.logger.info(
            "Stream %s → %s: match %s = %s; %d mapped field(s); multiple_matches=%s; "
            "null_values=%s; write_method=%s; match_strategy=%s%s",
            self.stream_name,
            self.plan.sobject,
            integration.match_property,
            self.plan.match.name,
            len(self.plan.fields),
            integration.multiple_matches,
            integration.null_values,
            integration.write_method,
            integration.match_strategy,
            "; DRY RUN (nothing is written)" if integration.dry_run else "",
        )

    def _settle_earlier_writes(self, results_dir: str) -> JobJournal:
        """Before this run writes: abort or wait for the Bulk jobs an earlier run of this
        integration left unfinished, and report what they and its in-flight Collections
        slices really did (``reconciled.csv``); see :mod:`.reconcile`. From here on, this
        run's own writes are journaled, and SIGTERM/SIGINT abort its running jobs."""
        context = self.context
        assert context is not None
        assert self.plan is not None
        results = context.results
        journal = JobJournal.for_integration(
            results_dir, self.stream_name, self.plan.sobject, run_id=results.run_id
        )
        try:
            counts = reconcile_journal(context.client, journal, results.folder, self.logger)
        except SalesforceError as exc:
            context.count_calls()
            message = (
                "could not settle the unfinished writes of an earlier run (nothing was "
                f"written; run again): {exc}"
            )
            results.finish("failed", error=message)
            raise TargetRunError(message) from exc
        context.count_calls()
        for outcome, count in counts.items():
            results.reconciled[outcome] = results.reconciled.get(outcome, 0) + count
        abort_running_jobs_on_signal()
        return journal

    # ------------------------------------------------------------------ SDK hooks

    def process_batch(self, context: dict) -> None:
        """Hand the batch to the sink's worker thread and return, so the target reads the next
        batch while this one talks to Salesforce.

        At most one batch is in flight: this waits for the previous one first (and re-raises
        its failure). The target waits for it, and writes the spool, before any STATE.
        """
        records = context.get("records") or []
        if not records or self.plan is None or self.context is None:
            return
        self.wait()
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix=f"sf-batch-{self.stream_name}")
        with metering(self.context.meter):
            self._in_flight = self._worker.submit(carry_meter(self._process_batch), records)

    def wait(self) -> None:
        """Wait for the batch in flight, if any; re-raise what stopped it."""
        future, self._in_flight = self._in_flight, None
        if future is not None:
            future.result()

    def _process_batch(self, records: Sequence[dict]) -> None:
        """Match, diff and update one batch (in the worker thread); see the module docstring."""
        self._guarded(self._process, records)
        assert self.context is not None
        self.context.results.flush()
        self.context.results.maybe_log_progress()

    def _guarded(self, work: t.Callable[..., None], *args: t.Any) -> None:
        """Run ``work``, then count its calls; a fatal error ends the stream (see the module
        docstring) and is raised."""
        context = self.context
        assert context is not None
        try:
            work(*args)
        except SalesforceError as exc:
            context.count_calls()
            self._fail(exc.run_stopped_message())
        except TargetRunError as exc:
            context.count_calls()
            self._fail(str(exc))
        except Exception as exc:
            context.count_calls()
            self._stop_unexpectedly(exc)
            raise
        context.count_calls()

    def settle(self) -> None:
        """Match the batches kept while the Bulk snapshot was read and write every change
        still waiting in the spool; the target calls this before it prints a STATE, so no
        STATE ever follows a row that is not written yet.

        Raises:
            TargetRunError: a fatal Salesforce error; results and summary are written.
        """
        self.wait()
        context = self.context
        writer = self._writer
        if context is None or writer is None or context.results.finished:
            return
        if not (self._backlog or writer.waiting):
            return
        with metering(context.meter):
            self._guarded(self._write_everything)
        context.results.flush()

    def _write_everything(self) -> None:
        assert self._writer is not None
        self._drain_backlog()
        if self._writer.waiting:
            self._writer.write_spool()

    def clean_up(self) -> None:
        """At end of stream: write the summary with the status the rows earned."""
        try:
            self.wait()
            results = self.results
            if results is None or results.finished:
                return
            self.settle()
            if self.superseded:
                return  # an older sink of a stream whose schema changed; the newest one ends it
            # The status follows the rows (completed, completed_with_rejections or
            # completed_with_failures); the target exits non-zero afterwards when fail_on says
            # so, once every stream's summary is written and the allowed STATE printed.
            results.finish()
        finally:
            if self._worker is not None:
                self._worker.shutdown(cancel_futures=True)
            if self._lookup is not None:
                self._lookup.close()
            self._backlog.close()
            super().clean_up()

    # ------------------------------------------------------------------ the batch

    @property
    def _key_property(self) -> str:
        return self.plan.integration.match_property if self.plan is not None else ""

    def _fail(self, message: str) -> t.NoReturn:
        results = self.results
        if self._writer is not None:
            self._writer.abandon(message)
        report_not_written(results, self._unfinished, message)
        self._backlog.report_not_written(results, message, self._key_property)
        results.flush()
        results.finish("failed", error=message)
        raise TargetRunError(message)

    def _stop_unexpectedly(self, exc: Exception) -> None:
        results = self.results
        if self._writer is not None:
            self._writer.abandon(f"{type(exc).__name__}: {exc}")
        reason = f"{type(exc).__name__}: {exc}"
        report_not_written(results, self._unfinished, reason)
        self._backlog.report_not_written(results, reason, self._key_property)
        results.flush()
        results.finish("failed", error=f"{type(exc).__name__}: {exc}")

    def _process(self, records: Sequence[dict]) -> None:
        plan = self.plan
        assert plan is not None
        lookup = self._lookup
        if lookup is not None and lookup.loading and not self._backlog.full:
            self._backlog.keep(records)  # matched once the Bulk snapshot is read
            return
        self._drain_backlog()
        groups = group_rows(records, plan, self.results)
        if not groups:
            return
        # Under multiple_matches=fail the run stops at the first batch with an ambiguous key;
        # it waits for the snapshot instead, so no row past that batch is read in the meantime.
        may_defer = plan.integration.multiple_matches != "fail"
        if not self._match_and_write(groups, may_defer=may_defer):
            self._backlog.hold(groups)

    def _drain_backlog(self) -> None:
        """Match and write the batches kept while the Bulk snapshot was read, oldest first."""
        backlog = self._backlog
        if not backlog:
            return
        plan = self.plan
        assert plan is not None
        batches, rows = len(backlog), backlog.rows
        held = backlog.take_held()
        if held:
            rows += sum(len(group.rows) for group in held.values())
            self._match_and_write(held, may_defer=False)
        for records in backlog.drain():
            groups = group_rows(records, plan, self.results)
            if groups:
                self._match_and_write(groups, may_defer=False)
        self.logger.info(
            "Stream %s: matched the %d batch(es) (%d row(s)) read while the Bulk snapshot was read",
            self.stream_name,
            batches,
            rows,
        )

    def _match_and_write(self, groups: dict[str, KeyGroup], *, may_defer: bool) -> bool:
        """Match, diff and write (or spool) one batch's key groups. False when the batch must
        wait: this batch started the Bulk snapshot read (see :mod:`.batch_backlog`)."""
        plan = self.plan
        writer = self._writer
        results = self.results
        assert plan is not None
        assert writer is not None
        self._unfinished = groups.values()
        writer.write_waiting_for(groups.keys())
        assert self._lookup is not None
        found = self._lookup.find([g.key_text for g in groups.values()], may_defer=may_defer)
        if found is None:
            self._unfinished = ()
            return False
        ambiguous_fail = diff_groups(groups, found, plan, results)
        if ambiguous_fail:
            # Only this batch stays unwritten: the changes of earlier batches are written.
            writer.write_spool()
            for group in groups.values():
                writer.report(group, stopped=True)
            first = ambiguous_fail[0]
            raise TargetRunError(
                f"{len(ambiguous_fail)} key(s) matched several {plan.sobject} records (e.g. "
                f"{first.key_text!r} → {len(first.records)} records) and multiple_matches is "
                "'fail'; nothing of this batch was written. Fix the duplicates in Salesforce, "
                "or set multiple_matches to update_all or skip. See ambiguous.csv in "
                f"{results.folder}"
            )
        writer.submit(list(groups.values()))
        self._unfinished = ()
        return True
