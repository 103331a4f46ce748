"""Per-stream integration settings: which sObject, which key, which fields, which policies.

The target's top-level settings describe one integration; ``streams`` may override any of them
per stream name so one target can serve several streams. :func:`resolve_integration` merges the
two and checks the shape of the result (not Salesforce: that is :mod:`.preflight`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .exceptions import TargetSalesforceUpdateError
from .settings import (
    DEFAULT_FAIL_ON,
    FAIL_ON_CHOICES,
    MATCH_STRATEGIES,
    MULTIPLE_MATCH_POLICIES,
    NULL_POLICIES,
    STREAM_KEYS,
    WRITE_METHODS,
    default,
)

__all__ = [
    "DEFAULT_FAIL_ON",
    "FAIL_ON_CHOICES",
    "INTEGRATION_KEYS",
    "MATCH_STRATEGIES",
    "MELTANO_TEST_STREAM",
    "MULTIPLE_MATCH_POLICIES",
    "NULL_POLICIES",
    "WRITE_METHODS",
    "Integration",
    "IntegrationConfigError",
    "environment_label",
    "has_integration",
    "resolve_integration",
]

#: The stream `meltano config test` sends; it never reaches Salesforce.
MELTANO_TEST_STREAM = "meltano_test_stream"

#: Settings a ``streams.<name>`` entry may override (the ``stream`` scope of :mod:`.settings`).
INTEGRATION_KEYS = STREAM_KEYS

DEFAULT_MATCH_FIELD: str = default("match_field")
DEFAULT_BULK_THRESHOLD: int = default("bulk_threshold")
DEFAULT_QUERY_BATCH_SIZE: int = default("query_batch_size")
MAX_QUERY_BATCH_SIZE = 2000


class IntegrationConfigError(TargetSalesforceUpdateError, ValueError):
    """The integration settings for a stream are missing or inconsistent."""


@dataclass(frozen=True)
class Integration:
    """Everything the sink needs to know about one stream's integration."""

    stream: str
    sobject: str
    match_property: str
    field_mapping: dict[str, str]
    match_field: str = DEFAULT_MATCH_FIELD
    multiple_matches: str = default("multiple_matches")
    null_values: str = default("null_values")
    write_method: str = default("write_method")
    match_strategy: str = default("match_strategy")
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD
    bulk_job_records: int = default("bulk_job_records")
    query_batch_size: int = DEFAULT_QUERY_BATCH_SIZE
    dry_run: bool = default("dry_run")
    fail_on: str = DEFAULT_FAIL_ON
    results_dir: str = default("results_dir")
    environment: str = field(default="")


def environment_label(config: Mapping[str, Any]) -> str:
    """The environment name for summaries: ``environment`` setting, else MELTANO_ENVIRONMENT."""
    return str(config.get("environment") or os.environ.get("MELTANO_ENVIRONMENT") or "")


def has_integration(config: Mapping[str, Any], stream: str) -> bool:
    """True when ``stream`` has an integration (its own entry or the top-level one)."""
    streams = config.get("streams") or {}
    return stream in streams or bool(config.get("sobject") or config.get("field_mapping"))


