"""TargetSalesforceUpdate: update existing Salesforce records matched by a key; never insert.

The settings below are the documentation: ``target-salesforce-update --about`` prints them and
the README lists them. Connection settings are read by :mod:`.salesforce` / :mod:`.auth`; the
integration settings (object, key pair, mapping, policies) by :mod:`.integration`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from singer_sdk import typing as th
from singer_sdk.target_base import Target

from .bookmarks import withhold_bookmarks
from .exceptions import NotFoundError
from .integration import DEFAULT_FAIL_ON, FAIL_ON_CHOICES, Integration, environment_label
from .message_reader import SingerMessageReader
from .results import StreamResults
from .salesforce import SalesforceClient
from .sinks import SalesforceUpdateSink, TargetRunError

_MAPPING = th.ObjectType(additional_properties=th.StringType)

_STREAM_OVERRIDE = th.ObjectType(
    th.Property("sobject", th.StringType),
    th.Property("match_property", th.StringType),
    th.Property("match_field", th.StringType),
    th.Property("field_mapping", _MAPPING),
    th.Property("multiple_matches", th.StringType, allowed_values=["update_all", "skip", "fail"]),
    th.Property("null_values", th.StringType, allowed_values=["skip", "clear"]),
    th.Property("write_method", th.StringType, allowed_values=["auto", "collections", "bulk"]),
    th.Property("bulk_threshold", th.IntegerType),
    th.Property("query_batch_size", th.IntegerType),
    th.Property("dry_run", th.BooleanType),
    th.Property("fail_on", th.StringType, allowed_values=list(FAIL_ON_CHOICES)),
    th.Property("fail_on_rejections", th.BooleanType),
    additional_properties=False,
)

CONNECTION_SETTINGS = th.PropertiesList(
    th.Property(
        "auth_flow",
        th.StringType,
        allowed_values=[
            "refresh_token",
            "jwt_bearer",
            "client_credentials",
            "password",
            "access_token",
        ],
        description=(
            "OAuth flow: `refresh_token` (client id + secret + stored refresh token), "
            "`jwt_bearer` (client id + username + private key), `client_credentials` (client id "
            "+ secret, My Domain login_url only), `access_token` (a given token + instance_url), "
            "or `password` (emulator and tests only). Inferred from the settings when omitted."
        ),
    ),
    th.Property(
        "login_url",
        th.StringType,
        default="https://login.salesforce.com",
        description=(
            "Where to log in: `https://login.salesforce.com` (production), "
            "`https://test.salesforce.com` (sandbox) or your My Domain URL. `https` only, "
            "except loopback hosts."
        ),
    ),
    th.Property("client_id", th.StringType, description="Connected app consumer key."),
    th.Property(
        "client_secret", th.StringType, secret=True, description="Connected app consumer secret."
    ),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        description="Stored OAuth refresh token (refresh_token flow).",
    ),
    th.Property(
        "username", th.StringType, description="Salesforce username (jwt_bearer, password flows)."
    ),
    th.Property(
        "password",
        th.StringType,
        secret=True,
        description="Password (+ security token) for the `password` flow: emulator/tests only.",
    ),
    th.Property(
        "private_key",
        th.StringType,
        secret=True,
        description="PEM private key text for the jwt_bearer flow.",
    ),
    th.Property(
        "private_key_path",
        th.StringType,
        description="Path to the PEM private key file for the jwt_bearer flow.",
    ),
    th.Property(
        "access_token",
        th.StringType,
        secret=True,
        description="A ready access token (access_token flow; cannot be renewed).",
    ),
    th.Property(
        "instance_url",
        th.StringType,
        description="Instance URL for the access_token flow, e.g. https://acme.my.salesforce.com.",
    ),
    th.Property(
        "api_version", th.StringType, default="67.0", description="Salesforce REST API version."
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=120,
        description="Seconds to wait for one HTTP response.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=5,
        description="Retries for 5xx answers, timeouts and UNABLE_TO_LOCK_ROW, with backoff.",
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType,
        default=4,
        description=(
            "Parallel match queries and parallel Collections calls (Salesforce allows 25 "
            "long-running requests per org)."
        ),
    ),
    th.Property(
        "max_daily_api_usage_percent",
        th.NumberType,
        default=95,
        description=(
            "Stop the run before the org's daily API usage (from `Sforce-Limit-Info`) reaches "
            "this percentage of its limit."
        ),
    ),
)

INTEGRATION_SETTINGS = th.PropertiesList(
    th.Property(
        "sobject",
        th.StringType,
        description="API name of the object to update: Contact, Lead or any custom `X__c`.",
    ),
    th.Property(
        "match_property",
        th.StringType,
        description="Source property holding the key (the report's unique identifier).",
    ),
    th.Property(
        "match_field",
        th.StringType,
        default="Email",
        description="Salesforce field compared with the key (case-insensitive for text).",
    ),
    th.Property(
        "field_mapping",
        _MAPPING,
        description="Source property → Salesforce field API name, for every field to update.",
    ),
    th.Property(
        "streams",
        th.ObjectType(additional_properties=_STREAM_OVERRIDE),
        description=(
            "Per-stream overrides keyed by stream name; each may set any integration setting "
            "(sobject, match_property, match_field, field_mapping and the policies)."
        ),
    ),
    th.Property(
        "multiple_matches",
        th.StringType,
        default="update_all",
        allowed_values=["update_all", "skip", "fail"],
        description=(
            "When one key matches several records: update them all, skip the row (reported "
            "in ambiguous.csv), or fail the run before writing that batch."
        ),
    ),
    th.Property(
        "null_values",
        th.StringType,
        default="skip",
        allowed_values=["skip", "clear"],
        description=(
            "Empty or null source values: `skip` leaves the Salesforce field as it is, `clear` "
            "writes null (a checkbox becomes false)."
        ),
    ),
    th.Property(
        "write_method",
        th.StringType,
        default="auto",
        allowed_values=["auto", "collections", "bulk"],
        description=(
            "`auto`: the stream's changed records wait in a spool on disk and are written "
            "together (before any STATE, at 90 MB and at the end of the stream) — one Bulk API "
            "2.0 job when at least bulk_threshold wait, else sObject Collections. `bulk`: the "
            "same, always Bulk. `collections`: each batch is written as soon as it is processed."
        ),
    ),
    th.Property(
        "bulk_threshold",
        th.IntegerType,
        default=2000,
        description=(
            "Changed records waiting to be written (normally the stream's total) from which "
            "`auto` uses Bulk API 2.0."
        ),
    ),
    th.Property(
        "query_batch_size",
        th.IntegerType,
        default=500,
        description=(
            "Most keys in one SOQL `IN` query (queries are also filled up to Salesforce's "
            "16,384-byte limit on the request line plus headers)."
        ),
    ),
    th.Property(
        "dry_run",
        th.BooleanType,
        default=False,
        description="Match and compare, write the results files, but update nothing.",
    ),
    th.Property(
        "results_dir",
        th.StringType,
        default="output/salesforce-results",
        description="Folder for the results CSVs and summary.json (one subfolder per run).",
    ),
    th.Property(
        "fail_on",
        th.StringType,
        allowed_values=list(FAIL_ON_CHOICES),
        description=(
            "Which outcome makes the target exit non-zero (the job fails for the scheduler): "
            "`run_failure` (the run stopped), `failed_rows` (also: Salesforce refused or did "
            "not confirm a row) or `rejected_rows` (also: a row was rejected before writing). "
            f"Default: `{DEFAULT_FAIL_ON}`. Whatever it says, a stream with rejected or failed "
            "rows keeps its bookmark, so the next run re-reads the export."
        ),
    ),
    th.Property(
        "fail_on_rejections",
        th.BooleanType,
        default=False,
        description=(
            "Deprecated: `true` is `fail_on: rejected_rows`; `false` leaves `fail_on` to decide."
        ),
    ),
    th.Property(
        "environment",
        th.StringType,
        description="Environment label for the summary; default: $MELTANO_ENVIRONMENT.",
    ),
    th.Property(
        "progress_interval",
        th.NumberType,
        default=30,
        description="Seconds between progress lines in the log on long runs.",
    ),
    th.Property(
        "validate_records",
        th.BooleanType,
        default=False,
        description=(
            "Validate every record against its JSON schema. Off by default: the target coerces "
            "each value to its Salesforce field type and rejects rows that do not fit."
        ),
    ),
)


def _setting(config: Any, key: str, default: float) -> float:
    value = config.get(key)
    return default if value is None else value


class TargetSalesforceUpdate(Target):
    """Singer target that updates existing Salesforce records; it never creates one."""

    name = "target-salesforce-update"
    config_jsonschema = th.PropertiesList(
        *CONNECTION_SETTINGS.wrapped.values(), *INTEGRATION_SETTINGS.wrapped.values()
    ).to_dict()
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
                progress_interval=float(_setting(self.config, "progress_interval", 30)),
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
