"""Report settings: the ``reports`` array or the flat single-report settings, with defaults.

A report is described either in ``reports`` (one object per report) or — one report per plugin,
handy with Meltano's ``inherit_from`` — by the flat settings ``report_name``, ``source``,
``key_column`` and ``column_types``. Reading options (``encoding``, ``delimiter``,
``ragged_rows``, ``duplicate_keys``, ``infer_sample_rows``, ``storage_options``, ``system``,
``environment``…) may be set at the top level as defaults and per report as overrides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tap_walkme_insights.csv_reader import CsvOptions
from tap_walkme_insights.dedupe import DUPLICATE_POLICIES
from tap_walkme_insights.errors import TapWalkMeInsightsError
from tap_walkme_insights.inference import COLUMN_TYPES

STREAM_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
AUTH_MODES = ("auto", "walkme", "none")
DEFAULT_SAMPLE_ROWS = 10_000

# Options a report may override; the top-level value is the default.
INHERITED_OPTIONS = (
    "encoding",
    "encoding_errors",
    "delimiter",
    "ragged_rows",
    "duplicate_keys",
    "infer_sample_rows",
    "storage_options",
    "system",
    "environment",
    "auth",
)


class SettingsError(TapWalkMeInsightsError, ValueError):
    """The configuration is inconsistent; the message says which setting and how to fix it."""


@dataclass(frozen=True)
class ReportSettings:
    """Everything needed to read one report as one stream."""

    name: str
    source: str
    key_column: str
    column_types: dict[str, str] = field(default_factory=dict)
    duplicate_keys: str = "last"
    auth: str = "auto"
    csv: CsvOptions = field(default_factory=CsvOptions)
    infer_sample_rows: int = DEFAULT_SAMPLE_ROWS
    storage_options: dict[str, Any] = field(default_factory=dict)
    system: str | None = None
    environment: str | None = None


def _report_from(raw: Mapping[str, Any], defaults: Mapping[str, Any], where: str) -> ReportSettings:
    def pick(option: str, fallback: Any = None) -> Any:
        value = raw.get(option)
        if value is None:
            value = defaults.get(option)
        return fallback if value is None else value

    name = raw.get("name")
    source = raw.get("source")
    key_column = raw.get("key_column")
    missing = [
        label
        for label, value in (("name", name), ("source", source), ("key_column", key_column))
        if not value
    ]
    if missing:
        msg = f"{where}: missing {', '.join(missing)} (a report needs name, source, key_column)."
        raise SettingsError(msg)
    if not STREAM_NAME_RE.match(str(name)):
        msg = (
            f"{where}: report name {name!r} is not a valid stream name; use letters, digits, "
            "'_' and '-', starting with a letter or '_'."
        )
        raise SettingsError(msg)
    column_types = dict(raw.get("column_types") or {})
    for column, column_type in column_types.items():
        if column_type not in COLUMN_TYPES:
            msg = (
                f"{where}: column_types[{column!r}] is {column_type!r}; use one of "
                f"{', '.join(COLUMN_TYPES)}."
            )
            raise SettingsError(msg)
    duplicate_keys = pick("duplicate_keys", "last")
    if duplicate_keys not in DUPLICATE_POLICIES:
        msg = f"{where}: duplicate_keys must be one of {', '.join(DUPLICATE_POLICIES)}."
        raise SettingsError(msg)
    auth = pick("auth", "auto")
    if auth not in AUTH_MODES:
        msg = f"{where}: auth must be one of {', '.join(AUTH_MODES)}."
        raise SettingsError(msg)
    sample_rows = int(pick("infer_sample_rows", DEFAULT_SAMPLE_ROWS))
    if sample_rows < 0:
        msg = f"{where}: infer_sample_rows must be 0 (whole export) or more."
        raise SettingsError(msg)
    try:
        csv_options = CsvOptions(
            encoding=pick("encoding", "utf-8"),
            encoding_errors=pick("encoding_errors", "strict"),
            delimiter=pick("delimiter", ","),
            ragged_rows=pick("ragged_rows", "fail"),
        )
    except ValueError as error:
        raise SettingsError(f"{where}: {error}") from None
    return ReportSettings(
        name=str(name),
        source=str(source),
        key_column=str(key_column),
        column_types=column_types,
        duplicate_keys=duplicate_keys,
        auth=auth,
        csv=csv_options,
        infer_sample_rows=sample_rows,
        storage_options=dict(pick("storage_options", {}) or {}),
        system=pick("system"),
        environment=pick("environment"),
    )


def reports_from_config(config: Mapping[str, Any]) -> list[ReportSettings]:
    """Return the configured reports (``reports`` array, or the flat single-report settings)."""
    defaults = {option: config.get(option) for option in INHERITED_OPTIONS}
    raw_reports = list(config.get("reports") or [])
    flat_used = any(config.get(option) for option in ("report_name", "source", "key_column"))
    if raw_reports and flat_used:
        msg = (
            "Both `reports` and the flat single-report settings (report_name/source/key_column) "
            "are set; use one or the other."
        )
        raise SettingsError(msg)
    if flat_used:
        flat = {
            "name": config.get("report_name"),
            "source": config.get("source"),
            "key_column": config.get("key_column"),
            "column_types": config.get("column_types"),
        }
        return [_report_from(flat, defaults, "flat report settings")]
    if not raw_reports:
        msg = (
            "No report configured: set `reports` (a list of {name, source, key_column, …}) or "
            "the flat settings report_name, source and key_column."
        )
        raise SettingsError(msg)
    reports = [
        _report_from(raw, defaults, f"reports[{index}]") for index, raw in enumerate(raw_reports)
    ]
    names = [report.name for report in reports]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        msg = f"Report names must be unique (they are stream names); repeated: {duplicates}."
        raise SettingsError(msg)
    return reports
