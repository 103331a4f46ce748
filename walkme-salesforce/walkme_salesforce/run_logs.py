"""What a run's log and the target's ``summary.json`` say: summary lines, export notes, statuses.

The target writes one ``Summary: stream=… object=… updated=… … results=PATH`` line per stream
into the run's log, and a ``summary.json`` into the results folder that line names; these
functions read both (no database, no Meltano): :mod:`.run_history` joins them to Meltano's runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COUNT_KEYS = ("updated", "unchanged", "unmatched", "ambiguous", "failed", "rejected")
SUMMARY_KEYS = ("stream", "object", *COUNT_KEYS, "api_calls", "status", "dry_run", "results")
_SUMMARY_RE = re.compile(r"Summary: (.*)$")
_PAIR_RE = re.compile(r"(\w+)=(\S+)")
#: The one status that says every mapped value landed. Every other name the target writes
#: (``completed_with_rejections``, ``completed_with_failures``, ``failed``, or a name added
#: later) is read from its summary as it is and counts as "not completed".
COMPLETED = "completed"
FAILED = "failed"


def status_rank(status: str) -> int:
    """0 completed, 2 failed (or a stale/unknown failure), 1 anything else the target names."""
    if status == COMPLETED:
        return 0
    if status.startswith(FAILED):
        return 2
    return 1


def combined_status(meltano_status: str, stream_statuses: list[str]) -> str:
    """One status for a run from Meltano's job state and the target's per-stream statuses.

    The worst stream status wins (failed > any other not-completed name > completed), so
    Meltano SUCCESS with a stream ``completed_with_rejections`` shows
    ``completed_with_rejections``. A failed Meltano job is never shown as ``completed``: when
    every stream summary says completed but the job failed (the tap crashed after the target's
    summary, or the target exited non-zero afterwards), the run is ``failed``. A run still
    going is ``running``; one without any summary keeps Meltano's status.
    """
    if meltano_status == "running":
        return meltano_status
    statuses = [status for status in stream_statuses if status and status != "running"]
    if not statuses:
        return meltano_status
    worst = max(statuses, key=status_rank)
    if status_rank(worst) == 0 and meltano_status != COMPLETED:
        return meltano_status
    return worst


def parse_summary_line(line: str) -> dict[str, str] | None:
    """Return the key=value pairs of a target ``Summary:`` log line, or None for other lines.

    Only the target's own keys are kept: Meltano appends its own ``key=value`` context
    (``cmd_type=``, ``run_id=``…) to each line it copies into the log.
    """
    match = _SUMMARY_RE.search(line.rstrip())
    if not match:
        return None
    pairs = dict(_PAIR_RE.findall(match.group(1)))
    summary = {key: pairs[key] for key in SUMMARY_KEYS if key in pairs}
    return summary if "stream" in summary else None


#: What the tap and the target log about reading the export (the re-read rule, see
#: :mod:`.integration_state`): the tap read an export, or skipped one it had synced; the target
#: withheld the bookmark so the next run re-reads it.
_EXPORT_READ_RE = re.compile(r"Report '([^']+)' from (.+?): (\d+) rows, (\d+) records")
_EXPORT_SKIPPED_RE = re.compile(
    r"\] \S+ +(.+?) (was already synced|is unchanged since the last sync)"
)
_WITHHELD_RE = re.compile(r"Bookmark withheld for stream (\S+?)[ :(]")


def export_notes(path: Path) -> list[str]:
    """One line per report of a run: whether the tap read the export (a re-read after a state
    clear or a withheld bookmark reads it again) or skipped it, and withheld bookmarks."""
    notes: list[str] = []
    if not path.is_file():
        return notes
    with path.open(encoding="utf-8", errors="replace") as log:
        for line in log:
            if "Report '" in line and " rows, " in line:
                found = _EXPORT_READ_RE.search(line)
                if found:
                    notes.append(
                        f"read the export of report {found.group(1)} ({found.group(3)} rows, "
                        f"{found.group(4)} records)"
                    )
            elif "already synced" in line or "unchanged since the last sync" in line:
                found = _EXPORT_SKIPPED_RE.search(line)
                what = found.group(1) if found else "the export"
                notes.append(f"skipped {what}: already synced (no new export)")
            elif "Bookmark withheld for stream" in line:
                found = _WITHHELD_RE.search(line)
                stream = found.group(1) if found else "?"
                notes.append(
                    f"bookmark of {stream} withheld: the next run re-reads the newest export"
                )
    return notes


def summaries_in_log(path: Path) -> list[dict[str, str]]:
    """Every ``Summary:`` line of a run log, in order (streamed; logs can be large)."""
    found: list[dict[str, str]] = []
    if not path.is_file():
        return found
    with path.open(encoding="utf-8", errors="replace") as log:
        for line in log:
            if "Summary: " in line:
                parsed = parse_summary_line(line)
                if parsed is not None:
                    found.append(parsed)
    return found


def split_state_id(state_id: str) -> tuple[str, str, str]:
    """``demo:tap-x--nps-to-target-y--nps[:suffix]`` → (environment, tap, target)."""
    environment, _, rest = state_id.partition(":")
    pair = rest.split(":", 1)[0]
    tap, sep, target = pair.partition("-to-target-")
    return environment, tap, ("target-" + target) if sep else ""


def integration_name(tap: str) -> str:
    """The integration a tap name belongs to: the inherited plugin suffix, or ``(base)``."""
    return tap.split("--", 1)[1] if "--" in tap else "(base)"


def read_summary_json(results: str | None) -> dict[str, Any]:
    """The target's ``summary.json`` in a results folder, or {} when it is not there."""
    if not results:
        return {}
    path = Path(results)
    if path.is_file():
        path = path.parent
    try:
        return json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@dataclass
class StreamResult:
    """What the target reported for one stream (one report) of a run."""

    report: str
    sobject: str
    counts: dict[str, int]
    status: str
    results_dir: str | None
    api_calls: int | None = None
    #: The target ran with ``dry_run``: nothing was written, the counts say what would change.
    dry_run: bool = False
    #: This run left the stream's bookmark where it was (a dry run, rejected or failed rows):
    #: the next run re-reads the newest export (the target's re-read rule).
    bookmark_withheld: bool = False


def stream_results(log_path: Path) -> list[StreamResult]:
    """The per-stream results of a run, from its log's summary lines and summary.json files."""
    results = []
    for line in summaries_in_log(log_path):
        summary = read_summary_json(line.get("results"))
        counts_json = summary.get("counts") if isinstance(summary.get("counts"), dict) else {}
        counts = {}
        for key in COUNT_KEYS:
            raw = line.get(key, counts_json.get(key, summary.get(key)))
            try:
                counts[key] = int(raw) if raw is not None else 0
            except (TypeError, ValueError):
                counts[key] = 0
        api_calls = line.get("api_calls", summary.get("api_calls"))
        status = str(line.get("status") or summary.get("status", ""))
        if status == COMPLETED and counts["failed"]:
            status = "completed_with_failures"  # an older target's "completed" would lie
        elif status == COMPLETED and counts["rejected"]:
            status = "completed_with_rejections"
        dry_run = summary.get("dry_run", line.get("dry_run", False))
        results.append(
            StreamResult(
                report=str(summary.get("stream") or line.get("stream")),
                sobject=str(summary.get("object") or line.get("object", "")),
                counts=counts,
                status=status,
                results_dir=line.get("results"),
                api_calls=int(api_calls) if str(api_calls or "").isdigit() else None,
                dry_run=dry_run is True or str(dry_run).lower() == "true",
                bookmark_withheld=summary.get("bookmark_withheld") is True,
            )
        )
    return results
