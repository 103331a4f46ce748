"""The client's tuning settings, read and checked once (defaults and meaning in
:mod:`target_salesforce_update.settings`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import ConfigurationError
from ..settings import default

__all__ = ["DEFAULT_API_VERSION", "MAX_CONCURRENCY", "Tuning"]

DEFAULT_API_VERSION: str = default("api_version")
#: The number of long-running requests Salesforce allows per org at once.
MAX_CONCURRENCY = 25


def _normalise_version(value: Any) -> str:
    text = str(value or DEFAULT_API_VERSION).strip().lstrip("vV")
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ConfigurationError(f"api_version {value!r} is not a version such as 67.0")
    return text if "." in text else f"{text}.0"


def _positive(config: Mapping[str, Any], key: str, *, integer: bool) -> Any:
    """Setting ``key`` (its :mod:`.settings` default when unset) as a positive number."""
    value = config.get(key)
    if value is None:
        value = default(key)
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{key} must be a number, got {value!r}") from None
    if number < 0 or (number == 0 and key != "max_retries"):
        raise ConfigurationError(f"{key} must be positive, got {value!r}")
    return number


@dataclass
class Tuning:
    """``api_version``, timeouts, retries, concurrency, the usage ceiling and Bulk limits."""

    api_version: str
    request_timeout: float
    max_retries: int
    max_concurrency: int
    max_daily_api_usage_percent: float
    retry_backoff_base: float
    bulk_poll_timeout: float
    bulk_max_upload_bytes: int = 100 * 1024 * 1024

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Tuning:
        tuning = cls(
            api_version=_normalise_version(config.get("api_version")),
            request_timeout=_positive(config, "request_timeout", integer=False),
            max_retries=_positive(config, "max_retries", integer=True),
            max_concurrency=_positive(config, "max_concurrency", integer=True),
            max_daily_api_usage_percent=_positive(
                config, "max_daily_api_usage_percent", integer=False
            ),
            retry_backoff_base=_positive(config, "retry_backoff_base", integer=False),
            bulk_poll_timeout=_positive(config, "bulk_poll_timeout", integer=False),
        )
        if tuning.max_concurrency > MAX_CONCURRENCY:
            raise ConfigurationError(
                f"max_concurrency {tuning.max_concurrency} is above {MAX_CONCURRENCY}, the "
                "number of long-running requests Salesforce allows per org at once: lower it"
            )
        return tuning
