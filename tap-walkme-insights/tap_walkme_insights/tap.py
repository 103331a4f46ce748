"""``TapWalkMeInsights``: WalkMe Insights report exports as Singer streams (one per report)."""

from __future__ import annotations

import itertools
from functools import cached_property
from typing import Any

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_walkme_insights.csv_reader import CsvFormatError, ReportCsv
from tap_walkme_insights.dedupe import DUPLICATE_POLICIES
from tap_walkme_insights.http import HttpClient, RetryPolicy, protect_logs
from tap_walkme_insights.inference import COLUMN_TYPES
from tap_walkme_insights.layout import LayoutError, build_layout
from tap_walkme_insights.settings import (
    AUTH_MODES,
    DEFAULT_SAMPLE_ROWS,
    ReportSettings,
    SettingsError,
    reports_from_config,
)
from tap_walkme_insights.singer_output import SingerStdoutWriter
from tap_walkme_insights.sources import SourceError, build_source
from tap_walkme_insights.streams import ReportStream
from tap_walkme_insights.walkme_auth import REGION_BASE_URLS, WalkMeTokenProvider, resolve_base_url

_TYPES_HELP = f"Column → type ({', '.join(COLUMN_TYPES)}); keys are headers or property names."


def _reading_options(*, per_report: bool) -> list[th.Property]:
    scope = "this report" if per_report else "every report (a report may override it)"
    return [
        th.Property(
            "duplicate_keys",
            th.StringType(allowed_values=list(DUPLICATE_POLICIES)),
            description=f"Several rows with one key, for {scope}: keep the last (default), "
            "the first, or fail.",
        ),
        th.Property(
            "encoding",
            th.StringType,
            description=f"Text encoding of {scope}'s export (default utf-8; a BOM is honoured).",
        ),
        th.Property(
            "encoding_errors",
            th.StringType(allowed_values=["strict", "replace"]),
            description="Invalid bytes: stop with the row number (strict, default) or read as "
            "U+FFFD (replace).",
        ),
        th.Property("delimiter", th.StringType, description="Field delimiter (default ',')."),
        th.Property(
            "ragged_rows",
            th.StringType(allowed_values=["fail", "skip"]),
            description="Rows whose cell count differs from the header: stop (fail, default) "
            "or skip and count them.",
        ),
        th.Property(
            "infer_sample_rows",
            th.IntegerType,
            description=f"Rows read to infer column types (default {DEFAULT_SAMPLE_ROWS}; "
            "0 = the whole export).",
        ),
        th.Property(
            "storage_options",
            th.ObjectType(additional_properties=True),
            secret=True,
            description="fsspec storage options for s3:// az:// gs:// sources (credentials, "
            "client_kwargs.endpoint_url, …).",
        ),
        th.Property(
            "auth",
            th.StringType(allowed_values=list(AUTH_MODES)),
            description="https sources: 'walkme' sends the WalkMe bearer token, 'none' a plain "
            "GET (signed links), 'auto' (default) the token only for query-less URLs on the "
            "WalkMe API host.",
        ),
        th.Property("system", th.StringType, description="WalkMe system the report comes from."),
        th.Property(
            "environment",
            th.StringType,
            description="WalkMe environment (e.g. Production, Test) the report comes from.",
        ),
    ]


REPORT_PROPERTIES = th.PropertiesList(
    th.Property("name", th.StringType, required=True, description="Stream name of the report."),
    th.Property(
        "source",
        th.StringType,
        required=True,
        description="Path/folder/glob, https:// URL, or s3:// az:// gs:// URL of the export.",
    ),
    th.Property(
        "key_column",
        th.StringType,
        required=True,
        description="Column holding the report's unique identifier (the primary key).",
    ),
    th.Property(
        "column_types",
        th.ObjectType(additional_properties=th.StringType(allowed_values=list(COLUMN_TYPES))),
        description=_TYPES_HELP,
    ),
    *_reading_options(per_report=True),
)


