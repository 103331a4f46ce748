"""The integrations Airflow runs, read from the Meltano project file at DAG-parse time.

Airflow re-parses DAG files every ``min_file_process_interval`` (30 s by default) in every DAG
processor, so this reads ``meltano.yml`` (and the files its ``include_paths`` name) with a YAML
parser — milliseconds, no Meltano import, no subprocess — instead of running
``meltano schedule list --format=json`` (a second or more of CPU per parse, and Meltano in
Airflow's environment). The result is the same list: tests/airflow compares the two.

An integration is a schedule whose job runs one inherited tap/target pair
(``tap-walkme-insights--<name> target-salesforce-update--<name>``), as the setup commands write
it; its name is the ``--<name>`` suffix. Schedules that name an extractor/loader pair instead of
a job (Meltano's older ``elt`` schedules) are returned with ``job=None`` and not scheduled.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ProjectFileError(ValueError):
    """The project file cannot be read or is not a Meltano project."""


@dataclass(frozen=True)
class Integration:
    """One scheduled job of the Meltano project."""

    schedule: str
    interval: str
    job: str | None
    tasks: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The integration's name: the inherited tap's ``--<name>`` suffix, else the job."""
        for task in self.tasks:
            for plugin in task.split():
                if plugin.startswith("tap-") and "--" in plugin:
                    return plugin.split("--", 1)[1]
        return self.job or self.schedule


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        msg = f"Cannot read the Meltano project file {path}: {error}"
        raise ProjectFileError(msg) from error
    if not isinstance(data, dict):
        msg = f"{path} is not a Meltano project file (expected a mapping at the top level)."
        raise ProjectFileError(msg)
    return data


def project_files(project_root: Path) -> list[Path]:
    """``meltano.yml`` and the files its ``include_paths`` globs match (as Meltano reads them)."""
    main = project_root / "meltano.yml"
    if not main.is_file():
        msg = (
            f"No meltano.yml in {project_root}. Point WALKME_MELTANO_PROJECT_ROOT at the Meltano "
            "project baked into the worker image (docs/deployment.md)."
        )
        raise ProjectFileError(msg)
    files = [main]
    for pattern in _load(main).get("include_paths") or ():
        files += sorted(Path(p) for p in glob.glob(str(project_root / pattern), recursive=True))
    return files


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _tasks(job: Mapping[str, Any]) -> tuple[str, ...]:
    tasks = job.get("tasks")
    if isinstance(tasks, str):
        return (tasks,)
    flat: list[str] = []
    for task in _as_list(tasks):
        flat.append(" ".join(task) if isinstance(task, list) else str(task))
    return tuple(flat)


def read_integrations(project_root: Path) -> list[Integration]:
    """Every schedule of the project with its job's tasks, in file order."""
    jobs: dict[str, tuple[str, ...]] = {}
    schedules: list[Mapping[str, Any]] = []
    for path in project_files(project_root):
        data = _load(path)
        for job in _as_list(data.get("jobs")):
            if isinstance(job, dict) and job.get("name"):
                jobs[str(job["name"])] = _tasks(job)
        schedules += [s for s in _as_list(data.get("schedules")) if isinstance(s, dict)]
    found = []
    for schedule in schedules:
        job = schedule.get("job")
        found.append(
            Integration(
                schedule=str(schedule.get("name")),
                interval=str(schedule.get("interval") or ""),
                job=str(job) if job else None,
                tasks=jobs.get(str(job), ()) if job else (),
                env={str(k): str(v) for k, v in (schedule.get("env") or {}).items()},
            )
        )
    return found


def environment_names(project_root: Path) -> list[str]:
    """The environments the project defines (to check the ones Airflow is told to run)."""
    names: list[str] = []
    for path in project_files(project_root):
        names += [
            str(env["name"])
            for env in _as_list(_load(path).get("environments"))
            if isinstance(env, dict) and env.get("name")
        ]
    return names


def schedulable(integrations: Iterable[Integration]) -> list[Integration]:
    """The integrations Airflow runs: job schedules with a cron interval."""
    return [i for i in integrations if i.job and i.interval]
