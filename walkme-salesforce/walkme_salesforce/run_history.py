"""Run history of every integration, read from what Meltano and the target already record.

Nothing here keeps a store of its own. A run is:

- a row of Meltano's ``runs`` table (system DB: ``.meltano/meltano.db`` or
  ``MELTANO_DATABASE_URI``) — its ``job_name`` is the state id
  ``<environment>:<tap>-to-<target>``, plus ``run_id``, status and start/end times;
- that run's log file, the one ``meltano logs show RUN_ID`` prints — the target writes one
  ``Summary: stream=… object=… updated=… … results=PATH`` line per stream into it;
- the target's ``summary.json`` in the results folder the summary line names (report, object,
  environment, counts, API calls), next to the ``updated.csv`` / ``failed.csv`` … files.

The integration name is the inherited plugins' suffix (``tap-walkme-insights--onboarding`` →
``onboarding``); the plain ``tap-walkme-insights`` pair shows as ``(base)``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy

COUNT_KEYS = ("updated", "unchanged", "unmatched", "ambiguous", "failed", "rejected")
SUMMARY_KEYS = ("stream", "object", *COUNT_KEYS, "api_calls", "status", "dry_run", "results")
_SUMMARY_RE = re.compile(r"Summary: (.*)$")
_PAIR_RE = re.compile(r"(\w+)=(\S+)")
_STATUS = {"SUCCESS": "completed", "FAIL": "failed", "RUNNING": "running"}
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


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


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


@dataclass
class Run:
    """One ``meltano run`` of one integration, with what the target reported."""

    run_id: str
    state_id: str
    environment: str
    integration: str
    tap: str
    target: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    log_path: Path
    trigger: str | None = None
    streams: list[StreamResult] = field(default_factory=list)
    #: Meltano's own job state for the run (completed / failed / running / failed (stale));
    #: ``status`` combines it with the target's statuses (:func:`combined_status`).
    meltano_status: str = ""
    #: Whether the run read or skipped each export, from its log (:func:`export_notes`).
    export: list[str] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        """True when every stream the run reported was a dry run (nothing written)."""
        return bool(self.streams) and all(stream.dry_run for stream in self.streams)

    @property
    def duration_seconds(self) -> float | None:
        """Wall time of the run, None while it runs."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly view (``runs.py list --json``)."""
        return {
            "run_id": self.run_id,
            "state_id": self.state_id,
            "integration": self.integration,
            "environment": self.environment,
            "tap": self.tap,
            "target": self.target,
            "status": self.status,
            "meltano_status": self.meltano_status,
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_seconds": self.duration_seconds,
            "trigger": self.trigger,
            "log": str(self.log_path),
            "export": list(self.export),
            "streams": [vars(stream) for stream in self.streams],
        }


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


def _session_and_logs(project_root: Path | None):
    """Open Meltano's system DB for the project and its job-logging service."""
    import logging
    import sys

    import structlog

    # Meltano logs through structlog; without its CLI set-up debug lines would go to stdout.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    from meltano.core.db import project_engine
    from meltano.core.logging.job_logging_service import JobLoggingService
    from meltano.core.project import Project

    project = Project.find(project_root) if project_root else Project.find()
    engine, make_session = project_engine(project)
    if not sqlalchemy.inspect(engine).has_table("runs"):
        return None, JobLoggingService(project)  # a fresh system DB: nothing ran yet
    return make_session(), JobLoggingService(project)


def _status(job: Any) -> str:
    """completed / failed / running — a RUNNING row without a heartbeat for 5 min is stale."""
    if job.state.name == "RUNNING" and job.is_stale():
        return "failed (stale)"
    return _STATUS.get(job.state.name, job.state.name.lower())


def _to_run(job: Any, logs: Any) -> Run:
    environment, tap, target = split_state_id(job.job_name)
    log_path = Path(logs.get_job_log_path(job))
    streams = stream_results(log_path)
    meltano_status = _status(job)
    return Run(
        run_id=str(job.run_id),
        state_id=job.job_name,
        environment=environment,
        integration=integration_name(tap),
        tap=tap,
        target=target,
        status=combined_status(meltano_status, [stream.status for stream in streams]),
        started_at=_utc(job.started_at),
        ended_at=_utc(job.ended_at),
        log_path=log_path,
        trigger=job.trigger,
        streams=streams,
        meltano_status=meltano_status,
        export=export_notes(log_path),
    )


def list_runs(
    *,
    limit: int = 50,
    integration: str | None = None,
    environment: str | None = None,
    project_root: Path | None = None,
) -> list[Run]:
    """The most recent runs (newest first) of every integration, optionally filtered."""
    session, logs = _session_and_logs(project_root)
    if session is None:
        return []
    try:
        # Meltano's own query behind `meltano logs list` (skips state edits).
        jobs = logs.get_recent_jobs(session, limit if not (integration or environment) else 10_000)
        runs = []
        for job in jobs:
            run = _to_run(job, logs)
            if integration and run.integration != integration:
                continue
            if environment and run.environment != environment:
                continue
            runs.append(run)
            if len(runs) >= limit:
                break
        return runs
    finally:
        session.close()


def _as_uuid(run_id: str) -> str | None:
    """The canonical form of a full run id, None when ``run_id`` is not a whole UUID.

    On PostgreSQL ``runs.run_id`` is a UUID column: comparing it with a string that is not a
    UUID is an error there (SQLite just finds nothing), so only real UUIDs are looked up.
    """
    if len(run_id.strip()) < 32:
        return None
    try:
        return str(uuid.UUID(run_id.strip()))
    except ValueError:
        return None


def find_run(run_id: str, *, project_root: Path | None = None) -> Run:
    """One run by its id (as `list` prints it), or by a unique prefix of it.

    Meltano's run ids are UUIDv7: their first characters encode the start time, so a prefix
    is only unique when it reaches past the timestamp part.
    """
    session, logs = _session_and_logs(project_root)
    if session is None:
        msg = "No runs yet: Meltano's system database has no runs table."
        raise LookupError(msg)
    try:
        full_id = _as_uuid(run_id)
        if full_id is not None:
            jobs = [job for job in [logs.find_job_by_run_id(session, full_id)] if job]
        elif len(run_id) >= 36:
            jobs = []  # not a run id at all (PostgreSQL would reject it as a UUID)
        else:
            recent = logs.get_recent_jobs(session, 100_000)
            jobs = [job for job in recent if str(job.run_id).startswith(run_id.lower())]
            jobs = list({str(job.run_id): job for job in jobs}.values())
        if not jobs:
            msg = f"No run with id {run_id!r}. List them with `walkme-salesforce runs`."
            raise LookupError(msg)
        if len(jobs) > 1:
            msg = f"Run id prefix {run_id!r} matches {len(jobs)} runs; give more characters."
            raise LookupError(msg)
        return _to_run(jobs[0], logs)
    finally:
        session.close()


def runs_with_id(run_id: str, *, project_root: Path | None = None) -> list[Run]:
    """Every block of one ``meltano run --run-id RUN_ID`` (one per tap/target pair of a job)."""
    session, logs = _session_and_logs(project_root)
    if session is None:
        return []
    try:
        from meltano.core.job import Job

        jobs = session.query(Job).filter(Job.run_id == run_id).order_by(Job.started_at).all()
        return [_to_run(job, logs) for job in jobs]
    finally:
        session.close()
