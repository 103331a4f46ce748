"""Which match strategy the target chose in a run, read from what the run left behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

#: The target's log line "Stream S → O: match strategy in_query (why)".
STRATEGY_LINE = re.compile(r": match strategy (\w+) \(")


def match_strategy(log: Path, results_dir: Path) -> str | None:
    """The target's match strategy: ``match_strategy`` of its summary.json files under
    ``results_dir`` if present, else its "match strategy …" log lines in ``log``; several
    strategies (per stream or a switch mid-stream) are joined in order with "→"."""
    found: list[str] = []
    for path in sorted(results_dir.glob("**/summary.json")):
        try:
            value = json.loads(path.read_text(encoding="utf-8")).get("match_strategy")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, dict):
            value = value.get("strategy") or value.get("chosen")
        if isinstance(value, str) and value and value not in found:
            found.append(value)
    if not found and log.exists():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            hit = STRATEGY_LINE.search(line)
            if hit and (not found or found[-1] != hit.group(1)):
                found.append(hit.group(1))
    return "→".join(found) or None
