"""The `runs` and `run-log` commands: run history of every integration, like WalkMe's own
integration log.

    walkme-salesforce runs [--limit N] [--integration NAME] [--environment ENV] [--json]
    walkme-salesforce run-log RUN_ID       # full log + results files of one run
    make runs                              # = walkme-salesforce runs
    make run-log RUN=RUN_ID                # = walkme-salesforce run-log RUN_ID

`list` prints, newest first: run id, integration, report, Salesforce object, environment,
start (UTC), duration, status and the target's counts. The status is the target's own for the
stream (`completed`, `completed_with_rejections`, `completed_with_failures`, `failed`, as its
summary names it) combined with Meltano's job state (see
:func:`.run_history.combined_status`); a dry run is marked `(dry run)` — nothing was written.
`show` prints the same for one run, the results files (updated.csv, failed.csv, …,
summary.json) and the full log that `meltano logs show RUN_ID` shows. Everything is read from
Meltano's runs table, its log files and the target's summary — see :mod:`.run_history`. Run it
from the project root (or set MELTANO_PROJECT_ROOT) with the same MELTANO_DATABASE_URI the runs
used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .redact import redact_text
from .run_history import COUNT_KEYS, Run, StreamResult, combined_status, find_run, list_runs

_COLUMNS = ("RUN ID", "INTEGRATION", "REPORT", "OBJECT", "ENV", "STARTED (UTC)", "DURATION")


def _duration(run: Run) -> str:
    seconds = run.duration_seconds
    if seconds is None:
        return "running"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}m"


def _status_cell(run: Run, stream: StreamResult | None = None) -> str:
    """The stream's status (the run's when there is no stream), marking dry runs."""
    status = run.status
    if stream is not None and len(run.streams) > 1:
        status = combined_status(run.meltano_status, [stream.status])
    dry = stream.dry_run if stream is not None else run.dry_run
    return f"{status} (dry run)" if dry else status


def _rows(run: Run) -> list[list[str]]:
    """One table row per stream the run reported (one for a run that reported none)."""
    common = [run.run_id, run.integration]
    tail = [run.environment, run.started_at.strftime("%Y-%m-%d %H:%M:%S"), _duration(run)]
    if not run.streams:
        return [[*common, "-", "-", *tail, _status_cell(run), *["-"] * len(COUNT_KEYS)]]
    return [
        [
            *common,
            stream.report,
            stream.sobject or "-",
            *tail,
            _status_cell(run, stream),
            *[str(stream.counts.get(key, 0)) for key in COUNT_KEYS],
        ]
        for stream in run.streams
    ]


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    head = "  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True))
    return "\n".join([head.rstrip(), *[line.rstrip() for line in lines]])


def cmd_list(args: argparse.Namespace) -> int:
    """Print the recent runs of every integration."""
    runs = list_runs(
        limit=args.limit,
        integration=args.integration,
        environment=args.environment,
        project_root=_root(args),
    )
    if args.json:
        print(json.dumps({"runs": [run.to_json() for run in runs]}, indent=2))
        return 0
    if not runs:
        print("No runs yet. Run an integration: meltano run walkme-onboarding-to-salesforce")
        return 0
    header = [*_COLUMNS, "STATUS", *(key.upper() for key in COUNT_KEYS)]
    print(_table(header, [row for run in runs for row in _rows(run)]))
    print("\nFull log and results files of one run: walkme-salesforce run-log RUN_ID")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print one run: its summary, results files and full log."""
    try:
        run = find_run(args.run_id, project_root=_root(args))
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(run.to_json(), indent=2))
        return 0
    print(f"Run:          {run.run_id}")
    print(f"Integration:  {run.integration}  ({run.tap} → {run.target})")
    print(f"Environment:  {run.environment}   (state id {run.state_id})")
    print(f"Started:      {run.started_at:%Y-%m-%d %H:%M:%S} UTC   duration {_duration(run)}")
    dry = "   (dry run: nothing was written)" if run.dry_run else ""
    print(f"Status:       {run.status}{dry}   (Meltano: {run.meltano_status})")
    for stream in run.streams:
        counts = " ".join(f"{key}={stream.counts.get(key, 0)}" for key in COUNT_KEYS)
        print(
            f"Report:       {stream.report} → {stream.sobject} "
            f"[{_status_cell(run, stream)}]: {counts}"
        )
        if stream.results_dir:
            print(f"Results:      {stream.results_dir}")
            folder = Path(stream.results_dir)
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                print(f"              {path}")
    if not run.streams:
        print("Report:       (the target reported no summary — see the log)")
    for note in run.export:
        print(f"Export:       {redact_text(note)}")
    print(f"Log file:     {run.log_path}")
    print("-" * 72)
    if run.log_path.is_file():
        with run.log_path.open(encoding="utf-8", errors="replace") as log:
            for line in log:
                sys.stdout.write(line)
    else:
        print("(log file not found — Meltano writes one only for runs with an active environment)")
    return 0


def _root(args: argparse.Namespace) -> Path | None:
    root = getattr(args, "project_root", None)
    return Path(root) if root else None


def add_list_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `runs`."""
    parser.add_argument("--limit", type=int, default=50, help="at most this many runs")
    parser.add_argument("--integration", help="only this integration (e.g. onboarding)")
    parser.add_argument("--environment", "-e", help="only this environment (demo, sandbox, prod)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--project-root", help="Meltano project folder (default: nearest)")


def add_show_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `run-log`."""
    parser.add_argument("run_id", help="run id or a unique prefix of it, as `runs` prints")
    parser.add_argument("--json", action="store_true", help="summary as JSON, without the log")
    parser.add_argument("--project-root", help="Meltano project folder (default: nearest)")
