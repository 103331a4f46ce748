"""How fast this machine runs Python, from the no-op SDK floor measured in the same run.

Issue 17's wall and CPU targets are seconds on "this 2-core machine", but the machines sessions
get differ: the same commit measured 43 s on one and 90 s on another (RESULTS.md, Run K). The
no-op floor (``noop_tap.py`` | ``noop_target.py``) runs none of the packages' code, only
singer-sdk on the interpreter, so its CPU-seconds against the same floor measured on the
machine of the reference run (``machine_reference`` in ``baseline.json``) tell the two apart:
a slower machine slows the floor as much as the pipeline, a regression slows only the pipeline.

The INFO line this module prints judges nothing: the PASS/FAIL lines always judge the raw
figures. It gives the factor and the 1M figures divided by it, for the reader to compare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baseline import BASELINE_FILE, read_document
from issue17_targets import LEAN_ROWS, find_run
from measurement import NOOP, Measurement


@dataclass(frozen=True)
class MachineReference:
    """The no-op floor's tap + target CPU-seconds per report size on the reference machine."""

    commit: str
    source: str
    floor_cpu_s: dict[int, float]


def parse_reference(data: Mapping[str, Any]) -> MachineReference | None:
    """The ``machine_reference`` entry of the decoded ``baseline.json`` (``None`` if absent).

    Raises:
        ValueError: the entry lacks commit/source, or a floor lacks rows or a CPU figure.
    """
    entry = data.get("machine_reference")
    if not entry:
        return None
    missing = [key for key in ("commit", "source") if not entry.get(key)]
    if missing:
        raise ValueError(f"baseline.json machine_reference lacks {', '.join(missing)}")
    floors: dict[int, float] = {}
    for item in entry.get("noop_floor", []):
        try:
            floors[int(item["rows"])] = float(item["tap_cpu_s"]) + float(item["target_cpu_s"])
        except KeyError as exc:
            raise ValueError(
                f"baseline.json machine_reference: a noop_floor entry lacks {exc.args[0]}; "
                "give rows, tap_cpu_s and target_cpu_s"
            ) from None
    return MachineReference(str(entry["commit"]), str(entry["source"]), floors)


def load_reference(path: Path = BASELINE_FILE) -> MachineReference | None:
    """The machine reference of ``path`` (``benchmarks/baseline.json``); none if absent."""
    return parse_reference(read_document(path))


def speed_lines(rows: Sequence[Measurement], reference: MachineReference | None) -> list[str]:
    """One INFO line: this machine's no-op floor against the reference's (largest size both
    have) and, when the run has it, the 1M pipeline's CPU at 0 ms divided by the factor."""
    if reference is None:
        return []
    floors = [
        (row, cpu)
        for row in rows
        if row.pipeline == NOOP
        and row.rows in reference.floor_cpu_s
        and (cpu := row.cpu_s) is not None
    ]
    if not floors:
        return [
            f"INFO  machine speed not measured: needs the no-op SDK floor at one of "
            f"{', '.join(f'{n:,}' for n in sorted(reference.floor_cpu_s))} rows"
        ]
    row, cpu = max(floors, key=lambda pair: pair[0].rows)
    then = reference.floor_cpu_s[row.rows]
    factor = cpu / then
    text = (
        f"INFO  machine speed: the no-op SDK floor at {row.rows:,} rows took {cpu:.1f} CPU-s "
        f"(tap + target) here, {then:.1f} on the machine of {reference.commit} "
        f"({reference.source}): {factor:.2f} x its time"
    )
    lean = find_run(rows, LEAN_ROWS, 0)
    if lean is not None and lean.target_cpu_s is not None and lean.tap_cpu_s is not None:
        text += (
            f"; at that machine's speed the {LEAN_ROWS:,}-row run's target CPU would be "
            f"≈ {lean.target_cpu_s / factor:.1f} s and tap CPU ≈ {lean.tap_cpu_s / factor:.1f} s "
            "(not judged: the lines above judge the raw figures)"
        )
    return [text]
