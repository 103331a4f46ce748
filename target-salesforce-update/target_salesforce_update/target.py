"""TargetSalesforceUpdate: update existing Salesforce records matched by a key; never insert.

The settings are declared once, in :mod:`.settings`: ``target-salesforce-update --about`` prints
them and the README lists them. Connection settings are read by :mod:`.salesforce` /
:mod:`.auth`; the integration settings (object, key pair, mapping, policies) by
:mod:`.integration`.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from singer_sdk.target_base import Target

from .bookmarks import withhold_bookmarks
from .cli_errors import exit_with_one_line
from .connection_test_sink import ConnectionTestSink
from .exceptions import SalesforceError
from .integration import MELTANO_TEST_STREAM, Integration, environment_label, resolve_integration
from .message_reader import SingerMessageReader
from .preflight import PreflightError
from .record_messages import PlainRecordMessages
from .results import StreamResults
from .settings import config_schema, default
from .sink_context import Connection, StreamContext
from .sinks import SalesforceUpdateSink, TargetRunError

if TYPE_CHECKING:
    from singer_sdk.sinks import Sink

    from .salesforce import SalesforceClient


def _setting(config: Any, key: str) -> Any:
    value = config.get(key)
    return default(key) if value is None else value


_RUNNING: list[TargetSalesforceUpdate] = []

#: Cyclic-GC thresholds for the command line. With Python's defaults (700, 10, 10) the collector
#: walks every live object (a batch of records, its key groups, unpickled spool chunks) every
#: few thousand allocations, and a run allocates containers by the million while making almost
#: no reference cycles. Measured at 1M rows (target alone, saved stream): 54.5 → 48.2 CPU-s,
#: peak RSS unchanged (173 → 175 MB); benchmarks/RESULTS.md, Run H.
GC_THRESHOLDS = (50_000, 20, 100)


class TargetSalesforceUpdate(PlainRecordMessages, Target):
    """Singer target that updates existing Salesforce records; it never creates one.

    RECORDs of plain streams skip the SDK's per-record steps that do nothing here
    (:mod:`.record_messages`)."""

    name = "target-salesforce-update"
    config_jsonschema = config_schema()
    default_sink_class = SalesforceUpdateSink
    message_reader_class = SingerMessageReader

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Streams already overlap: each sink processes its batches in its own worker thread
        # and counts its calls on its own meter. Parallel SDK drains would only overlap the
        # hand-offs, and would let one stream's fatal error race another stream's summary, so
        # sinks are drained one at a time (the client parallelises the calls itself). Proof that
        # streams still overlap: test_target_updates.py::test_streams_are_written_at_the_same_time.
        self.max_parallelism = 1
        self._connection = Connection(self.config)
        self._results: dict[str, StreamResults] = {}
        self._all_results: list[StreamResults] = []
        self._sinks: list[SalesforceUpdateSink] = []
        _RUNNING[:] = [self]  # for invoke(): the summaries of a run that stopped

    @property
    def client(self) -> SalesforceClient:
        """The Salesforce client, logged in on first use."""
        return self._connection.client

    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """:class:`.ConnectionTestSink` for ``meltano config test``'s stream (unless an
        integration has that name), else :class:`.SalesforceUpdateSink`."""
        if stream_name == MELTANO_TEST_STREAM and stream_name not in (
            self.config.get("streams") or {}
        ):
            return ConnectionTestSink
        return SalesforceUpdateSink

    def get_sink(
        self,
        stream_name: str,
        *,
        record: dict | None = None,
        schema: dict | None = None,
        key_properties: Sequence[str] | None = None,
    ) -> Sink:
        """The SDK's sink for the stream; a sink it has just built is started here with what it
        needs (:mod:`.sink_context`), so no sink ever calls back into the target."""
        if schema is None:
            return super().get_sink(stream_name, record=record)
        previous = super().get_sink(stream_name) if self.sink_exists(stream_name) else None
        sink = super().get_sink(
            stream_name, record=record, schema=schema, key_properties=key_properties
        )
        if sink is not previous:
            try:
                self._start(sink)
            except Exception:
                self.logger.error("Error initializing target sink '%s'", self.name)
                raise
        return sink

    def _start(self, sink: Sink) -> None:
        if isinstance(sink, ConnectionTestSink):
            sink.start(self._connection)
            return
        assert isinstance(sink, SalesforceUpdateSink)
        integration = resolve_integration(self.config, sink.stream_name)
        # A new sink of a stream already seen (its schema changed): the older sinks' waiting
        # changes are written first, so this sink compares its rows with them.
        older = [s for s in self._sinks if s.stream_name == sink.stream_name]
        for old in older:
            old.settle()
        sink.start(StreamContext(self._connection, integration, self._results_for(integration)))
        for old in older:
            old.superseded = True
        self._sinks.append(sink)

    def _results_for(self, integration: Integration) -> StreamResults:
        """The results collector of a stream (shared by every sink of that stream)."""
        stream = integration.stream
        if stream not in self._results or self._results[stream].finished:
            self._results[stream] = StreamResults(
                results_dir=integration.results_dir,
                stream=stream,
                sobject=integration.sobject,
                environment=integration.environment or environment_label(self.config),
                dry_run=integration.dry_run,
                fail_on=integration.fail_on,
                logger=self.logger,
                progress_interval=float(_setting(self.config, "progress_interval")),
            )
            self._all_results.append(self._results[stream])
        return self._results[stream]

    def settle(self) -> None:
        """Finish every batch in flight and write every change still waiting in a spool."""
        for sink in list(self._sinks):
            sink.settle()

    def _write_state_message(self, state: dict) -> None:
        """Print STATE only once every row received before it is written, and never a STATE
        that moves a bookmark past rows whose values did not land.

        The SDK drains the sinks' batches before it calls this; here the target waits for the
        batch still in flight in each sink's worker and writes the changes left in the write
        spools. A fatal error raises instead, so the STATE is never printed. Then the re-read
        rule (:mod:`.bookmarks`): the bookmarks of streams run dry, or with rejected or failed
        rows, are withheld, and the log says so.
        """
        self.settle()
        withheld = self._withheld_streams()
        if withheld:
            trimmed = withhold_bookmarks(state, withheld)
            for stream, reason in withheld.items():
                self.logger.warning(
                    "Bookmark withheld for stream %s (%s): %s. The next run re-reads the "
                    "newest export; change detection writes only the values that still differ.",
                    stream,
                    "its entry is left out of the STATE" if trimmed else "no STATE is printed",
                    reason,
                )
            if trimmed is None:
                return
            state = trimmed
        super()._write_state_message(state)

    def _withheld_streams(self) -> dict[str, str]:
        """Streams whose bookmark must not move, with the reason (see :mod:`.bookmarks`)."""
        withheld: dict[str, str] = {}
        for results in self._all_results:
            reason = results.withhold_reason()
            if reason and results.stream not in withheld:
                withheld[results.stream] = reason
        return withheld

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """The command line: a refusal the target explains (preflight, a Salesforce error, a
        fatal stop) ends in one line and the summary path, not a traceback (see
        :mod:`.cli_errors`)."""
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            super().invoke(*args, **kwargs)
        except (PreflightError, SalesforceError, TargetRunError) as error:
            running = _RUNNING[-1] if _RUNNING else None
            results = running._all_results if running is not None else ()
            failed = [r.folder / "summary.json" for r in results if r.finished]
            exit_with_one_line(cls.logger, error, [p for p in failed if p.exists()])

    def process_endofpipe(self) -> None:
        """Drain everything (which finishes each stream's summary), print the STATE the
        re-read rule allows, release the client; then exit non-zero when a stream's outcome
        is one ``fail_on`` names."""
        try:
            super().process_endofpipe()
        finally:
            self._connection.close()
        failing = [r for r in self._all_results if r.finished and r.exit_nonzero]
        if failing:
            shown = "; ".join(
                f"stream {r.stream}: {r.status} ({r.reason or r.error})" for r in failing
            )
            message = (
                f"{shown}. The target exits non-zero because fail_on is "
                f"'{failing[0].fail_on}' (set fail_on to run_failure, failed_rows or "
                "rejected_rows to choose which outcome fails the job)"
            )
            raise TargetRunError(message)


if __name__ == "__main__":
    TargetSalesforceUpdate.cli()
