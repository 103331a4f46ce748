"""Run an integration now: `meltano --environment ENV run JOB`, then read how it went.

    walkme-salesforce run NAME_OR_JOB -e ENV [--full-refresh]

``NAME_OR_JOB`` is an integration name (its job is ``walkme-<name>-to-salesforce``) or any job
name of the project. The run:

- starts Meltano with umask 077 and makes ``.meltano/run`` private first: Meltano writes every
  plugin's resolved config — secrets included — to ``.meltano/run/<plugin>/*.config.json``
  while the plugin runs, with the process's umask (0644 under the usual 022);
- streams Meltano's output line by line, signed links redacted (:mod:`.redact`);
- passes its own ``--run-id`` so the run is found in Meltano's ``runs`` table afterwards, and
  reads it back through :mod:`.run_history` (Meltano's job state combined with the target's
  per-stream status, counts and ``dry_run`` from the summary it wrote);
- returns a :class:`RunOutcome`; the CLI prints one outcome line, sends the alert the alert
  rule asks for (:mod:`.alerts`) and exits with Meltano's exit code — non-zero when the target
  exited non-zero under its ``fail_on`` setting, or anything else failed.
"""

from __future__ import annotations

import os
import stat
import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SetupError
from .integrations import job_name
from .meltano_cli import find_meltano, nested_env
from .meltano_yml import MeltanoYml
from .redact import redact_text
from .run_history import (
    COMPLETED,
    COUNT_KEYS,
    FAILED,
    Run,
    StreamResult,
    combined_status,
    integration_name,
    runs_with_id,
)

#: The umask every documented way of running uses: files Meltano and the plugins create
#: (config files with secrets, results CSVs with report values) are readable by the owner only.
PRIVATE_UMASK = 0o077


