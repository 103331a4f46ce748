"""PASS/FAIL lines for the targets of issue 17, each beside its baseline figures.

Only what the run measured is judged; every line names the figure, the baselines it is
compared with (``baseline.json``) and the target. Item 3 (linearity) judges the *marginal*
tap + target CPU per 1k rows — see :mod:`linearity` and benchmarks/README.md for why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from baseline import Baseline, was, was_derived
from linearity import (
    LINEARITY_SIZES,
    MAX_LINEARITY_RATIO,
    CostPer1k,
    costs,
    describe_costs,
    probe_row,
    spread,
)
from measurement import PIPELINE, Measurement

#: Item 1: most API calls of the default pipeline per report size (object of the same size).
MAX_CALLS = {5_000: 10, 1_000_000: 30}
#: Item 2: 1M rows, tap → target at 0 ms.
LEAN_ROWS = 1_000_000
MAX_WALL_S = 60.0
MAX_TARGET_CPU_S = 40.0
MAX_TAP_CPU_S = 20.0
MAX_TARGET_RSS_MB = 200.0
MAX_TAP_RSS_MB = 150.0
#: Item 4: wall at this latency over wall at 0 ms, at this size.
LATENCY_ROWS = 100_000
LATENCY_MS = 100
MAX_LATENCY_RATIO = 1.3


def size_label(rows: int) -> str:
    """1M, 100k, 10k, 5k, 100 rows — as the issue names them."""
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows >= 1_000 and rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return f"{rows:,} rows"


def _seconds(value: float) -> str:
    return f"{value:.1f} s"


def _mb(value: float) -> str:
    return f"{value:.0f} MB"


def _calls(value: float) -> str:
    return f"{value:,.0f}"


def _verdict(ok: bool, text: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}  {text}"


def _beside(baseline_text: str, target: str) -> str:
    return f"({baseline_text}; target {target})" if baseline_text else f"(target {target})"


def _pipelines(rows: Sequence[Measurement]) -> list[Measurement]:
    return [r for r in rows if r.pipeline == PIPELINE]


def find_run(rows: Sequence[Measurement], size: int, latency_ms: int) -> Measurement | None:
    """The tap → target run of ``size`` rows at ``latency_ms``, if the run measured it."""
    return next(
        (r for r in _pipelines(rows) if r.rows == size and r.latency_ms == latency_ms), None
    )


def _strategy(row: Measurement) -> str:
    return f" [{row.match_strategy}]" if row.match_strategy else ""


def check_calls(rows: Sequence[Measurement], baselines: Sequence[Baseline]) -> list[str]:
    """Item 1: API calls at 5,000 rows ≤ 10 and at 1M rows ≤ 30."""
    out = []
    for row in _pipelines(rows):
        limit = MAX_CALLS.get(row.rows)
        if limit is None or row.api_calls is None:
            continue
        old = was(baselines, row.rows, row.latency_ms, "api_calls", _calls)
        out.append(
            _verdict(
                row.api_calls <= limit,
                f"{size_label(row.rows)} @ {row.latency_ms} ms: API calls {row.api_calls:,}"
                f"{_strategy(row)} {_beside(old, f'≤ {limit}')}",
            )
        )
    return out


def check_lean(rows: Sequence[Measurement], baselines: Sequence[Baseline]) -> list[str]:
    """Item 2: 1M rows at 0 ms — wall, target and tap CPU, target and tap peak RSS."""
    row = find_run(rows, LEAN_ROWS, 0)
    if row is None:
        return []
    where = f"{size_label(LEAN_ROWS)} @ 0 ms"
    checks: list[tuple[str, str, float | None, float, Callable[[float], str]]] = [
        ("wall", "wall_s", row.wall_s, MAX_WALL_S, _seconds),
        ("target CPU", "target_cpu_s", row.target_cpu_s, MAX_TARGET_CPU_S, _seconds),
        ("tap CPU", "tap_cpu_s", row.tap_cpu_s, MAX_TAP_CPU_S, _seconds),
        ("target peak RSS", "target_rss_mb", row.target_rss_mb, MAX_TARGET_RSS_MB, _mb),
        ("tap peak RSS", "tap_rss_mb", row.tap_rss_mb, MAX_TAP_RSS_MB, _mb),
    ]
    out = []
    for title, name, value, limit, fmt in checks:
        old = was(baselines, LEAN_ROWS, 0, name, fmt)
        bound = f"{limit:g} {fmt(limit).split()[-1]}"  # "60 s", "200 MB"
        if value is None:
            out.append(f"FAIL  {where}: {title} not measured {_beside(old, f'≤ {bound}')}")
            continue
        out.append(
            _verdict(value <= limit, f"{where}: {title} {fmt(value)} {_beside(old, f'≤ {bound}')}")
        )
    return out


def _baseline_raw_cpu(size: int) -> Callable[[Baseline], float | None]:
    def compute(baseline: Baseline) -> float | None:
        tap = baseline.figure(size, 0, "tap_cpu_s")
        target = baseline.figure(size, 0, "target_cpu_s")
        return None if tap is None or target is None else (tap + target) / (size / 1000)

    return compute


def check_linearity(
    rows: Sequence[Measurement], baselines: Sequence[Baseline], probe_rows: int
) -> list[str]:
    """Item 3: cost per 1k rows at 10k, 100k and 1M (raw and marginal, printed); the PASS/FAIL
    line judges the marginal tap + target CPU's largest/smallest ratio (≤ 1.3)."""
    all_costs = costs(rows, probe_rows)
    probe = probe_row(rows, probe_rows)
    out = describe_costs(all_costs, probe)
    judged: list[CostPer1k] = [c for c in all_costs if c.rows in LINEARITY_SIZES]
    sizes = ", ".join(size_label(c.rows) for c in judged) or "none"
    target = f"≤ {MAX_LINEARITY_RATIO} x"
    if len(judged) < 2:
        out.append(
            f"INFO  linearity not judged: needs at least two of "
            f"{', '.join(size_label(s) for s in LINEARITY_SIZES)} at 0 ms (measured: {sizes})"
        )
        return out
    if probe is None:
        out.append(
            "FAIL  linearity not judged: no fixed-cost probe in this run (--probe-rows), so "
            "the marginal cost per 1k rows is unknown"
        )
        return out
    largest = max(judged, key=lambda c: c.rows)
    old = was_derived(
        baselines,
        _baseline_raw_cpu(largest.rows),
        lambda v: f"{v:.3f} s",
    )
    baseline_text = (
        f"raw CPU per 1k at {size_label(largest.rows)} {old}" if old else "no baseline measured"
    )
    cpu_ratio = spread([c.marginal_cpu for c in judged])
    wall_ratio = spread([c.marginal_wall for c in judged])
    raw_cpu_ratio = spread([c.raw_cpu for c in judged])
    context = (
        f"not judged: marginal wall {_ratio(wall_ratio)}, raw CPU {_ratio(raw_cpu_ratio)}; "
        f"{baseline_text}; target {target}"
    )
    if cpu_ratio is None:
        out.append(
            f"FAIL  linearity {sizes}: marginal tap+target CPU per 1k rows not measurable "
            f"(CPU missing or not above the probe's) ({context})"
        )
        return out
    values = [c.marginal_cpu for c in judged if c.marginal_cpu is not None]
    out.append(
        _verdict(
            cpu_ratio <= MAX_LINEARITY_RATIO,
            f"linearity {sizes}: marginal tap+target CPU per 1k rows "
            f"{min(values):.3f}-{max(values):.3f} s, largest/smallest {cpu_ratio:.2f} x "
            f"({context})",
        )
    )
    return out


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} x"


