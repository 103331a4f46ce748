"""Cost per 1k rows, raw and with the fixed start-up cost removed (issue 17, item 3).

*Raw* cost per 1k rows at N rows = the run's figure / (N / 1,000). It includes the fixed cost
every run pays whatever its size (imports, login, describe, the ``COUNT()``, the first polls of
the Bulk jobs), which dominates a 10k-row run, so raw figures fall with size even when the
per-row work is perfectly linear.

*Marginal* cost per 1k rows at N rows = (figure at N - figure of the fixed-cost probe, a tiny
report measured in the same run) / ((N - probe rows) / 1,000): the slope between the probe and
N. This is the per-row cost that scaling is about.

Figures: ``wall`` = wall seconds of the first tap → target run; ``cpu`` = tap CPU + target CPU
seconds (the emulator's CPU is the test double's, not the product's, and is left out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from measurement import PIPELINE, Measurement

#: The sizes issue 17 names for the linearity target, and the largest/smallest ratio allowed.
LINEARITY_SIZES = (10_000, 100_000, 1_000_000)
MAX_LINEARITY_RATIO = 1.3
#: Rows of the fixed-cost probe `make bench` runs first (0 disables it).
DEFAULT_PROBE_ROWS = 100


@dataclass(frozen=True)
class CostPer1k:
    """Raw and marginal cost per 1k rows of one tap → target run at 0 ms."""

    rows: int
    wall_s: float
    cpu_s: float | None
    raw_wall: float
    raw_cpu: float | None
    marginal_wall: float | None
    marginal_cpu: float | None
    match_strategy: str = ""


def probe_row(rows: Sequence[Measurement], probe_rows: int) -> Measurement | None:
    """The fixed-cost probe: the default pipeline at 0 ms on ``probe_rows`` rows."""
    if probe_rows <= 0:
        return None
    return next(
        (r for r in rows if r.pipeline == PIPELINE and r.latency_ms == 0 and r.rows == probe_rows),
        None,
    )


def cost_of(row: Measurement, probe: Measurement | None) -> CostPer1k:
    """Raw and (with a probe smaller than the run) marginal cost per 1k rows of ``row``."""
    thousands = row.rows / 1000
    cpu = row.cpu_s
    marginal_wall = marginal_cpu = None
    if probe is not None and probe.rows < row.rows:
        extra = (row.rows - probe.rows) / 1000
        marginal_wall = (row.wall_s - probe.wall_s) / extra
        probe_cpu = probe.cpu_s
        if cpu is not None and probe_cpu is not None:
            marginal_cpu = (cpu - probe_cpu) / extra
    return CostPer1k(
        rows=row.rows,
        wall_s=row.wall_s,
        cpu_s=cpu,
        raw_wall=row.wall_s / thousands,
        raw_cpu=None if cpu is None else cpu / thousands,
        marginal_wall=marginal_wall,
        marginal_cpu=marginal_cpu,
        match_strategy=row.match_strategy or "",
    )


def costs(rows: Sequence[Measurement], probe_rows: int) -> list[CostPer1k]:
    """Cost per 1k rows of every default-pipeline run at 0 ms larger than the probe, by size."""
    probe = probe_row(rows, probe_rows)
    runs = [
        r
        for r in rows
        if r.pipeline == PIPELINE and r.latency_ms == 0 and (probe is None or r.rows > probe.rows)
    ]
    return [cost_of(r, probe) for r in sorted(runs, key=lambda r: r.rows)]


def spread(values: Sequence[float | None]) -> float | None:
    """Largest / smallest of ``values`` (None if fewer than two, any is missing or ≤ 0)."""
    if len(values) < 2 or any(v is None or v <= 0 for v in values):
        return None
    present = [v for v in values if v is not None]
    return max(present) / min(present)


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


def describe_costs(costs_: Sequence[CostPer1k], probe: Measurement | None) -> list[str]:
    """The cost-per-1k lines printed above the PASS/FAIL lines."""
    if not costs_:
        return []
    if probe is None:
        head = "Cost per 1k rows, tap → target at 0 ms (no fixed-cost probe in this run):"
    else:
        head = (
            f"Cost per 1k rows, tap → target at 0 ms; fixed cost = the {probe.rows:,}-row run "
            f"(wall {probe.wall_s:.2f} s, tap+target CPU "
            f"{_s(probe.cpu_s).removesuffix(' s')} s):"
        )
    lines = [head]
    for cost in costs_:
        strategy = f" [{cost.match_strategy}]" if cost.match_strategy else ""
        lines.append(
            f"  {cost.rows:>9,} rows{strategy}: raw wall {_s(cost.raw_wall)}, CPU "
            f"{_s(cost.raw_cpu)}; marginal wall {_s(cost.marginal_wall)}, CPU "
            f"{_s(cost.marginal_cpu)}"
        )
    return lines
