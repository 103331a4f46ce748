"""The generated Airflow DAGs: loaded by Airflow's DagBag, and one run with `airflow dags test`.

Airflow 3.1 (``.venv-airflow``) loads ``orchestration/dags/walkme_salesforce_dags.py``; the
integration task runs ``meltano --environment demo run <job>`` from the project's ``.venv``
against the emulators. Assertions are on the emulator's records, Meltano's run history
(``walkme-salesforce runs``), Airflow's task states and what the failure callback sent.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import yaml
from airflow_harness import ROOT, Airflow
from e2e_project import Project

sys.path.insert(0, str(ROOT / "orchestration"))
from walkme_dags.project import read_integrations

ONBOARDING_DAG = "walkme_demo__walkme-onboarding-to-salesforce-daily"
NPS_DAG = "walkme_demo__walkme-nps-to-salesforce-daily"

DAGBAG_REPORT = textwrap.dedent(
    """
    import json
    from airflow.models.dagbag import DagBag
    bag = DagBag(include_examples=False)
    out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
    for dag_id, dag in bag.dags.items():
        (task,) = dag.tasks
        out["dags"][dag_id] = {
            "schedule": str(dag.timetable.summary),
            "timezone": str(dag.timetable._timezone),
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "task_id": task.task_id,
            "command": task.bash_command,
            "env": task.env,
            "pool": task.pool,
            "retries": task.retries,
            "retry_delay_s": task.retry_delay.total_seconds(),
            "backoff": task.retry_exponential_backoff,
            "max_retry_delay_s": task.max_retry_delay.total_seconds(),
            "callback": bool(task.on_failure_callback),
        }
    print("DAGBAG=" + json.dumps(out))
    """
)


def dagbag(airflow: Airflow, env: dict[str, str] | None = None) -> dict:
    done = airflow.python(DAGBAG_REPORT, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("DAGBAG="))
    return json.loads(line.removeprefix("DAGBAG="))


def test_dagbag_loads_one_dag_per_integration(airflow: Airflow, tmp_path: Path) -> None:
    bag = dagbag(airflow)

    assert bag["errors"] == {}
    assert sorted(bag["dags"]) == [NPS_DAG, ONBOARDING_DAG]
    dag = bag["dags"][ONBOARDING_DAG]
    assert dag["schedule"] == "0 9 * * *" and dag["timezone"] == "UTC"
    assert dag["catchup"] is False and dag["max_active_runs"] == 1
    assert dag["command"].endswith("--environment demo run walkme-onboarding-to-salesforce"), dag[
        "command"
    ]
    assert dag["env"]["MELTANO_ENVIRONMENT"] == "demo"
    assert dag["pool"] == "salesforce_org_demo"
    assert (dag["retries"], dag["retry_delay_s"], dag["backoff"]) == (2, 300.0, True)
    assert dag["max_retry_delay_s"] == 3600.0 and dag["callback"] is True

    # Two environments: one DAG per integration per environment, each in its org's pool.
    both = dagbag(airflow, env={"WALKME_AIRFLOW_ENVIRONMENTS": "demo,prod"})
    assert both["errors"] == {}
    prod = both["dags"]["walkme_prod__walkme-nps-to-salesforce-daily"]
    assert prod["pool"] == "salesforce_org_prod"
    assert "--environment prod run walkme-nps-to-salesforce" in prod["command"]

    # Secrets named in WALKME_AIRFLOW_SECRET_VARIABLES come from Airflow Variables at run time.
    secret = dagbag(
        airflow,
        env={"WALKME_AIRFLOW_SECRET_VARIABLES": "TARGET_SALESFORCE_UPDATE_REFRESH_TOKEN"},
    )["dags"][ONBOARDING_DAG]["env"]
    assert secret["TARGET_SALESFORCE_UPDATE_REFRESH_TOKEN"] == (
        "{{ var.value['demo__TARGET_SALESFORCE_UPDATE_REFRESH_TOKEN'] }}"
    )

    # No environment given: an import error saying what to set (never default_environment).
    unset = dagbag(airflow, env={"WALKME_AIRFLOW_ENVIRONMENTS": ""})
    assert unset["dags"] == {}
    (error,) = unset["errors"].values()
    assert "WALKME_AIRFLOW_ENVIRONMENTS is not set" in error

    # An unknown environment is named with the ones the project defines.
    typo = dagbag(airflow, env={"WALKME_AIRFLOW_ENVIRONMENTS": "production"})
    (error,) = typo["errors"].values()
    assert "production" in error and "demo, sandbox, prod" in error


def test_added_integration_appears_without_editing_the_factory(
    airflow: Airflow, tmp_path: Path
) -> None:
    """A job + schedule as the setup commands write them gives one more DAG."""
    project_copy = tmp_path / "project"
    project_copy.mkdir()
    data = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    data["jobs"].append(
        {
            "name": "walkme-trial-to-salesforce",
            "tasks": ["tap-walkme-insights--trial target-salesforce-update--trial"],
        }
    )
    data["schedules"].append(
        {
            "name": "walkme-trial-to-salesforce-daily",
            "interval": "0 9 * * *",
            "job": "walkme-trial-to-salesforce",
        }
    )
    (project_copy / "meltano.yml").write_text(yaml.safe_dump(data), encoding="utf-8")

    bag = dagbag(airflow, env={"WALKME_MELTANO_PROJECT_ROOT": str(project_copy)})

    assert bag["errors"] == {}
    new = bag["dags"]["walkme_demo__walkme-trial-to-salesforce-daily"]
    assert new["command"].startswith(f"cd {project_copy} && ")
    assert new["command"].endswith("--environment demo run walkme-trial-to-salesforce")
    assert new["pool"] == "salesforce_org_demo"
    assert len(bag["dags"]) == 3


def test_factory_reads_the_schedules_meltano_lists(project: Project) -> None:
    """Reading meltano.yml at parse time gives what `meltano schedule list` gives."""
    listed = project.meltano("schedule", "list", "--format=json")
    assert listed.returncode == 0, listed.output[-3000:]
    meltano_view = {
        s["name"]: (s["interval"], s["job"]["name"], tuple(s["job"]["tasks"]))
        for s in json.loads(listed.stdout)["schedules"]["job"]
    }
    ours = {i.schedule: (i.interval, i.job, i.tasks) for i in read_integrations(ROOT)}
    assert ours == meltano_view
    assert {i.name for i in read_integrations(ROOT)} == {"onboarding", "nps"}
