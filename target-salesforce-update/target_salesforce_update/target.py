"""TargetSalesforceUpdate: update existing Salesforce records matched by a key; never insert.

The settings are declared once, in :mod:`.settings`: ``target-salesforce-update --about`` prints
them and the README lists them. Connection settings are read by :mod:`.salesforce` /
:mod:`.auth`; the integration settings (object, key pair, mapping, policies) by
:mod:`.integration`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from singer_sdk.target_base import Target

from .bookmarks import withhold_bookmarks
from .cli_errors import exit_with_one_line
from .exceptions import NotFoundError, SalesforceError
from .integration import Integration, environment_label
from .message_reader import SingerMessageReader
from .preflight import PreflightError
from .results import StreamResults
from .salesforce import SalesforceClient
from .settings import config_schema, default
from .sinks import SalesforceUpdateSink, TargetRunError


def _setting(config: Any, key: str) -> Any:
    value = config.get(key)
    return default(key) if value is None else value


_RUNNING: list[TargetSalesforceUpdate] = []


class TargetSalesforceUpdate(Target):
    """Singer target that updates existing Salesforce records; it never creates one."""

    name = "target-salesforce-update"
    config_jsonschema = config_schema()
    default_sink_class = SalesforceUpdateSink
    message_reader_class = SingerMessageReader

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Drain one stream at a time: the shared client's API call counter then belongs to
        # the stream being drained, and the client parallelises writes itself.
        self.max_parallelism = 1
        self._client: SalesforceClient | None = None
        self._client_lock = threading.Lock()
        self._describes: dict[str, dict | None] = {}
        self._results: dict[str, StreamResults] = {}
        self._all_results: list[StreamResults] = []
        self._sinks: list[SalesforceUpdateSink] = []
        _RUNNING[:] = [self]  # for invoke(): the summaries of a run that stopped

    @property
    def client(self) -> SalesforceClient:
        """The Salesforce client, logged in on first use."""
        with self._client_lock:
            if self._client is None:
                self._client = SalesforceClient.from_config(
                    self.config, logger=logging.getLogger("target_salesforce_update.salesforce")
                )
            return self._client

    @property
    def api_calls(self) -> int:
        """Counted API calls made so far this run (0 before the client exists)."""
        return self._client.api_calls if self._client is not None else 0

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """The org's latest daily API usage (used, max) from ``Sforce-Limit-Info``."""
        return self._client.api_usage if self._client is not None else None

    def describe(self, sobject: str) -> dict | None:
        """The object's describe (cached per run); None when the user cannot see the object."""
        key = sobject.lower()
        if key not in self._describes:
            try:
                self._describes[key] = self.client.describe(sobject)
            except NotFoundError:
                self._describes[key] = None
        return self._describes[key]

    def results_for(self, integration: Integration) -> StreamResults:
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

    def register_sink(self, sink: SalesforceUpdateSink) -> None:
        """Remember a sink (also one replaced after a schema change) for :meth:`settle`."""
        self._sinks.append(sink)

    def wait_for_batches(self) -> None:
        """Wait until no sink has a batch in flight (re-raising what stopped one)."""
        for sink in list(self._sinks):
            sink.wait()

    def settle(self, stream: str | None = None) -> None:
        """Finish every batch in flight and write every change still waiting in a spool (of
        ``stream``'s sinks only, when given)."""
        for sink in list(self._sinks):
            if stream is None or sink.stream_name == stream:
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
            if self._client is not None:
                self._client.close()
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
