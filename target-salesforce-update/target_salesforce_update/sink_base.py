"""The SDK hooks every sink of this target shares."""

from __future__ import annotations

import typing as t

from singer_sdk.sinks import BatchSink

from .settings import default


class SalesforceSinkBase(BatchSink):
    """Record validation and timestamp handling common to every sink of this target."""

    MAX_SIZE_DEFAULT = 10000

    @property
    def validate_schema(self) -> bool:  # type: ignore[override]
        """JSON-schema validation of records; off unless ``validate_records`` is true."""
        return bool(self.config.get("validate_records", default("validate_records")))

    def _parse_timestamps_in_record(self, record: dict, schema: dict, treatment: t.Any) -> None:
        """Leave values as sent: :mod:`.coercion` parses dates per field type and rejects the
        row when one is invalid, where the SDK would stop the whole run."""
