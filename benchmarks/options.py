"""The command line of ``run.py`` and the plan it resolves to: which sizes, latencies, baselines
and target settings to measure (``--quick`` and the full preset, narrowed by options)."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any

from linearity import DEFAULT_PROBE_ROWS
from paths import WORK

#: Each size runs at ``latencies`` plus its ``extra_latencies`` (unless --latencies is given).
FULL: dict[str, Any] = {
    "sizes": [5_000, 10_000, 100_000, 1_000_000],
    "latencies": [0],
    "extra_latencies": {100_000: [100]},
    "meltano": [100_000],
}
QUICK: dict[str, Any] = {
    "sizes": [1_000, 10_000],
    "latencies": [0],
    "extra_latencies": {10_000: [100]},
    "meltano": [],
}


@dataclass
class Plan:
    """What to measure, resolved from the preset and the options."""

    sizes: list[int]
    latencies: list[int]
    #: Latencies run at one size only, on top of ``latencies``.
    extra_latencies: dict[int, list[int]]
    meltano_sizes: list[int]
    naive_sample: int
    #: Target settings for every run (``--target-setting``).
    extra: dict[str, Any]
    #: ``(name, settings)`` of each ``--variant``.
    variants: list[tuple[str, dict[str, Any]]]

    def latencies_at(self, size: int) -> list[int]:
        """Every latency measured at ``size``, in order."""
        return sorted({*self.latencies, *self.extra_latencies.get(size, [])})


def parse_args(argv: list[str] | None = None, description: str = "") -> argparse.Namespace:
    """Command-line options (sizes, latencies and baselines can be narrowed for quick checks)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="1k and 10k rows at 0 ms, 10k at 100 ms (< 2 min)"
    )
    parser.add_argument("--sizes", help="comma-separated row counts (overrides the preset)")
    parser.add_argument("--latencies", help="comma-separated ms per call (overrides the preset)")
    parser.add_argument("--meltano", help="comma-separated sizes also run via `meltano run`")
    parser.add_argument(
        "--naive-sample", type=int, default=None, help="rows the naive client really runs"
    )
    parser.add_argument(
        "--probe-rows",
        type=int,
        default=DEFAULT_PROBE_ROWS,
        help="rows of the fixed-cost probe run first at 0 ms (0: none; marginal costs need it)",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument("--no-noop", action="store_true", help="skip the no-op floor")
    parser.add_argument(
        "--no-rerun", action="store_true", help="skip the unchanged re-run (saves half the time)"
    )
    parser.add_argument(
        "--target-setting",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="extra target setting for every run, e.g. batch_size_rows=50000 (repeatable)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:KEY=JSON[,KEY=JSON]",
        help="also run tap → target with these target settings (no re-run), e.g. "
        "'one-batch:batch_size_rows=100000'; measured beside the default in the same run",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per pipeline run")
    parser.add_argument("--json-out", default=str(WORK / "last-run.json"))
    return parser.parse_args(argv)


def plan_of(args: argparse.Namespace) -> Plan:
    """The preset (``--quick`` or full) with the options' overrides applied."""
    preset = QUICK if args.quick else FULL
    return Plan(
        sizes=_ints(args.sizes, preset["sizes"]),
        latencies=_ints(args.latencies, preset["latencies"]),
        extra_latencies={} if args.latencies else preset["extra_latencies"],
        meltano_sizes=_ints(args.meltano, preset["meltano"]),
        naive_sample=args.naive_sample or (50 if args.quick else 200),
        extra=_settings(args.target_setting),
        variants=[_variant(text) for text in args.variant],
    )


def _ints(text: str | None, default: list[int]) -> list[int]:
    return default if text is None else [int(x) for x in text.split(",") if x.strip()]


def _settings(pairs: list[str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        try:
            settings[key] = json.loads(raw)
        except json.JSONDecodeError:
            settings[key] = raw
    return settings


def _variant(text: str) -> tuple[str, dict[str, Any]]:
    name, _, pairs = text.partition(":")
    return name, _settings([p for p in pairs.split(",") if p])
