"""The results table and the issue-7 target checks, both computed from measurements only.

Issue 17's checks: issue17_targets.py.
"""

from __future__ import annotations

from measurement import NOOP, NOOP_MSGSPEC, PIPELINE, Measurement
from minimum import Minimum

HEADERS = (
    "rows",
    "latency",
    "pipeline",
    "match strategy",
    "wall s",
    "rows/s",
    "API calls",
    "min calls",
    "x min",
    "re-run writes",
    "tap RSS MB",
    "target RSS MB",
    "tap CPU s",
    "target CPU s",
    "emulator CPU s",
    "x floor",
    "CPU x floor",
    "naive ÷ this",
)
MAX_CALL_RATIO = 1.1
MAX_FLOOR_RATIO = 1.5
MIN_NAIVE_SPEEDUP = 50
MAX_1M_SECONDS = 300
MAX_TARGET_RSS_MB = 300
MAX_TAP_RSS_MB = 200


def _floor(rows: list[Measurement], size: int) -> Measurement | None:
    return next((r for r in rows if r.rows == size and r.pipeline == NOOP), None)


def _naive(rows: list[Measurement], size: int, latency: int) -> Measurement | None:
    return next(
        (
            r
            for r in rows
            if r.rows == size and r.latency_ms == latency and r.pipeline.startswith("naive")
        ),
        None,
    )


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _cpu_ratio(row: Measurement, floor: Measurement) -> str:
    mine, base = row.cpu_s, floor.cpu_s
    return f"{mine / base:.2f}" if mine and base else "—"


def render_table(rows: list[Measurement], minimums: dict[int, Minimum]) -> str:
    """A Markdown table (readable in a terminal too), one line per measurement."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in rows:
        minimum = minimums.get(row.rows)
        is_pipeline = row.pipeline.startswith(PIPELINE) or row.pipeline == "meltano run"
        floor = _floor(rows, row.rows)
        naive = _naive(rows, row.rows, row.latency_ms)
        cells = [
            f"{row.rows:,}",
            "—" if row.pipeline in {NOOP, NOOP_MSGSPEC} else f"{row.latency_ms} ms",
            row.pipeline + (" *" if row.note else ""),
            row.match_strategy or "—",
            f"{row.wall_s:.2f}",
            f"{row.rows_per_s:,.0f}",
            "—" if row.api_calls is None else f"{row.api_calls:,}",
            f"{minimum.total:,}" if minimum and row.api_calls is not None else "—",
            (
                f"{row.api_calls / minimum.total:.2f}"
                if minimum and row.api_calls is not None
                else "—"
            ),
            "—" if row.rerun_update_calls is None else str(row.rerun_update_calls),
            _fmt(row.tap_rss_mb, ".0f"),
            _fmt(row.target_rss_mb, ".0f"),
            _fmt(row.tap_cpu_s, ".1f"),
            _fmt(row.target_cpu_s, ".1f"),
            _fmt(row.emulator_cpu_s, ".1f"),
            f"{row.wall_s / floor.wall_s:.2f}" if floor and is_pipeline else "—",
            _cpu_ratio(row, floor) if floor and is_pipeline else "—",
            f"{naive.wall_s / row.wall_s:.0f}" if naive and is_pipeline else "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        f"* {r.pipeline} at {r.rows:,} rows, {r.latency_ms} ms: {r.note}" for r in rows if r.note
    ]
    kinds = [
        f"- {r.rows:,} rows, {r.latency_ms} ms, {r.pipeline}: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(r.calls_by_kind.items()))
        for r in rows
        if r.calls_by_kind
    ]
    mins = [
        f"- {size:,} rows: {m.distinct_keys:,} distinct keys → 1 describe + "
        f"{m.queries:,} queries + {m.writes:,} write calls = {m.total:,}"
        for size, m in sorted(minimums.items())
    ]
    return "\n".join(
        [*lines, "", *notes, "", "Calls by kind:", *kinds, "", "Minimum calls:", *mins]
    )


def check_targets(rows: list[Measurement], minimums: dict[int, Minimum]) -> list[str]:
    """One PASS/FAIL line per issue-7 target that this run measured."""
    out: list[str] = []

    def verdict(ok: bool, text: str) -> None:
        out.append(f"{'PASS' if ok else 'FAIL'}  {text}")

    for row in rows:
        if row.pipeline != PIPELINE:
            continue
        where = f"{row.rows:,} rows @ {row.latency_ms} ms"
        minimum = minimums.get(row.rows)
        if minimum and row.api_calls is not None:
            ratio = row.api_calls / minimum.total
            verdict(
                ratio <= MAX_CALL_RATIO,
                f"{where}: API calls {row.api_calls:,} = {ratio:.2f} x minimum "
                f"{minimum.total:,} (target ≤ {MAX_CALL_RATIO})",
            )
        if row.rerun_update_calls is not None:
            verdict(
                row.rerun_update_calls == 0,
                f"{where}: unchanged re-run made {row.rerun_update_calls} update calls (target 0)",
            )
        floor = _floor(rows, row.rows)
        if row.rows == 100_000 and row.latency_ms == 0 and floor:
            ratio = row.wall_s / floor.wall_s
            verdict(
                ratio <= MAX_FLOOR_RATIO,
                f"{where}: wall {row.wall_s:.1f}s = {ratio:.2f} x no-op SDK floor "
                f"{floor.wall_s:.1f}s (target ≤ {MAX_FLOOR_RATIO}; CPU tap+target "
                f"{_cpu_ratio(row, floor)} x the floor's)",
            )
        naive = _naive(rows, row.rows, row.latency_ms)
        if row.rows == 100_000 and row.latency_ms == 100 and naive:
            speedup = naive.wall_s / row.wall_s
            verdict(
                speedup >= MIN_NAIVE_SPEEDUP,
                f"{where}: {speedup:.0f} x faster than the naive client ({naive.wall_s:,.0f}s "
                f"extrapolated) (target ≥ {MIN_NAIVE_SPEEDUP})",
            )
        if row.rows == 1_000_000:
            verdict(
                row.wall_s < MAX_1M_SECONDS,
                f"{where}: {row.wall_s:.0f}s (target < {MAX_1M_SECONDS}s)",
            )
            verdict(
                (row.target_rss_mb or 0) < MAX_TARGET_RSS_MB,
                f"{where}: target peak RSS {row.target_rss_mb:.0f} MB (< {MAX_TARGET_RSS_MB})",
            )
            verdict(
                (row.tap_rss_mb or 0) < MAX_TAP_RSS_MB,
                f"{where}: tap peak RSS {row.tap_rss_mb:.0f} MB (< {MAX_TAP_RSS_MB})",
            )
    return out
