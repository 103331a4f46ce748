"""The batch sink: match a batch of rows to existing records, diff, and update what changed.

Per batch: coerce rows (rejects go to failed.csv) → SOQL ``IN`` queries of a few hundred keys
each, up to ``max_concurrency`` at once, which also read the mapped fields → resolve each key
to its records (unmatched and ambiguous keys are reported, never created) → keep only records
whose values really change → one results line per row.

Batches are processed in a worker thread, one at a time, while the target reads the next one
(:meth:`SalesforceUpdateSink.process_batch`); the target waits for it before any STATE.

Changed records are written per stream, not per batch (``write_method`` ``auto`` or ``bulk``):
they wait in a :class:`.spool.WriteSpool` on disk and are written together — one Bulk API 2.0
job, or sObject Collections calls when fewer than ``bulk_threshold`` are waiting — when the
spool reaches the Bulk upload limit, before the target prints a STATE
(:meth:`SalesforceUpdateSink.settle`, called by the target), and at the end of the stream. A
batch holding a key whose change is still waiting has the spool written first, so later rows
still win. ``write_method: collections`` writes each batch as it is processed.

A fatal client error (daily limit, our API-usage ceiling, authentication, retries exhausted)
records what is known, writes the summary with ``status=failed`` and raises: the SDK then exits
non-zero without printing the STATE that followed the unwritten rows.
"""

from __future__ import annotations

import typing as t
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from singer_sdk.sinks import BatchSink

from .coercion import CoercionError
from .exceptions import SalesforceError, TargetSalesforceUpdateError
from .integration import MELTANO_TEST_STREAM, resolve_integration
from .job_journal import JobJournal, abort_running_jobs_on_signal
from .match_strategy import FALLBACK_ERRORS, Matcher
from .matching import (
    PreparedRow,
    changed_fields,
    index_records,
    key_text,
    match_key,
    match_queries,
    merge_values,
    prepare_row,
)
from .preflight import Plan, check_integration
from .reconcile import reconcile_journal
from .results import StreamResults
from .salesforce import is_retryable
from .settings import default
from .soql import redact_literals
from .spool import SpooledGroup, WriteSpool

if t.TYPE_CHECKING:
    from .salesforce import RecordError, SaveResult
    from .target import TargetSalesforceUpdate

#: Records per update_records call: a few Collections calls in parallel, so a run that stops
#: mid-batch knows the outcome of everything sent before the failing slice.
WRITE_SLICE = 800


class TargetRunError(TargetSalesforceUpdateError):
    """The run must stop: the message says why; results and summary are already written."""


@dataclass
class _KeyGroup:
    """Rows sharing one key, the records it matched and what to write to each."""

    key: str
    key_text: str
    rows: list[PreparedRow]
    records: list[dict] = field(default_factory=list)
    changes: dict[str, dict[str, t.Any]] = field(default_factory=dict)  # Id -> changed fields
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)  # Id -> (code, message)
    reported: bool = False


