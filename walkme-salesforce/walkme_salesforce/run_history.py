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

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy

from .run_logs import (
    COMPLETED,
    COUNT_KEYS,
    FAILED,
    SUMMARY_KEYS,
    StreamResult,
    combined_status,
    export_notes,
    integration_name,
    parse_summary_line,
    read_summary_json,
    split_state_id,
    status_rank,
    stream_results,
    summaries_in_log,
)

# The log-reading names are re-exported: the manager, the console and tests import them here.
__all__ = [
    "COMPLETED",
    "COUNT_KEYS",
    "FAILED",
    "SUMMARY_KEYS",
    "Run",
    "StreamResult",
    "combined_status",
    "export_notes",
    "find_run",
    "integration_name",
    "list_runs",
    "parse_summary_line",
    "read_summary_json",
    "runs_with_id",
    "split_state_id",
    "status_rank",
    "stream_results",
    "summaries_in_log",
]

#: Meltano job states as the run history names them.
_STATUS = {"SUCCESS": "completed", "FAIL": "failed", "RUNNING": "running"}


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


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
