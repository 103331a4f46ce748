"""Helpers for the tap tests: an in-process tap run that keeps its messages and logs."""

from __future__ import annotations

import io
import json
import logging
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import pytest
from tap_walkme_insights.tap import TapWalkMeInsights


@dataclass
class TapRun:
    """Messages written by one sync."""

    messages: list[dict[str, Any]]
    logs: str = ""
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for message in self.messages:
            if message["type"] == "RECORD":
                self.records.setdefault(message["stream"], []).append(message["record"])

    @property
    def state(self) -> dict[str, Any]:
        """The last STATE message's value."""
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else {}

    def schema(self, stream: str) -> dict[str, Any]:
        """The SCHEMA message's schema for ``stream``."""
        return next(
            m["schema"] for m in self.messages if m["type"] == "SCHEMA" and m["stream"] == stream
        )


def run_tap(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    caplog: pytest.LogCaptureFixture | None = None,
) -> TapRun:
    """Discover and sync in-process (like `tap-walkme-insights --config …`), keeping output."""
    buffer = io.StringIO()
    if caplog is not None:
        caplog.set_level(logging.INFO)
        caplog.clear()
    with redirect_stdout(buffer):
        tap = TapWalkMeInsights(config=config, state=state or {}, parse_env_config=False)
        tap.sync_all()
    messages = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    return TapRun(messages, logs=caplog.text if caplog is not None else "")