def resolve_integration(config: Mapping[str, Any], stream: str) -> Integration:
    """Merge top-level settings with ``streams[stream]`` and validate the result's shape.

    Raises:
        IntegrationConfigError: no integration for the stream, or a setting is invalid.
    """
    streams = config.get("streams") or {}
    if not isinstance(streams, Mapping):
        msg = "Setting 'streams' must be an object keyed by stream name."
        raise IntegrationConfigError(msg)
    if not has_integration(config, stream):
        configured = ", ".join(sorted(streams)) or "none"
        msg = (
            f"Stream '{stream}' has no integration (streams configured: {configured}). "
            f"Fix: set 'sobject', 'match_property' and 'field_mapping', or add "
            f"'streams.{stream}' with them."
        )
        raise IntegrationConfigError(msg)
    override = streams.get(stream) or {}
    if not isinstance(override, Mapping):
        msg = f"Setting 'streams.{stream}' must be an object."
        raise IntegrationConfigError(msg)
    unknown = sorted(set(override) - set(INTEGRATION_KEYS))
    if unknown:
        msg = (
            f"Unknown setting(s) under 'streams.{stream}': {', '.join(unknown)}. "
            f"Allowed: {', '.join(INTEGRATION_KEYS)}."
        )
        raise IntegrationConfigError(msg)
    merged: dict[str, Any] = {key: config.get(key) for key in INTEGRATION_KEYS}
    merged.update({key: value for key, value in override.items() if value is not None})
    where = f"streams.{stream}." if stream in streams else ""

    problems: list[str] = []
    sobject = str(merged.get("sobject") or "").strip()
    if not sobject:
        problems.append(f"'{where}sobject' is not set (e.g. Contact or Lead)")
    match_property = str(merged.get("match_property") or "").strip()
    if not match_property:
        problems.append(
            f"'{where}match_property' is not set (the report column holding the key, "
            "e.g. end_user_id)"
        )
    match_field = str(merged.get("match_field") or DEFAULT_MATCH_FIELD).strip()
    mapping = merged.get("field_mapping") or {}
    if not isinstance(mapping, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
        for k, v in mapping.items()
    ):
        problems.append(
            f"'{where}field_mapping' must map source property names to Salesforce field names"
        )
        mapping = {}
    elif not mapping:
        problems.append(
            f"'{where}field_mapping' is empty: map at least one source property to a "
            "Salesforce field"
        )
    policies = (
        ("multiple_matches", MULTIPLE_MATCH_POLICIES),
        ("null_values", NULL_POLICIES),
        ("write_method", WRITE_METHODS),
        ("match_strategy", MATCH_STRATEGIES),
    )
    chosen: dict[str, str] = {}
    for key, allowed in policies:
        value = str(merged.get(key) or default(key))
        if value not in allowed:
            problems.append(f"'{where}{key}' is '{value}'; use one of {', '.join(allowed)}")
        chosen[key] = value
    fail_on = _fail_on(merged, where, problems)
    bulk_threshold = _positive_int(merged, "bulk_threshold", DEFAULT_BULK_THRESHOLD, problems)
    bulk_job_records = _positive_int(
        merged, "bulk_job_records", default("bulk_job_records"), problems
    )
    query_batch_size = _positive_int(merged, "query_batch_size", DEFAULT_QUERY_BATCH_SIZE, problems)
    if query_batch_size > MAX_QUERY_BATCH_SIZE:
        problems.append(f"'{where}query_batch_size' must be at most {MAX_QUERY_BATCH_SIZE}")
    if problems:
        msg = f"Integration for stream '{stream}' is invalid: " + "; ".join(problems) + "."
        raise IntegrationConfigError(msg)
    return Integration(
        stream=stream,
        sobject=sobject,
        match_property=match_property,
        match_field=match_field,
        field_mapping={k.strip(): v.strip() for k, v in mapping.items()},
        multiple_matches=chosen["multiple_matches"],
        null_values=chosen["null_values"],
        write_method=chosen["write_method"],
        match_strategy=chosen["match_strategy"],
        bulk_threshold=bulk_threshold,
        bulk_job_records=bulk_job_records,
        query_batch_size=query_batch_size,
        dry_run=bool(merged.get("dry_run") or default("dry_run")),
        fail_on=fail_on,
        results_dir=str(config.get("results_dir") or default("results_dir")),
        environment=environment_label(config),
    )


def _fail_on(merged: Mapping[str, Any], where: str, problems: list[str]) -> str:
    """``fail_on``, else ``rejected_rows`` for the deprecated ``fail_on_rejections: true``."""
    value = merged.get("fail_on")
    if value is None or value == "":
        return "rejected_rows" if merged.get("fail_on_rejections") is True else DEFAULT_FAIL_ON
    if value not in FAIL_ON_CHOICES:
        problems.append(f"'{where}fail_on' is '{value}'; use one of {', '.join(FAIL_ON_CHOICES)}")
        return DEFAULT_FAIL_ON
    return str(value)


def _positive_int(merged: Mapping[str, Any], key: str, fallback: int, problems: list[str]) -> int:
    value = merged.get(key)
    if value is None:
        return fallback
    try:
        number = int(value)
    except (TypeError, ValueError):
        problems.append(f"'{key}' must be a whole number")
        return fallback
    if number < 1:
        problems.append(f"'{key}' must be at least 1")
        return fallback
    return number
