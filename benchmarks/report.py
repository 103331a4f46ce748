"""What a benchmark run prints and saves: the header, one progress line per measurement, the
final report (table, formulas, PASS/FAIL lines, failures) and the raw figures as JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from baseline import Baseline
from issue17_targets import check_issue17
from machine_speed import MachineReference, speed_lines
from measurement import Measurement
from minimum import FORMULA, Minimum
from provenance import code_version, machine
from table import check_targets, render_table


def print_header(run_dir: Path, extra: dict[str, Any], baselines: Sequence[Baseline]) -> None:
    """Machine, commit, run folder, extra target settings and the baselines, before any run."""
    print(f"Machine: {machine()}", flush=True)
    print(f"Code: {code_version()}", flush=True)
    print(f"Run folder (configs, logs, org copies, results): {run_dir}", flush=True)
    if extra:
        print(f"Extra target settings: {json.dumps(extra)}", flush=True)
    for baseline in baselines:
        print(f"Baseline {baseline.describe()}", flush=True)


def print_progress(row: Measurement) -> None:
    """One line as soon as a measurement is done."""
    print(
        f"  {row.pipeline:<32} {row.latency_ms:>4} ms  {row.wall_s:8.2f}s  "
        f"calls={row.api_calls} re-run writes={row.rerun_update_calls} "
        f"RSS MB tap={_num(row.tap_rss_mb)} target={_num(row.target_rss_mb)} "
        f"CPU s tap={_num(row.tap_cpu_s)} target={_num(row.target_cpu_s)} "
        f"emulator={_num(row.emulator_cpu_s)} strategy={row.match_strategy or '—'}  {row.note}",
        flush=True,
    )


def print_report(
    rows: list[Measurement],
    minimums: dict[int, Minimum],
    baselines: Sequence[Baseline],
    probe_rows: int,
    failures: Sequence[str],
    started: float,
    json_out: str,
    reference: MachineReference | None = None,
) -> None:
    """The table, the formulas, issue 17's lines and the machine-speed line (``reference``),
    issue 7's lines, the failures and the total time since ``started`` (a
    ``time.perf_counter()`` value)."""
    print()
    print(render_table(rows, minimums))
    print()
    print(f"Minimum API calls: {FORMULA}")
    print(
        "Naive client: measured on the first rows of the same report against a fresh org at "
        "the same latency; wall time and calls scaled linearly to the report size."
    )
    print()
    print("Issue 17 (beside the baselines above):")
    for line in check_issue17(rows, baselines, probe_rows):
        print(line)
    for line in speed_lines(rows, reference):
        print(line)
    print()
    print("Issue 7:")
    for line in check_targets(rows, minimums):
        print(line)
    for failure in failures:
        print(f"\nFAILED  {failure}", flush=True)
    print(f"\nTotal benchmark time {time.perf_counter() - started:.0f}s; raw figures {json_out}")


def save_raw_figures(
    path: Path, rows: list[Measurement], minimums: dict[int, Minimum], extra: dict[str, Any]
) -> None:
    """``last-run.json``: machine, commit, target settings, minimums and every row's figures."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": machine(),
        "code": code_version(),
        "target_settings": extra,
        "minimums": {str(k): {**asdict(v), "total": v.total} for k, v in minimums.items()},
        "rows": [{**asdict(r), "rows_per_s": r.rows_per_s} for r in rows],
    }
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
