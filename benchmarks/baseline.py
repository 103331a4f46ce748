"""The committed baselines (``baseline.json``): figures measured before issue 17's work.

Each baseline is one measured state of the code (a commit, when, where the figures come from)
with one or more measurements keyed by report size and latency. :func:`was` turns them into
the "(was 215.6 s at b96f927, 116.3 s at 9bcd365)" text printed beside a new figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASELINE_FILE = Path(__file__).resolve().parent / "baseline.json"
FIGURES = (
    "wall_s",
    "api_calls",
    "tap_cpu_s",
    "target_cpu_s",
    "emulator_cpu_s",
    "tap_rss_mb",
    "target_rss_mb",
)


@dataclass(frozen=True)
class Baseline:
    """One measured state of the code before (or at the start of) issue 17's work."""

    commit: str
    label: str
    source: str
    commit_date: str = ""
    measured_at: str = ""
    match_strategy: str = ""
    #: (rows, latency_ms) → figure name → value
    measurements: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)

    def figure(self, rows: int, latency_ms: int, name: str) -> float | None:
        """The figure ``name`` measured at ``rows`` and ``latency_ms``, if this baseline has it."""
        return self.measurements.get((rows, latency_ms), {}).get(name)

    def describe(self) -> str:
        """One line: commit, date, label and source."""
        when = self.measured_at or (self.commit_date[:10] if self.commit_date else "")
        strategy = f", match strategy {self.match_strategy}" if self.match_strategy else ""
        return f"{self.commit} ({when}, {self.label}{strategy}): {self.source}"


def parse_baselines(data: dict[str, Any]) -> list[Baseline]:
    """Baselines from the decoded ``baseline.json`` document, in file order.

    Raises:
        ValueError: an entry lacks commit/label/source, or a measurement lacks rows/latency_ms
            or carries a figure this harness does not know.
    """
    out = []
    for number, entry in enumerate(data.get("baselines", []), start=1):
        missing = [key for key in ("commit", "label", "source") if not entry.get(key)]
        if missing:
            raise ValueError(f"baseline.json entry {number} lacks {', '.join(missing)}")
        measurements: dict[tuple[int, int], dict[str, float]] = {}
        for item in entry.get("measurements", []):
            values = dict(item)
            try:
                key = (int(values.pop("rows")), int(values.pop("latency_ms")))
            except KeyError as exc:
                raise ValueError(
                    f"baseline.json entry {number} ({entry['commit']}): a measurement lacks "
                    f"{exc.args[0]}; give rows and latency_ms"
                ) from None
            unknown = sorted(set(values) - set(FIGURES))
            if unknown:
                raise ValueError(
                    f"baseline.json entry {number} ({entry['commit']}): unknown figure(s) "
                    f"{', '.join(unknown)}; known: {', '.join(FIGURES)}"
                )
            measurements[key] = {name: float(value) for name, value in values.items()}
        out.append(
            Baseline(
                commit=str(entry["commit"]),
                label=str(entry["label"]),
                source=str(entry["source"]),
                commit_date=str(entry.get("commit_date", "")),
                measured_at=str(entry.get("measured_at", "")),
                match_strategy=str(entry.get("match_strategy", "")),
                measurements=measurements,
            )
        )
    return out


def read_document(path: Path = BASELINE_FILE) -> dict[str, Any]:
    """The decoded ``path`` (``benchmarks/baseline.json``); an empty document if absent."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def load_baselines(path: Path = BASELINE_FILE) -> list[Baseline]:
    """Baselines from ``path`` (``benchmarks/baseline.json``); none if the file is absent."""
    return parse_baselines(read_document(path))


def was(
    baselines: Sequence[Baseline],
    rows: int,
    latency_ms: int,
    name: str,
    fmt: Callable[[float], str],
) -> str:
    """``"was 215.6 s at b96f927, 116.3 s at 9bcd365"`` (``""`` when no baseline has it)."""
    parts = []
    for baseline in baselines:
        value = baseline.figure(rows, latency_ms, name)
        if value is not None:
            parts.append(f"{fmt(value)} at {baseline.commit}")
    return "was " + ", ".join(parts) if parts else ""


def was_derived(
    baselines: Sequence[Baseline],
    compute: Callable[[Baseline], float | None],
    fmt: Callable[[float], str],
) -> str:
    """Like :func:`was` for a figure computed from a baseline's measurements (a ratio, a sum)."""
    parts = []
    for baseline in baselines:
        value = compute(baseline)
        if value is not None:
            parts.append(f"{fmt(value)} at {baseline.commit}")
    return "was " + ", ".join(parts) if parts else ""
