"""Fixtures of the Airflow tests (helpers: airflow_harness.py)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow_harness import AIRFLOW, TESTS, Airflow, airflow_env

sys.path.insert(0, str(TESTS / "e2e"))
from e2e_fixtures import meltano_installed, project, world

__all__ = ["meltano_installed", "project", "world"]


@pytest.fixture(scope="session")
def airflow_installed() -> None:
    if not AIRFLOW.exists():
        pytest.fail(
            f"Apache Airflow is not installed ({AIRFLOW} missing). Run `make airflow-venv`; "
            "`make test` does it."
        )


@pytest.fixture(scope="session")
def migrated_airflow_home(
    airflow_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """An AIRFLOW_HOME with a migrated metadata DB (SQLite), made once and copied per test."""
    home = tmp_path_factory.mktemp("airflow-home-template")
    migrated = Airflow(airflow_env(home, dict(os.environ))).run("db", "migrate")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    return home


@pytest.fixture
def airflow(migrated_airflow_home: Path, tmp_path: Path) -> Iterator[Airflow]:
    """Airflow with its own copy of the migrated metadata DB in a temporary AIRFLOW_HOME."""
    home = tmp_path / "airflow-home"
    shutil.copytree(migrated_airflow_home, home)
    yield Airflow(airflow_env(home, dict(os.environ)))
