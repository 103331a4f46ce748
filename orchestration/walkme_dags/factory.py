"""Build one Airflow DAG per integration schedule and Meltano environment.

Why one DAG per integration (and not one per org with a task per integration): each
integration then has its own schedule, run history, pause switch, retries and red/green state in
the Airflow UI, one failing integration does not mark its org's other integrations failed, and
adding or removing an integration adds or removes exactly one DAG. What the org-level view gave
— not running dozens of integrations against one org at once — is the org's pool
(:mod:`walkme_dags.pools`), which every task of that environment runs in.

Each DAG has one task, ``meltano_run``::

    meltano --environment <env> run <job>

run in the project root with ``MELTANO_ENVIRONMENT`` set to the same value, so nothing relies on
``default_environment``. Meltano exits non-zero when the target does — including when the
integration's ``fail_on`` (or ``fail_on_rejections``) says rejected or failed rows fail the run —
and the task then fails, is retried with exponential backoff, and after the last try calls the
alert hook (:mod:`walkme_dags.alerting`).

Configuration, read when Airflow parses the DAG file (all optional except the environments):

- ``WALKME_AIRFLOW_ENVIRONMENTS``: comma-separated Meltano environments to schedule (required);
- ``WALKME_MELTANO_PROJECT_ROOT``: the Meltano project (default: the repository this file is in);
- ``WALKME_MELTANO_BIN``: the ``meltano`` executable (default ``meltano`` on PATH);
- ``WALKME_AIRFLOW_RETRIES`` (default 2), ``WALKME_AIRFLOW_RETRY_DELAY_MINUTES`` (default 5,
  doubling per try up to ``WALKME_AIRFLOW_MAX_RETRY_DELAY_MINUTES``, default 60),
  ``WALKME_AIRFLOW_TIMEOUT_HOURS`` (default 6);
- ``WALKME_AIRFLOW_SECRET_VARIABLES``: comma-separated environment variable names (e.g.
  ``TARGET_SALESFORCE_UPDATE_REFRESH_TOKEN,TAP_WALKME_INSIGHTS_CLIENT_SECRET``) whose values the
  task takes at run time from the Airflow Variable ``<env>__<NAME>`` (so from Airflow's secrets
  backend when one is configured) instead of the worker's environment;
- the pool slots, see :mod:`walkme_dags.pools`.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from walkme_dags.alerting import failure_callback
from walkme_dags.pools import pool_name
from walkme_dags.project import (
    Integration,
    ProjectFileError,
    environment_names,
    read_integrations,
    schedulable,
)

DEFAULT_PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")
TASK_ID = "meltano_run"


@dataclass(frozen=True)
class FactorySettings:
    """What the generated DAGs need besides the project file."""

    project_root: Path
    environments: tuple[str, ...]
    meltano_bin: str = "meltano"
    retries: int = 2
    retry_delay: timedelta = timedelta(minutes=5)
    max_retry_delay: timedelta = timedelta(minutes=60)
    execution_timeout: timedelta = timedelta(hours=6)
    secret_variables: tuple[str, ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> FactorySettings:
        """Settings from the ``WALKME_*`` variables (see the module docstring)."""
        environ = os.environ if environ is None else environ
        listed = environ.get("WALKME_AIRFLOW_ENVIRONMENTS", "").split(",")
        environments = tuple(e.strip() for e in listed if e.strip())
        if not environments:
            msg = (
                "WALKME_AIRFLOW_ENVIRONMENTS is not set: give the Meltano environments Airflow "
                "runs, e.g. WALKME_AIRFLOW_ENVIRONMENTS=prod (comma-separated). The DAGs never "
                "fall back to the project's default_environment."
            )
            raise ProjectFileError(msg)

        def number(key: str, default: int) -> int:
            raw = environ.get(key, "")
            if raw == "":
                return default
            if not raw.isdigit():
                msg = f"{key}={raw!r} must be a whole number."
                raise ValueError(msg)
            return int(raw)

        return cls(
            project_root=Path(environ.get("WALKME_MELTANO_PROJECT_ROOT") or DEFAULT_PROJECT_ROOT),
            environments=environments,
            meltano_bin=environ.get("WALKME_MELTANO_BIN") or "meltano",
            retries=number("WALKME_AIRFLOW_RETRIES", 2),
            retry_delay=timedelta(minutes=number("WALKME_AIRFLOW_RETRY_DELAY_MINUTES", 5)),
            max_retry_delay=timedelta(minutes=number("WALKME_AIRFLOW_MAX_RETRY_DELAY_MINUTES", 60)),
            execution_timeout=timedelta(hours=number("WALKME_AIRFLOW_TIMEOUT_HOURS", 6)),
            secret_variables=_names(environ.get("WALKME_AIRFLOW_SECRET_VARIABLES", "")),
        )


def _names(listed: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in listed.split(",") if name.strip())
    bad = [name for name in names if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)]
    if bad:
        msg = f"WALKME_AIRFLOW_SECRET_VARIABLES lists invalid variable names: {', '.join(bad)}."
        raise ValueError(msg)
    return names


def secret_variable_key(environment: str, name: str) -> str:
    """The Airflow Variable holding ``name`` for one environment: ``<env>__<NAME>``."""
    return f"{environment}__{name}"


def dag_id(environment: str, integration: Integration) -> str:
    """``walkme_<env>__<schedule>``, e.g. ``walkme_prod__walkme-nps-to-salesforce-daily``."""
    raw = f"walkme_{environment}__{integration.schedule}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", raw)


def meltano_command(settings: FactorySettings, environment: str, job: str) -> str:
    """The task's shell command: ``meltano --environment ENV run JOB`` in the project root."""
    return " ".join(
        [
            "cd",
            shlex.quote(str(settings.project_root)),
            "&&",
            "exec",
            shlex.quote(settings.meltano_bin),
            "--environment",
            shlex.quote(environment),
            "run",
            shlex.quote(job),
        ]
    )


