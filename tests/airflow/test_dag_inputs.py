"""What the DAG factory reads, without Airflow: the project file and the pool settings."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from airflow_harness import ROOT

sys.path.insert(0, str(ROOT / "orchestration"))
from walkme_dags.pools import pool_name, pool_slots, pools_document
from walkme_dags.project import ProjectFileError, read_integrations, schedulable


def write(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_include_paths_list_tasks_and_elt_schedules(tmp_path: Path) -> None:
    write(
        tmp_path / "meltano.yml",
        {
            "include_paths": ["integrations/*.meltano.yml"],
            "jobs": [{"name": "j1", "tasks": [["tap-walkme-insights--a", "target-x--a"]]}],
            "schedules": [
                {"name": "s1", "interval": "0 9 * * *", "job": "j1", "env": {"X": 1}},
                {"name": "old", "interval": "@daily", "extractor": "tap-x", "loader": "y"},
            ],
        },
    )
    (tmp_path / "integrations").mkdir()
    write(
        tmp_path / "integrations" / "b.meltano.yml",
        {
            "jobs": [{"name": "j2", "tasks": "tap-walkme-insights--b target-x--b"}],
            "schedules": [{"name": "s2", "interval": "30 9 * * 1-5", "job": "j2"}],
        },
    )

    found = read_integrations(tmp_path)

    assert [(i.schedule, i.job, i.name, i.interval) for i in found] == [
        ("s1", "j1", "a", "0 9 * * *"),
        ("old", None, "old", "@daily"),
        ("s2", "j2", "b", "30 9 * * 1-5"),
    ]
    assert found[0].env == {"X": "1"}
    assert [i.schedule for i in schedulable(found)] == ["s1", "s2"]


def test_missing_project_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="WALKME_MELTANO_PROJECT_ROOT"):
        read_integrations(tmp_path)


def test_pools_per_org_with_slots() -> None:
    environ = {
        "WALKME_AIRFLOW_POOL_SLOTS": "5",
        "WALKME_AIRFLOW_POOL_SLOTS_PROD": "2",
        "WALKME_AIRFLOW_ORG_PROD_EU": "prod",
    }
    assert pool_name("prod", environ) == pool_name("prod-eu", environ) == "salesforce_org_prod"
    assert pool_name("sandbox", environ) == "salesforce_org_sandbox"
    assert pool_slots("prod-eu", environ) == 2 and pool_slots("sandbox", environ) == 5
    document = pools_document(["prod", "prod-eu", "sandbox"], environ)
    assert {name: pool["slots"] for name, pool in document.items()} == {
        "salesforce_org_prod": 2,
        "salesforce_org_sandbox": 5,
    }
    with pytest.raises(ValueError, match="WALKME_AIRFLOW_POOL_SLOTS_PROD='many'"):
        pool_slots("prod", {"WALKME_AIRFLOW_POOL_SLOTS_PROD": "many"})