class SalesforceUpdateSink(BatchSink):
    """Updates the existing records of one stream's integration, batch by batch."""

    MAX_SIZE_DEFAULT = 10000

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.target_ref: TargetSalesforceUpdate = kwargs["target"]
        self.plan: Plan | None = None
        self.results: StreamResults | None = None
        self.is_test_stream = False
        self._pool: ThreadPoolExecutor | None = None
        self._spool: WriteSpool | None = None
        self._worker: ThreadPoolExecutor | None = None
        self._in_flight: Future[None] | None = None
        self._journal: JobJournal | None = None
        self._matcher: Matcher | None = None
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------ SDK hooks

    @property
    def validate_schema(self) -> bool:  # type: ignore[override]
        """JSON-schema validation of records; off unless ``validate_records`` is true."""
        return bool(self.config.get("validate_records", default("validate_records")))

    def _parse_timestamps_in_record(self, record: dict, schema: dict, treatment: t.Any) -> None:
        """Leave values as sent: :mod:`.coercion` parses dates per field type and rejects the
        row when one is invalid, where the SDK would stop the whole run."""

    def setup(self) -> None:
        """Resolve the stream's integration and run preflight before any record is written."""
        target = self.target_ref
        if self.stream_name == MELTANO_TEST_STREAM and not _has_own_entry(
            self.config, self.stream_name
        ):
            self._setup_test_stream()
            return
        integration = resolve_integration(self.config, self.stream_name)
        target.wait_for_batches()  # so the describe below is not counted for another stream
        # A new sink of a stream already seen (its schema changed): the older sink's waiting
        # changes are written first, so this sink compares its rows with them.
        target.settle(self.stream_name)
        self.results = target.results_for(integration)
        before = target.api_calls
        try:
            describe = target.describe(integration.sobject)
            self.plan = check_integration(integration, describe, self.schema)
        except Exception as exc:
            self._count_calls(before)
            self.results.finish("failed", error=str(exc))
            raise
        self._count_calls(before)
        if not integration.dry_run:
            self._settle_earlier_writes(integration.results_dir)
        if not integration.dry_run and integration.write_method != "collections":
            self._spool = WriteSpool([spec.name for spec in self.plan.fields.values()])
        self._matcher = Matcher(
            self.plan,
            target.client,
            page_records=int(
                self.config.get("bulk_query_page_size") or default("bulk_query_page_size")
            ),
            logger=self.logger,
        )
        target.register_sink(self)
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

    def _settle_earlier_writes(self, results_dir: str) -> None:
        """Before this run writes: abort or wait for the Bulk jobs an earlier run of this
        integration left unfinished, and report what they and its in-flight Collections
        slices really did (``reconciled.csv``); see :mod:`.reconcile`. From here on, this
        run's own writes are journaled, and SIGTERM/SIGINT abort its running jobs."""
        assert self.plan is not None
        assert self.results is not None
        results = self.results
        journal = JobJournal.for_integration(
            results_dir, self.stream_name, self.plan.sobject, run_id=results.run_id
        )
        before = self.target_ref.api_calls
        try:
            counts = reconcile_journal(self.target_ref.client, journal, results.folder, self.logger)
        except SalesforceError as exc:
            self._count_calls(before)
            message = (
                "could not settle the unfinished writes of an earlier run (nothing was "
                f"written; run again): {exc}"
            )
            results.finish("failed", error=message)
            raise TargetRunError(message) from exc
        self._count_calls(before)
        for outcome, count in counts.items():
            results.reconciled[outcome] = results.reconciled.get(outcome, 0) + count
        self._journal = journal
        abort_running_jobs_on_signal()

    def _setup_test_stream(self) -> None:
        """``meltano config test``: log in, preflight every configured integration, write nothing.

        Bad credentials or an integration that would fail make the test fail; nothing is ever
        written for this stream.
        """
        self.is_test_stream = True
        target = self.target_ref
        client = target.client
        names = [""] if self.config.get("sobject") else []
        names += [name for name in (self.config.get("streams") or {}) if name]
        checked = []
        for name in names:
            integration = resolve_integration(self.config, name)
            plan = check_integration(integration, target.describe(integration.sobject), None)
            checked.append(f"{name or 'default'} ({plan.sobject}.{plan.match.name})")
        self.logger.info(
            "Stream %s (sent by `meltano config test`): connected to %s; preflight passed for "
            "%s; nothing is written for this stream",
            self.stream_name,
            client.instance_url,
            ", ".join(checked) or "no integration configured yet",
        )

    def process_record(self, record: dict, context: dict) -> None:
        """Stage the record for its batch (records of the Meltano test stream are dropped)."""
        if self.is_test_stream:
            return
        super().process_record(record, context)

    def process_batch(self, context: dict) -> None:
        """Hand the batch to the sink's worker thread and return, so the target reads the next
        batch while this one talks to Salesforce.

        At most one batch is in flight: this waits for the previous one first (and re-raises
        its failure). The target waits for it, and writes the spool, before any STATE.
        """
        records = context.get("records") or []
        if self.is_test_stream or not records or self.plan is None or self.results is None:
            return
        self.wait()
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix=f"sf-batch-{self.stream_name}")
        self._in_flight = self._worker.submit(self._process_batch, records)

    def wait(self) -> None:
        """Wait for the batch in flight, if any; re-raise what stopped it."""
        future, self._in_flight = self._in_flight, None
        if future is not None:
            future.result()

    def _process_batch(self, records: Sequence[dict]) -> None:
        """Match, diff and update one batch (in the worker thread); see the module docstring."""
        assert self.results is not None
        before = self.target_ref.api_calls
        try:
            self._process(records)
        except SalesforceError as exc:
            self._count_calls(before)
            self._fail(exc.run_stopped_message())
        except TargetRunError as exc:
            self._count_calls(before)
            self._fail(str(exc))
        except Exception as exc:
            self._count_calls(before)
            self._abandon_spool(f"{type(exc).__name__}: {exc}")
            self.results.flush()
            self.results.finish("failed", error=f"{type(exc).__name__}: {exc}")
            raise
        self._count_calls(before)
        self.results.flush()
        self.results.maybe_log_progress()

    def settle(self) -> None:
        """Write every change still waiting in the spool; the target calls this before it
        prints a STATE, so no STATE ever follows a row that is not written yet.

        Raises:
            TargetRunError: a fatal Salesforce error; results and summary are written.
        """
        self.wait()
        spool = self._spool
        results = self.results
        if spool is None or not spool.groups or results is None or results.finished:
            return
        before = self.target_ref.api_calls
        try:
            self._write_spool()
        except SalesforceError as exc:
            self._count_calls(before)
            self._fail(exc.run_stopped_message())
        except Exception as exc:
            self._count_calls(before)
            self._abandon_spool(f"{type(exc).__name__}: {exc}")
            results.flush()
            results.finish("failed", error=f"{type(exc).__name__}: {exc}")
            raise
        self._count_calls(before)
        results.flush()

    def clean_up(self) -> None:
        """At end of stream: write the summary with the status the rows earned."""
        try:
            self.wait()
            results = self.results
            if self.is_test_stream or results is None or results.finished:
                return
            self.settle()
            if self.target_ref.get_sink(self.stream_name) is not self:
                return  # an older sink of a stream whose schema changed; the newest one ends it
            # The status follows the rows (completed, completed_with_rejections or
            # completed_with_failures); the target exits non-zero afterwards when fail_on says
            # so, once every stream's summary is written and the allowed STATE printed.
            results.finish()
        finally:
            for pool in (self._worker, self._pool):
                if pool is not None:
                    pool.shutdown(cancel_futures=True)
            if self._matcher is not None:
                self._matcher.close()
            super().clean_up()

    # ------------------------------------------------------------------ the batch

    def _count_calls(self, before: int) -> None:
        if self.results is None:
            return
        self.results.api_calls += self.target_ref.api_calls - before
        self.results.api_usage = self.target_ref.api_usage

    def _fail(self, message: str) -> t.NoReturn:
        assert self.results is not None
        self._abandon_spool(message)
        self.results.flush()
        self.results.finish("failed", error=message)
        raise TargetRunError(message)

    def _process(self, records: Sequence[dict]) -> None:
        plan = self.plan
        results = self.results
        assert plan is not None
        assert results is not None
        groups: dict[str, _KeyGroup] = {}
        for record in records:
            row = prepare_row(results.next_position(), record, plan)
            if row.error or row.key is None:
                results.add("rejected", row=row.position, key=row.raw_key, error_message=row.error)
                continue
            group = groups.get(row.key)
            if group is None:
                text = key_text(row.raw_key, plan.match) or row.key
                groups[row.key] = _KeyGroup(row.key, text, [row])
            else:
                group.rows.append(row)
        if not groups:
            return
        spool = self._spool
        if spool is not None and spool.holds_any(groups.keys()):
            # A key of this batch has a change still waiting: write it first, so this batch
            # is compared with (and applied after) it.
            self._write_spool()

        found = self._query(plan, [g.key_text for g in groups.values()])
        ambiguous_fail: list[_KeyGroup] = []
        for key, group in groups.items():
            group.records = found.get(key, [])
            if len(group.records) > 1:
                results.keys_with_multiple_matches += 1
                policy = plan.integration.multiple_matches
                if policy == "fail":
                    ambiguous_fail.append(group)
                    continue
                if policy == "skip":
                    continue
            desired = merge_values(group.rows)
            for sf_record in group.records:
                changes = changed_fields(desired, sf_record, plan)
                if changes:
                    group.changes[str(sf_record["Id"])] = changes
        if ambiguous_fail:
            # Only this batch stays unwritten: the changes of earlier batches are written.
            self._write_spool()
            for group in groups.values():
                self._report(group, stopped=True)
            first = ambiguous_fail[0]
            raise TargetRunError(
                f"{len(ambiguous_fail)} key(s) matched several {plan.sobject} records (e.g. "
                f"{first.key_text!r} → {len(first.records)} records) and multiple_matches is "
                "'fail'; nothing of this batch was written. Fix the duplicates in Salesforce, "
                "or set multiple_matches to update_all or skip. See ambiguous.csv in "
                f"{results.folder}"
            )

        if spool is None:
            try:
                self._write(plan, list(groups.values()))
            finally:
                for group in groups.values():
                    self._report(group)
            return
        limit = self.target_ref.client.bulk_max_upload_bytes * 0.9
        for group in groups.values():
            if not group.changes:
                self._report(group)
                continue
            rows = [(row.position, row.raw_key) for row in group.rows]
            spool.add(group.key, rows, [str(r["Id"]) for r in group.records], group.changes)
            if spool.csv_bytes >= limit:
                self._write_spool()

    def _write_spool(self) -> None:
        """Write what the spool holds — one Bulk job, or Collections calls below
        ``bulk_threshold`` — and report its rows; the spool is empty afterwards.

        Records holding a literal ``#N/A`` go through Collections (Bulk would clear the field).
        Records that fail with a transient error (row lock, …) are sent again — a follow-up
        Bulk job for at least ``bulk_threshold`` of them, else Collections — up to
        ``max_retries`` times with backoff; only those still failing end in failed.csv.
        """
        spool = self._spool
        plan = self.plan
        results = self.results
        assert spool is not None
        assert plan is not None
        assert results is not None
        if not spool.groups:
            return
        integration = plan.integration
        count = len(spool)
        use_bulk = integration.write_method == "bulk" or count >= integration.bulk_threshold
        client = self.target_ref.client
        journal = self._journal
        try:
            if not use_bulk:
                groups = [_restore(spooled) for spooled in spool.read_groups()]
                try:
                    self._write(plan, groups, use_bulk=False)
                finally:
                    for group in groups:
                        self._report(group)
                return
            try:
                failures: dict[str, tuple[RecordError, ...]] = {}
                if spool.csv_records:
                    results.write_calls["bulk"] += 1
                    failures = client.bulk_update_file(
                        plan.sobject, spool.csv_file(), spool.csv_records, journal=journal
                    )
                if spool.direct:
                    failures.update(self._send_direct(plan, spool.direct))
            except SalesforceError as exc:
                code = exc.error_code or type(exc).__name__
                self._report_spool(code, f"not confirmed, the run stopped: {exc}")
                raise
            stopped: SalesforceError | None = None
            try:
                self._retry_transient(plan, failures)
            except SalesforceError as exc:
                stopped = exc  # the rows still failing are reported as such, then the run stops
            for spooled in spool.read_groups():
                group = _restore(spooled)
                for record_id in group.changes:
                    errors = failures.get(record_id[:15])
                    if errors is None:
                        results.records_written += 1
                        continue
                    group.failures[record_id] = (
                        ";".join(e.status_code for e in errors) or "UNKNOWN_ERROR",
                        " | ".join(e.message for e in errors) or "no message",
                    )
                self._report(group)
            if stopped is not None:
                raise stopped
        finally:
            spool.clear()
            results.flush()
            if journal is not None:
                journal.forget_reported()
            results.maybe_log_progress()

    def _send_direct(
        self, plan: Plan, payloads: list[dict[str, t.Any]]
    ) -> dict[str, tuple[RecordError, ...]]:
        """Collections for records Bulk cannot carry; the errors of those that failed."""
        assert self.results is not None
        self.results.write_calls["collections"] += -(-len(payloads) // 200)
        saved = self.target_ref.client.update_records(plan.sobject, payloads)
        return {
            str(payload["Id"])[:15]: result.errors
            for payload, result in zip(payloads, saved, strict=True)
            if not result.success
        }

    def _retry_transient(self, plan: Plan, failures: dict[str, tuple[RecordError, ...]]) -> None:
        """Send the spooled records whose errors are all transient again, until none is left
        or ``max_retries`` rounds were made; ``failures`` is updated in place."""
        spool = self._spool
        results = self.results
        assert spool is not None
        assert results is not None
        client = self.target_ref.client
        integration = plan.integration
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
            if len(payloads) >= integration.bulk_threshold:
                results.write_calls["bulk"] += 1
                saved = client.bulk_update(plan.sobject, payloads, journal=self._journal)
            else:
                results.write_calls["collections"] += -(-len(payloads) // 200)
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

    def _report_spool(self, code: str, message: str) -> None:
        """Report every spooled row as failed with ``code``/``message`` (nothing confirmed)."""
        spool = self._spool
        if spool is None:
            return
        for spooled in spool.read_groups():
            group = _restore(spooled)
            group.failures = dict.fromkeys(group.changes, (code, message))
            self._report(group)
        spool.clear()

    def _abandon_spool(self, reason: str) -> None:
        """The run stops: rows still waiting in the spool are reported as not written."""
        if self._spool is not None and self._spool.groups and self.results is not None:
            self._report_spool("NOT_WRITTEN", f"not written, the run stopped: {reason}")

    def _query(self, plan: Plan, keys: list[str]) -> dict[str, list[dict]]:
        """The records of each of the batch's keys, by the match strategy the
        :class:`.match_strategy.Matcher` chooses: this batch's ``IN`` queries, or a lookup in
        the stream's Bulk query snapshot (keys handed out before are read fresh by ``IN``).
        """
        statements = list(match_queries(plan, keys))
        matcher = self._matcher
        if matcher is None:
            return self._in_queries(plan, statements)
        try:
            choice = matcher.choose(len(statements), len(keys))
        except FALLBACK_ERRORS as exc:
            if matcher.setting != "auto":
                raise
            matcher.give_up_bulk(exc)
            choice = matcher.choose(len(statements), len(keys))
        matcher.log(choice)
        if choice.strategy == "bulk_query" and matcher.snapshot is None:
            try:
                matcher.read_snapshot()
            except FALLBACK_ERRORS as exc:
                if matcher.setting != "auto":
                    raise
                matcher.give_up_bulk(exc)
                choice = matcher.choose(len(statements), len(keys))
        if choice.strategy == "in_query":
            matcher.in_query_calls += len(statements)
            return self._in_queries(plan, statements)
        texts: dict[str, str] = {}
        for text in keys:
            try:
                folded = match_key(text, plan.match)
            except CoercionError:
                continue
            if folded is not None:
                texts[folded] = text
        found, seen = matcher.lookup(list(texts))
        if seen:
            # This run may have written these records since the snapshot: read them fresh.
            again = self._in_queries(plan, list(match_queries(plan, [texts[k] for k in seen])))
            found.update(again)
        return found

    def _in_queries(self, plan: Plan, statements: list[str]) -> dict[str, list[dict]]:
        """Run the batch's match queries, up to ``max_concurrency`` at once.

        Each statement holds distinct keys, so the answers are merged in statement order
        without overlap. The first failure cancels the statements not yet started.
        """
        client = self.target_ref.client

        def run(statement: str) -> dict[str, list[dict]]:
            try:
                return index_records(client.query(statement), plan)
            except SalesforceError as exc:
                # Salesforce quotes the statement in its errors: other rows' keys.
                exc.message = redact_literals(exc.message)
                exc.args = (exc.message,)
                raise

        found: dict[str, list[dict]] = {}
        workers = max(1, min(client.max_concurrency, len(statements)))
        if workers == 1:
            answers: t.Iterable[dict[str, list[dict]]] = map(run, statements)
        else:
            answers = self._query_pool(workers).map(run, statements)
        for answer in answers:
            for key, matched in answer.items():
                found.setdefault(key, []).extend(matched)
            self.results.maybe_log_progress()  # type: ignore[union-attr]
        return found

    def _query_pool(self, workers: int) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="sf-query")
        return self._pool

    def _write(
        self, plan: Plan, groups: Sequence[_KeyGroup], *, use_bulk: bool | None = None
    ) -> None:
        """Send every change; a fatal error marks the unconfirmed records failed and re-raises.

        Collections writes go in slices of about ``WRITE_SLICE`` records that never split a
        key group; each slice is in the journal while it is in flight, and its rows are
        reported and flushed as soon as it is answered, so a run killed mid-batch leaves a
        results line (or a journal entry the next run reconciles) for every record it wrote.
        """
        integration = plan.integration
        if integration.dry_run or not any(group.changes for group in groups):
            return
        total = sum(len(group.changes) for group in groups)
        if use_bulk is None:
            use_bulk = integration.write_method == "bulk" or (
                integration.write_method == "auto" and total >= integration.bulk_threshold
            )
        step = total if use_bulk else WRITE_SLICE
        slices: list[list[_KeyGroup]] = [[]]
        size = 0
        for group in groups:
            if size and size + len(group.changes) > step:
                slices.append([])
                size = 0
            slices[-1].append(group)
            size += len(group.changes)
        client = self.target_ref.client
        results = self.results
        journal = self._journal
        assert results is not None
        for number, slice_groups in enumerate(slices):
            payloads: list[dict[str, t.Any]] = []
            owners: list[_KeyGroup] = []
            for group in slice_groups:
                for record_id, changes in group.changes.items():
                    payloads.append({"Id": record_id, **changes})
                    owners.append(group)
            if not payloads:
                continue
            entry = None
            try:
                if use_bulk:
                    results.write_calls["bulk"] += 1
                    saved = client.bulk_update(plan.sobject, payloads, journal=journal)
                else:
                    if journal is not None:
                        entry = journal.slice_started([p["Id"] for p in payloads])
                    results.write_calls["collections"] += -(-len(payloads) // 200)
                    saved = client.update_records(plan.sobject, payloads)
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
                self._report(group)
            results.flush()
            if journal is not None:
                if entry is not None:
                    journal.remove(entry)
                journal.forget_reported()
            results.maybe_log_progress()

    def _apply_results(
        self, chunk: list[dict], owners: list[_KeyGroup], saved: Sequence[SaveResult]
    ) -> None:
        results = self.results
        assert results is not None
        for payload, owner, result in zip(chunk, owners, saved, strict=True):
            if result.success:
                results.records_written += 1
                continue
            codes = ";".join(e.status_code for e in result.errors) or "UNKNOWN_ERROR"
            messages = " | ".join(e.message for e in result.errors) or "no message"
            owner.failures[payload["Id"]] = (codes, messages)

    def _report(self, group: _KeyGroup, *, stopped: bool = False) -> None:
        """Write one results line per row of ``group`` (once: a reported group is skipped)."""
        results = self.results
        assert results is not None
        if group.reported:
            return
        group.reported = True
        policy = self.plan.integration.multiple_matches if self.plan else "update_all"
        ids = [str(r["Id"]) for r in group.records]
        outcome: str
        extra: dict[str, t.Any] = {}
        if not group.records:
            outcome = "unmatched"
            extra = {"error_message": "no record has this key; nothing was created"}
        elif len(group.records) > 1 and policy in {"skip", "fail"}:
            outcome = "ambiguous"
            extra = {
                "error_code": "MULTIPLE_MATCHES",
                "error_message": f"{len(ids)} records match; multiple_matches={policy}",
            }
        elif stopped:
            outcome = "failed"
            extra = {
                "error_code": "NOT_WRITTEN",
                "error_message": "another key of this batch matched several records "
                "(multiple_matches=fail)",
            }
        elif group.failures:
            outcome = "failed"
            ids = list(group.failures)
            extra = {
                "error_code": ";".join(sorted({code for code, _ in group.failures.values()})),
                "error_message": " | ".join(
                    f"{rid}: {msg}" for rid, (_, msg) in group.failures.items()
                ),
            }
        elif group.changes:
            outcome = "updated"
            changed: dict[str, t.Any] = {}
            for changes in group.changes.values():
                changed.update(changes)
            extra = {"fields_changed": sorted(changed), "new_values": changed}
        else:
            outcome = "unchanged"
        for row in group.rows:
            results.add(outcome, row=row.position, key=row.raw_key, record_ids=ids, **extra)


def _restore(spooled: SpooledGroup) -> _KeyGroup:
    """A key group rebuilt from the spool, enough to report its rows."""
    rows = [PreparedRow(position, None, raw_key) for position, raw_key in spooled.rows]
    records = [{"Id": record_id} for record_id in spooled.record_ids]
    return _KeyGroup("", "", rows, records, spooled.changes)


def _has_own_entry(config: t.Mapping[str, t.Any], stream: str) -> bool:
    return stream in (config.get("streams") or {})
