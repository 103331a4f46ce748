"""The Log screens: an integration's runs (from `run_history`), chart data, per-row results.

Runs come from `run_history.list_runs` / `find_run` (Meltano's runs table, its logs and the
target's summary.json). The per-row results are the target's results files of the run
(`updated.csv`, `unchanged.csv`, `unmatched.csv`, `ambiguous.csv`, `failed.csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..run_history import COUNT_KEYS, Run, find_run, list_runs

RESULT_FILES = ("updated", "unchanged", "unmatched", "ambiguous", "failed")
ROW_COLUMNS = (
    "row",
    "key",
    "outcome",
    "record_ids",
    "fields_changed",
    "error_code",
    "error_message",
)
PAGE_ROWS = 500


def runs_of(project_root: Path, integration: str, limit: int = 50) -> list[Run]:
    """The integration's runs, newest first."""
    return list_runs(limit=limit, integration=integration, project_root=project_root)


def last_run(project_root: Path, integration: str) -> Run | None:
    """The integration's most recent run."""
    found = runs_of(project_root, integration, limit=1)
    return found[0] if found else None


def run_by_id(project_root: Path, run_id: str) -> Run:
    """One run (LookupError when unknown)."""
    return find_run(run_id, project_root=project_root)


def totals(run: Run) -> dict[str, int]:
    """A run's counts summed over its streams."""
    return {key: sum(s.counts.get(key, 0) for s in run.streams) for key in COUNT_KEYS}


def duration_text(run: Run) -> str:
    """`12.3s`, `4.1m`, or `running`."""
    seconds = run.duration_seconds
    if seconds is None:
        return "running"
    return f"{seconds:.1f}s" if seconds < 60 else f"{seconds / 60:.1f}m"


def chart_data(runs: list[Run]) -> dict[str, Any]:
    """Counts over time, oldest first, for Chart.js."""
    ordered = list(reversed(runs))
    return {
        "labels": [r.started_at.strftime("%Y-%m-%d %H:%M:%S") for r in ordered],
        "series": {key: [totals(r)[key] for r in ordered] for key in COUNT_KEYS},
    }


def _clean(value: str | None) -> str:
    text = value or ""
    return text[1:] if text.startswith("'") else text


def result_rows(run: Run, outcome: str = "", query: str = "") -> Iterator[dict[str, str]]:
    """Every per-row result of the run, optionally one outcome and/or containing `query`."""
    wanted = query.strip().casefold()
    for stream in run.streams:
        folder = Path(stream.results_dir or "")
        if not stream.results_dir or not folder.is_dir():
            continue
        for name in RESULT_FILES:
            path = folder / f"{name}.csv"
            if not path.is_file():
                continue
            with path.open(newline="", encoding="utf-8") as handle:
                for line in csv.DictReader(handle):
                    row = {col: _clean(line.get(col)) for col in ROW_COLUMNS}
                    row["report"] = stream.report
                    if outcome and row["outcome"] != outcome:
                        continue
                    if wanted and not any(wanted in v.casefold() for v in row.values()):
                        continue
                    yield row


def rows_csv(rows: Iterator[dict[str, str]]) -> Iterator[str]:
    """The rows as CSV text, in chunks (cells that start like formulas keep the target's ')."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["report", *ROW_COLUMNS], extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("'" + v if v[:1] in "=+-@" and v else v) for k, v in row.items()})
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def log_text(run: Run, limit: int = 2_000_000) -> str:
    """The run's full Meltano log (cut at `limit` characters)."""
    if not run.log_path.is_file():
        return "(log file not found — Meltano writes one only for runs with an active environment)"
    text = run.log_path.read_text(encoding="utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "\n… (cut; see the file)"