def check_latency(rows: Sequence[Measurement], baselines: Sequence[Baseline]) -> list[str]:
    """Item 4: at 100k rows, wall at 100 ms ≤ 1.3 x wall at 0 ms (other sizes: INFO)."""
    out = []
    sizes = sorted({r.rows for r in _pipelines(rows) if r.latency_ms == LATENCY_MS})
    for size in sizes:
        slow, fast = find_run(rows, size, LATENCY_MS), find_run(rows, size, 0)
        if slow is None or fast is None or not fast.wall_s:
            continue
        ratio = slow.wall_s / fast.wall_s
        text = (
            f"{size_label(size)} @ {LATENCY_MS} ms: wall {slow.wall_s:.1f} s = {ratio:.2f} x "
            f"the 0 ms wall {fast.wall_s:.1f} s"
        )
        if size != LATENCY_ROWS:
            out.append(
                f"INFO  {text} (issue 17 judges this at {size_label(LATENCY_ROWS)}, "
                f"≤ {MAX_LATENCY_RATIO} x)"
            )
            continue

        def old_ratio(baseline: Baseline, size: int = size) -> float | None:
            before = baseline.figure(size, LATENCY_MS, "wall_s")
            zero = baseline.figure(size, 0, "wall_s")
            return before / zero if before is not None and zero else None

        old = was_derived(baselines, old_ratio, lambda v: f"{v:.2f} x")
        out.append(
            _verdict(
                ratio <= MAX_LATENCY_RATIO, f"{text} {_beside(old, f'≤ {MAX_LATENCY_RATIO} x')}"
            )
        )
    return out


def check_issue17(
    rows: Sequence[Measurement], baselines: Sequence[Baseline], probe_rows: int
) -> list[str]:
    """Every issue-17 line this run can judge, in the issue's order (items 1-4)."""
    return [
        *check_calls(rows, baselines),
        *check_lean(rows, baselines),
        *check_linearity(rows, baselines, probe_rows),
        *check_latency(rows, baselines),
    ]