class TapWalkMeInsights(Tap):
    """Singer tap for WalkMe Insights report exports (CSV)."""

    name = "tap-walkme-insights"
    dynamic_catalog = True
    message_writer_class = SingerStdoutWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "reports",
            th.ArrayType(th.ObjectType(*REPORT_PROPERTIES.wrapped.values())),
            description="The reports to read, one stream each.",
        ),
        th.Property(
            "report_name",
            th.StringType,
            description="Single-report form: stream name (with source and key_column).",
        ),
        th.Property("source", th.StringType, description="Single-report form: the export."),
        th.Property("key_column", th.StringType, description="Single-report form: the key column."),
        th.Property(
            "column_types",
            th.ObjectType(additional_properties=th.StringType(allowed_values=list(COLUMN_TYPES))),
            description=f"Single-report form: {_TYPES_HELP}",
        ),
        th.Property("client_id", th.StringType, description="WalkMe API client id."),
        th.Property(
            "client_secret", th.StringType, secret=True, description="WalkMe API client secret."
        ),
        th.Property(
            "region",
            th.StringType(allowed_values=list(REGION_BASE_URLS)),
            default="us",
            description="WalkMe region, mapped to its API base URL.",
        ),
        th.Property(
            "base_url",
            th.StringType,
            description="Explicit WalkMe API base URL (overrides region).",
        ),
        th.Property(
            "request_timeout",
            th.NumberType,
            default=300,
            description="Seconds to wait for the server on each request.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=5,
            description="Retries on 429, 5xx, connection errors and cut-off downloads.",
        ),
        th.Property(
            "backoff_factor",
            th.NumberType,
            default=1.0,
            description="Seconds before the first retry, doubling each time (when the server "
            "sends no Retry-After).",
        ),
        *_reading_options(per_report=False),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the tap; third-party loggers are first kept from logging secrets."""
        protect_logs()
        super().__init__(*args, **kwargs)

    # -- shared clients -----------------------------------------------------------------------

    @cached_property
    def report_settings(self) -> list[ReportSettings]:
        """Configured reports (raises a config error naming the problem)."""
        try:
            return reports_from_config(self.config)
        except SettingsError as error:
            raise ConfigValidationError(str(error), errors=[str(error)]) from None

    @cached_property
    def base_url(self) -> str:
        """WalkMe API base URL from ``base_url`` or ``region``."""
        try:
            return resolve_base_url(self.config.get("region"), self.config.get("base_url"))
        except ValueError as error:
            raise ConfigValidationError(str(error), errors=[str(error)]) from None

    @cached_property
    def http(self) -> HttpClient:
        """HTTP client shared by all streams."""
        return HttpClient(
            RetryPolicy(
                max_retries=int(self.config.get("max_retries", 5)),
                backoff_factor=float(self.config.get("backoff_factor", 1.0)),
                timeout=float(self.config.get("request_timeout", 300)),
            )
        )

    @cached_property
    def token_provider(self) -> WalkMeTokenProvider | None:
        """WalkMe token provider when client credentials are configured."""
        client_id = self.config.get("client_id")
        client_secret = self.config.get("client_secret")
        if not (client_id and client_secret):
            return None
        return WalkMeTokenProvider(self.http, self.base_url, client_id, client_secret)

    # -- discovery ----------------------------------------------------------------------------

    def _discover(self, report: ReportSettings) -> ReportStream:
        source = build_source(report, self.http, self.token_provider, self.base_url)
        with source.sample() as (ref, handle):
            reader = ReportCsv(handle, report.csv, ref.label)
            rows = (cells for _, cells in reader.rows())
            if report.infer_sample_rows:
                rows = itertools.islice(rows, report.infer_sample_rows)
            layout = build_layout(
                reader.header,
                rows,
                key_column=report.key_column,
                column_types=report.column_types,
                label=ref.label,
            )
        return ReportStream(self, report, layout, source, ref.label)

    def discover_streams(self) -> list[ReportStream]:
        """One stream per configured report, its schema read from the newest export."""
        streams = []
        for report in self.report_settings:
            try:
                streams.append(self._discover(report))
            except (LayoutError, SourceError) as error:
                raise ConfigValidationError(str(error), errors=[str(error)]) from None
            except CsvFormatError as error:
                msg = f"Report {report.name!r}: {error}"
                raise ConfigValidationError(msg, errors=[msg]) from None
        return streams
