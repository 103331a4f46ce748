"""Meltano's system DB on a real PostgreSQL server: state and run history shared by all workers.

Both sample integrations run with ``MELTANO_DATABASE_URI=postgresql+psycopg://…``; their state
and runs are read back from PostgreSQL three ways (SQL on Meltano's tables, ``meltano state
get``, the project's ``walkme-salesforce runs`` / ``run-log``), and a second run of one
integration starts from the state the first saved there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_project import Project
from postgres_server import PASSWORD, PostgresServer
from test_sync import JOBS, STATE_ID, assert_synced

pytestmark = pytest.mark.slow
WALKME_SALESFORCE = Path(sys.executable).with_name("walkme-salesforce")


def runs_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`walkme-salesforce runs|run-log ARGS` (the documented run-history commands)."""
    return subprocess.run(
        [str(WALKME_SALESFORCE), *args],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_two_integrations_state_and_run_history_on_postgres(
    project: Project, postgres: PostgresServer
) -> None:
    env = {"MELTANO_DATABASE_URI": postgres.uri}
    leads, contacts = project.salesforce.records("Lead"), project.salesforce.records("Contact")

    for name in ("onboarding", "nps"):
        done = project.meltano("--environment", "demo", "run", JOBS[name], env=env)
        assert done.returncode == 0, done.output[-5000:]
        assert PASSWORD not in done.output
    assert_synced(project, "onboarding", contacts)
    assert_synced(project, "nps", leads)

    # Meltano wrote its tables in PostgreSQL, not in the test's SQLite file
    states = dict(postgres.query("SELECT state_id, completed_state FROM state"))
    assert set(states) == {STATE_ID["onboarding"], STATE_ID["nps"]}
    for name in ("onboarding", "nps"):
        saved = states[STATE_ID[name]]
        saved = json.loads(saved) if isinstance(saved, str) else saved
        assert saved["singer_state"]["bookmarks"][name]["export"], saved
    runs = postgres.query("SELECT job_name, state FROM runs ORDER BY started_at")
    assert runs == [(STATE_ID["onboarding"], "SUCCESS"), (STATE_ID["nps"], "SUCCESS")]
    assert not Path(project.env["MELTANO_DATABASE_URI"].removeprefix("sqlite:///")).exists()

    shown = project.meltano("state", "get", STATE_ID["nps"], env=env)
    assert shown.returncode == 0, shown.output[-3000:]
    assert json.loads(shown.stdout[shown.stdout.index("{") :])["singer_state"]["bookmarks"]["nps"]

    # the run history reads the same database
    history_env = {**project.env, **env}
    listed = runs_cli(history_env, "runs", "--json")
    assert listed.returncode == 0, listed.stderr
    history = json.loads(listed.stdout)["runs"]
    assert [(r["integration"], r["environment"], r["status"]) for r in history] == [
        ("nps", "demo", "completed"),
        ("onboarding", "demo", "completed"),
    ]
    assert all(r["started_at"].endswith("+00:00") and r["duration_seconds"] > 0 for r in history)
    assert history[0]["streams"][0]["sobject"] == "Lead"
    nps_run = history[0]["run_id"]
    assert nps_run in {str(row[0]) for row in postgres.query("SELECT run_id FROM runs")}
    for given in (nps_run, nps_run[:30]):
        one = runs_cli(history_env, "run-log", given)
        assert one.returncode == 0, one.stderr
        assert "Status:       completed" in one.stdout and "Summary: stream=nps" in one.stdout
    bogus = runs_cli(history_env, "run-log", "x" * 36)
    assert bogus.returncode != 0 and "No run with id" in bogus.stdout + bogus.stderr

    # a second run starts from the state saved in PostgreSQL: nothing new to read or write
    updates = project.salesforce.stats()["records_updated"]
    again = project.meltano("--environment", "demo", "run", JOBS["nps"], env=env)
    assert again.returncode == 0, again.output[-5000:]
    assert "nothing to emit" in " ".join(again.output.split()), again.output[-3000:]
    assert project.salesforce.stats()["records_updated"] == updates
    assert postgres.query("SELECT count(*) FROM runs WHERE state = 'SUCCESS'") == [(3,)]
