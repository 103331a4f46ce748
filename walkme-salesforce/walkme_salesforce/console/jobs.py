"""Run now: an integration's Meltano job in a background thread, with live progress.

The run itself is the manager's runner (`walkme_salesforce.runner.run_integration`, which runs
`meltano --environment ENV run JOB` and records it in the run history). This module only keeps
one thread per job — a second Run now of a running job is refused — and reads the target's
`Progress:` / `Summary:` lines from the output as they arrive (rows read, matched, written).
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..integrations import job_name
from ..run_history import COUNT_KEYS, parse_summary_line
from ..runner import run_integration

_PROGRESS = re.compile(r"Progress: (.*)$")
_PAIR = re.compile(r"(\w+)=(\S+)")
#: Progress lines every second while the console watches (the target's default is 30 s).
RUN_ENV = {"TARGET_SALESFORCE_UPDATE_PROGRESS_INTERVAL": "1"}


class RunRefused(Exception):
    """The job is already running."""


@dataclass
class ActiveRun:
    """A Run now in progress (or just finished)."""

    integration: str
    environment: str
    job: str
    started: float = field(default_factory=time.time)
    ended: float | None = None
    status: str = "running"
    run_id: str = ""
    exit_code: int | None = None
    error: str = ""
    progress: dict[str, dict[str, int]] = field(default_factory=dict)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=12))

    def view(self) -> dict[str, Any]:
        """JSON for the progress poller (no secrets: counts, status, last output lines)."""
        totals = {key: 0 for key in ("rows", *COUNT_KEYS)}
        for counts in self.progress.values():
            for key in totals:
                totals[key] += counts.get(key, 0)
        return {
            "integration": self.integration,
            "environment": self.environment,
            "job": self.job,
            "status": self.status,
            "running": self.ended is None,
            "run_id": self.run_id,
            "exit_code": self.exit_code,
            "error": self.error,
            "elapsed": round((self.ended or time.time()) - self.started, 1),
            "rows_read": totals["rows"],
            "matched": totals["rows"] - totals["unmatched"],
            "written": totals["updated"],
            "counts": {key: totals[key] for key in COUNT_KEYS},
            "tail": list(self.tail),
        }

    def feed(self, line: str) -> None:
        """One line of the run's output."""
        text = line.rstrip()
        if not text:
            return
        summary = parse_summary_line(text)
        if summary is not None:
            counts = {k: int(v) for k, v in summary.items() if k in COUNT_KEYS and v.isdigit()}
            counts["rows"] = sum(counts.get(k, 0) for k in COUNT_KEYS if k != "rejected")
            self.progress[summary["stream"]] = counts
        else:
            match = _PROGRESS.search(text)
            if match:
                pairs = dict(_PAIR.findall(match.group(1)))
                stream = pairs.get("stream", "")
                self.progress[stream] = {k: int(v) for k, v in pairs.items() if v.isdigit()}
        if "Summary:" in text or "Progress:" in text or "error" in text.lower():
            self.tail.append(text[-300:])


class Runs:
    """The console's background runs, one per job at a time."""

    def __init__(self, project_root: Path, env: dict[str, str] | None = None) -> None:
        self.root = project_root
        self.env = env
        self._lock = threading.Lock()
        self._active: dict[str, ActiveRun] = {}

    def get(self, integration: str) -> ActiveRun | None:
        """The current (or last) Run now of an integration."""
        with self._lock:
            return self._active.get(job_name(integration))

    def start(self, integration: str, environment: str) -> ActiveRun:
        """Start the job in the background; RunRefused when it is already running."""
        job = job_name(integration)
        with self._lock:
            current = self._active.get(job)
            if current is not None and current.ended is None:
                since = time.strftime("%H:%M:%S", time.gmtime(current.started))
                raise RunRefused(
                    f"{job} is already running (started {since} UTC); wait for it to finish."
                )
            run = self._active[job] = ActiveRun(integration, environment, job)
        threading.Thread(target=self._run, args=(run,), name=f"run-{job}", daemon=True).start()
        return run

    def _run(self, run: ActiveRun) -> None:
        try:
            outcome = run_integration(
                self.root,
                run.integration,
                environment=run.environment,
                on_output=run.feed,
                env={**(self.env or {}), **RUN_ENV},
            )
            run.run_id = str(getattr(outcome, "run_id", "") or "")
            run.exit_code = getattr(outcome, "exit_code", None)
            run.status = str(getattr(outcome, "status", "") or "")
        except Exception as exc:
            run.status = "failed"
            run.error = str(exc) or type(exc).__name__
        finally:
            run.ended = time.time()
