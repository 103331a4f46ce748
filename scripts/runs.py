#!/usr/bin/env python3
"""Run history of every integration — like WalkMe's own integration log.

    scripts/runs.py list [--limit N] [--integration NAME] [--environment ENV] [--json]
    scripts/runs.py show RUN_ID            # full log + results files of one run
    make runs                              # = scripts/runs.py list
    make run-log RUN=RUN_ID                # = scripts/runs.py show RUN_ID

`list` prints, newest first: run id, integration, report, Salesforce object, environment,
start (UTC), duration, status (completed/failed/running) and the target's counts. `show` prints
the same for one run, the results files (updated.csv, failed.csv, …, summary.json) and the full
log that `meltano logs show RUN_ID` shows. Everything is read from Meltano's runs table, its
log files and the target's summary — see scripts/run_history.py. Run it from the project root
(or set MELTANO_PROJECT_ROOT) with the same MELTANO_DATABASE_URI the runs used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_history import COUNT_KEYS, Run, find_run, list_runs

_COLUMNS = ("RUN ID", "INTEGRATION", "REPORT", "OBJECT", "ENV", "STARTED (UTC)", "DURATION")


def _duration(run: Run) -> str:
    seconds = run.duration_seconds
    if seconds is None:
        return "running"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}m"


def _rows(run: Run) -> list[list[str]]:
    """One table row per stream the run reported (one for a run that reported none)."""
    common = [run.run_id, run.integration]
    tail = [run.environment, run.started_at.strftime("%Y-%m-%d %H:%M:%S"), _duration(run)]
    if not run.streams:
        return [[*common, "-", "-", *tail, run.status, *["-"] * len(COUNT_KEYS)]]
    return [
        [
            *common,
            stream.report,
            stream.sobject or "-",
            *tail,
            run.status,
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
    runs = list_runs(limit=args.limit, integration=args.integration, environment=args.environment)
    if args.json:
        print(json.dumps({"runs": [run.to_json() for run in runs]}, indent=2))
        return 0
    if not runs:
        print("No runs yet. Run an integration: meltano run walkme-onboarding-to-salesforce")
        return 0
    header = [*_COLUMNS, "STATUS", *(key.upper() for key in COUNT_KEYS)]
    print(_table(header, [row for run in runs for row in _rows(run)]))
    print("\nFull log and results files of one run: scripts/runs.py show RUN_ID")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print one run: its summary, results files and full log."""
    try:
        run = find_run(args.run_id)
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
    print(f"Status:       {run.status}")
    for stream in run.streams:
        counts = " ".join(f"{key}={stream.counts.get(key, 0)}" for key in COUNT_KEYS)
        print(f"Report:       {stream.report} → {stream.sobject}: {counts}")
        if stream.results_dir:
            print(f"Results:      {stream.results_dir}")
            folder = Path(stream.results_dir)
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                print(f"              {path}")
    if not run.streams:
        print("Report:       (the target reported no summary — see the log)")
    print(f"Log file:     {run.log_path}")
    print("-" * 72)
    if run.log_path.is_file():
        with run.log_path.open(encoding="utf-8", errors="replace") as log:
            for line in log:
                sys.stdout.write(line)
    else:
        print("(log file not found — Meltano writes one only for runs with an active environment)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run `list` (default) or `show`."""
    parser = argparse.ArgumentParser(prog="runs.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    listing = sub.add_parser("list", help="recent runs of every integration (default)")
    listing.add_argument("--limit", type=int, default=50, help="at most this many runs")
    listing.add_argument("--integration", help="only this integration (e.g. onboarding)")
    listing.add_argument("--environment", help="only this environment (demo, sandbox, prod)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    show = sub.add_parser("show", help="one run: summary, results files and full log")
    show.add_argument("run_id", help="run id or a unique prefix of it, as `list` prints")
    show.add_argument("--json", action="store_true", help="summary as JSON, without the log")
    args = parser.parse_args(argv)
    if args.command == "show":
        return cmd_show(args)
    if args.command is None:
        args = listing.parse_args([])
    return cmd_list(args)


if __name__ == "__main__":
    sys.exit(main())
