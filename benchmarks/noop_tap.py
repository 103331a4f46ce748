"""The floor of the Singer pipeline: a minimal singer-sdk tap over the same CSV export.

One stream, read with ``csv.DictReader``, every column a string property named like the real
tap names it (snake_case). No inference, no dedupe, no state logic — what any singer-sdk tap
costs to turn CSV rows into RECORD messages. Usage: ``python noop_tap.py --config FILE``
with ``{"path": "...csv", "key_column": "End User ID"}``.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk import typing as th


def property_name(header: str) -> str:
    """A header in snake_case, the way the real tap names its properties (simplified)."""
    text = header.lower().replace("%", "pct").replace("#", "number").replace("&", "and")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


class CsvStream(Stream):
    """Every row of the CSV as one record of string properties."""

    name = "onboarding"

    def __init__(self, tap: Tap) -> None:
        path = tap.config["path"]
        with open(path, newline="", encoding="utf-8") as handle:
            self.headers = next(csv.reader(handle))
        self.names = [property_name(h) for h in self.headers]
        schema = th.PropertiesList(*(th.Property(n, th.StringType) for n in self.names))
        super().__init__(tap, schema=schema.to_dict(), name=self.name)
        self.primary_keys = [property_name(tap.config["key_column"])]

    def get_records(self, context: dict | None) -> Iterable[dict[str, Any]]:
        """Rows of the CSV, renamed to property names."""
        with open(self.config["path"], newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader)
            for row in reader:
                yield dict(zip(self.names, row, strict=False))


class NoopTap(Tap):
    """The minimal tap; see the module docstring."""

    name = "noop-tap"
    config_jsonschema = th.PropertiesList(
        th.Property("path", th.StringType, required=True),
        th.Property("key_column", th.StringType, required=True),
    ).to_dict()

    if os.environ.get("BENCH_MSGSPEC") == "1":
        from singer_sdk.contrib.msgspec import MsgSpecWriter

        message_writer_class = MsgSpecWriter

    def discover_streams(self) -> list[Stream]:
        """The one CSV stream."""
        return [CsvStream(self)]


if __name__ == "__main__":
    NoopTap.cli()