@dataclass
class RunOutcome:
    """How one `walkme-salesforce run` went, as Meltano and the target recorded it."""

    job: str
    environment: str
    integration: str
    run_id: str
    status: str
    exit_code: int
    streams: list[StreamResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    log_path: Path | None = None
    dry_run: bool = False
    full_refresh: bool = False
    project_root: Path | None = None
    runs: list[Run] = field(default_factory=list)

    @property
    def rows_not_landed(self) -> int:
        """Rows whose values did not land: rejected before writing, or failed at Salesforce."""
        return self.counts.get("rejected", 0) + self.counts.get("failed", 0)

    @property
    def ok(self) -> bool:
        """Every mapped value landed: status ``completed``, exit 0, no rejected/failed row."""
        return self.status == COMPLETED and self.exit_code == 0 and not self.rows_not_landed

    @property
    def failed(self) -> bool:
        """The run itself failed (not only some rows)."""
        return self.status.startswith(FAILED) or (self.exit_code != 0 and not self.streams)

    def outcome_line(self) -> str:
        """One line for people: integration, environment, status, counts, run id."""
        counts = " ".join(f"{key}={self.counts.get(key, 0)}" for key in COUNT_KEYS)
        dry = " (dry run: nothing written)" if self.dry_run else ""
        streams = f" {counts}" if self.streams else " (the target reported no summary)"
        return (
            f"Run {self.run_id}: integration {self.integration} ({self.environment}) "
            f"{self.status}{dry}.{streams}"
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly view."""
        return {
            "job": self.job,
            "environment": self.environment,
            "integration": self.integration,
            "run_id": self.run_id,
            "status": self.status,
            "exit_code": self.exit_code,
            "dry_run": self.dry_run,
            "full_refresh": self.full_refresh,
            "counts": dict(self.counts),
            "log": str(self.log_path) if self.log_path else None,
            "streams": [vars(stream) for stream in self.streams],
        }


def _jobs(document: MeltanoYml) -> dict[str, list[str]]:
    """Job name → its tasks as strings (``"tap target"`` per block)."""
    found: dict[str, list[str]] = {}
    for job in document.data.get("jobs") or []:
        tasks = job.get("tasks") or []
        if isinstance(tasks, str):
            tasks = [tasks]
        found[str(job.get("name"))] = [
            " ".join(task) if isinstance(task, list) else str(task) for task in tasks
        ]
    return found


def resolve_job(project_root: Path, name_or_job: str) -> tuple[str, str]:
    """(job name, integration name) for an integration name or a job name of the project."""
    jobs = _jobs(MeltanoYml(project_root / "meltano.yml"))
    job = name_or_job if name_or_job in jobs else job_name(name_or_job)
    if job not in jobs:
        known = ", ".join(sorted(jobs)) or "none"
        raise SetupError(
            f"No integration or job named {name_or_job!r} in meltano.yml (jobs: {known}). "
            "See `walkme-salesforce list`, or add one with `walkme-salesforce add`."
        )
    taps = [
        word
        for task in jobs[job]
        for word in task.split()
        if word.startswith("tap-walkme-insights")
    ]
    if job == job_name(name_or_job):
        integration = name_or_job
    elif taps:
        integration = ", ".join(dict.fromkeys(integration_name(tap) for tap in taps))
    else:
        integration = job
    return job, integration


def _private_tree(root: Path) -> Iterator[Path]:
    if not root.is_dir() or root.is_symlink():
        return
    yield root
    for path in root.rglob("*"):
        if not path.is_symlink():
            yield path


def make_run_dir_private(project_root: Path) -> None:
    """chmod ``.meltano/run`` to owner-only: folders 0700, files 0600 (symlinks untouched).

    Meltano deletes a plugin's config file when the plugin ends, but a killed run leaves it;
    an owner-only folder keeps such leftovers (and the next run's files) private whatever the
    umask of whoever ran Meltano before.
    """
    for path in _private_tree(project_root / ".meltano" / "run"):
        mode = stat.S_IMODE(path.stat().st_mode)
        private = mode & 0o700
        if private != mode:
            path.chmod(private)


def meltano_run_command(
    job: str, *, environment: str, run_id: str, full_refresh: bool = False
) -> list[str]:
    """The `meltano` command line of a run."""
    command = [find_meltano(), f"--environment={environment}", "run", f"--run-id={run_id}"]
    if full_refresh:
        command.append("--full-refresh")
    command.append(job)
    return command


def _new_run_id() -> str:
    try:
        from meltano.core.utils import new_run_id

        return str(new_run_id())
    except ImportError:  # pragma: no cover - older Meltano
        return str(uuid.uuid4())


def run_integration(
    project_root: Path,
    name_or_job: str,
    *,
    environment: str,
    full_refresh: bool = False,
    on_output: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
) -> RunOutcome:
    """Run an integration's job (or any job) in an environment and read back its outcome.

    ``on_output`` receives each line Meltano prints (stdout and stderr merged, newline
    stripped, signed links redacted) while the run goes on. ``env`` adds or overrides
    variables for Meltano (e.g. a demo's connection); the caller's variables that
    `meltano invoke` set for this plugin are dropped first (see :func:`.meltano_cli.nested_env`).
    """
    project_root = Path(project_root).resolve()
    job, integration = resolve_job(project_root, name_or_job)
    run_id = _new_run_id()
    command = meltano_run_command(
        job, environment=environment, run_id=run_id, full_refresh=full_refresh
    )
    child_env = {**nested_env(), "MELTANO_PROJECT_ROOT": str(project_root), **(env or {})}
    child_env.pop("MELTANO_RUN_ID", None)
    make_run_dir_private(project_root)
    previous = os.umask(PRIVATE_UMASK)
    try:
        process = subprocess.Popen(
            command,
            cwd=project_root,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
    finally:
        os.umask(previous)
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if on_output is not None:
                on_output(redact_text(line.rstrip("\n")))
    finally:
        process.stdout.close()
        exit_code = process.wait()
    make_run_dir_private(project_root)
    with _environ(env):
        return read_outcome(
            project_root,
            job=job,
            integration=integration,
            environment=environment,
            run_id=run_id,
            exit_code=exit_code,
            full_refresh=full_refresh,
        )


@contextmanager
def _environ(overrides: Mapping[str, str] | None) -> Iterator[None]:
    """Read the run history with the variables the run had (system DB URI, log folder…)."""
    if not overrides:
        yield
        return
    saved = dict(os.environ)
    os.environ.update(overrides)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def read_outcome(
    project_root: Path,
    *,
    job: str,
    integration: str,
    environment: str,
    run_id: str,
    exit_code: int,
    full_refresh: bool = False,
) -> RunOutcome:
    """The outcome of a finished run, from the run history (one Run per block of the job)."""
    runs = runs_with_id(run_id, project_root=project_root)
    streams = [stream for run in runs for stream in run.streams]
    counts = {key: sum(stream.counts.get(key, 0) for stream in streams) for key in COUNT_KEYS}
    if runs:
        status = combined_status(
            COMPLETED if exit_code == 0 else FAILED, [run.status for run in runs]
        )
    else:
        status = COMPLETED if exit_code == 0 else FAILED
    if exit_code != 0 and status == COMPLETED:
        status = FAILED
    return RunOutcome(
        job=job,
        environment=environment,
        integration=integration,
        run_id=run_id,
        status=status,
        exit_code=exit_code,
        streams=streams,
        counts=counts,
        log_path=runs[-1].log_path if runs else None,
        dry_run=bool(runs) and all(run.dry_run for run in runs),
        full_refresh=full_refresh,
        project_root=project_root,
        runs=runs,
    )