def build_dag(settings: FactorySettings, environment: str, integration: Integration) -> DAG:
    """The DAG of one integration in one environment."""
    assert integration.job is not None
    with DAG(
        dag_id=dag_id(environment, integration),
        description=f"WalkMe → Salesforce: {integration.name} in {environment} "
        f"(meltano job {integration.job})",
        schedule=integration.interval,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["walkme-salesforce", f"env:{environment}", f"integration:{integration.name}"],
        params={
            "integration": integration.name,
            "environment": environment,
            "job": integration.job,
        },
        doc_md=f"Runs `meltano --environment {environment} run {integration.job}` in "
        f"`{settings.project_root}` (schedule `{integration.schedule}`).",
    ) as dag:
        BashOperator(
            task_id=TASK_ID,
            bash_command=meltano_command(settings, environment, integration.job),
            env={
                **integration.env,
                # Rendered when the task runs, never at parse time; Airflow masks the values
                # in logs and the rendered-template view (names with TOKEN, SECRET, PASSWORD…,
                # or listed in AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES).
                **{
                    name: "{{ var.value['" + secret_variable_key(environment, name) + "'] }}"
                    for name in settings.secret_variables
                },
                "MELTANO_ENVIRONMENT": environment,
                "MELTANO_PROJECT_ROOT": str(settings.project_root),
            },
            append_env=True,
            pool=pool_name(environment),
            retries=settings.retries,
            retry_delay=settings.retry_delay,
            retry_exponential_backoff=True,
            max_retry_delay=settings.max_retry_delay,
            execution_timeout=settings.execution_timeout,
            on_failure_callback=failure_callback(settings.meltano_bin, settings.project_root),
        )
    return dag


def build_dags(settings: FactorySettings) -> dict[str, DAG]:
    """Every integration's DAG for every environment in ``settings``."""
    known = environment_names(settings.project_root)
    unknown = [env for env in settings.environments if env not in known]
    if unknown:
        msg = (
            f"Environment(s) {', '.join(unknown)} are not defined in "
            f"{settings.project_root / 'meltano.yml'} (it defines {', '.join(known) or 'none'}); "
            "fix WALKME_AIRFLOW_ENVIRONMENTS."
        )
        raise ProjectFileError(msg)
    dags: dict[str, DAG] = {}
    for environment in settings.environments:
        for integration in schedulable(read_integrations(settings.project_root)):
            dag = build_dag(settings, environment, integration)
            dags[dag.dag_id] = dag
    return dags


def register(namespace: dict[str, object], environments: Sequence[str] | None = None) -> list[str]:
    """Build the DAGs from the environment's settings and put them in a DAG file's globals."""
    settings = FactorySettings.from_environ()
    if environments is not None:
        settings = FactorySettings(**{**settings.__dict__, "environments": tuple(environments)})
    dags = build_dags(settings)
    namespace.update(dags)
    return list(dags)
