"""The floor of the Singer pipeline: a minimal singer-sdk target whose sink does nothing.

SDK defaults everywhere (record validation on, 10,000-row batches), so its cost is what the
SDK itself charges to read, parse and batch every RECORD. Usage:
``python noop_target.py --config FILE`` (an empty JSON object is enough). With
``BENCH_MSGSPEC=1`` in the environment it reads messages with singer-sdk's msgspec reader.
"""

from __future__ import annotations

import os

from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.sinks import BatchSink


class NoopSink(BatchSink):
    """Accepts every batch and drops it."""

    def process_batch(self, context: dict) -> None:
        """Nothing: the floor measures the SDK, not a destination."""


class NoopTarget(Target):
    """The minimal target; see the module docstring."""

    name = "noop-target"
    config_jsonschema = th.PropertiesList().to_dict()
    default_sink_class = NoopSink

    if os.environ.get("BENCH_MSGSPEC") == "1":
        from singer_sdk.contrib.msgspec import MsgSpecReader

        message_reader_class = MsgSpecReader


if __name__ == "__main__":
    NoopTarget.cli()
