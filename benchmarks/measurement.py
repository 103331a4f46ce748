"""One measured row of the results table, and the names of the pipelines the table compares."""

from __future__ import annotations

from dataclasses import dataclass, field

PIPELINE = "tap → target"
NOOP = "no-op SDK floor"
NOOP_MSGSPEC = "no-op SDK floor, msgspec"


@dataclass
class Measurement:
    """One row of the results table."""

    rows: int
    latency_ms: int
    pipeline: str
    wall_s: float
    api_calls: int | None = None
    calls_by_kind: dict[str, int] = field(default_factory=dict)
    records_updated: int | None = None
    rerun_update_calls: int | None = None
    rerun_wall_s: float | None = None
    tap_rss_mb: float | None = None
    target_rss_mb: float | None = None
    tap_cpu_s: float | None = None
    target_cpu_s: float | None = None
    emulator_cpu_s: float | None = None
    #: The target's match strategy (summary.json ``match_strategy`` or its log line).
    match_strategy: str | None = None
    note: str = ""

    @property
    def rows_per_s(self) -> float:
        """Throughput over the whole wall time."""
        return self.rows / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_s(self) -> float | None:
        """Tap + target CPU seconds (``None`` when neither was measured)."""
        if self.tap_cpu_s is None and self.target_cpu_s is None:
            return None
        return (self.tap_cpu_s or 0.0) + (self.target_cpu_s or 0.0)
