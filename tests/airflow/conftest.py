"""Fixtures of the Airflow tests: Airflow from .venv-airflow with a throwaway AIRFLOW_HOME.

Airflow lives in its own virtualenv (``make airflow-venv``, which ``make test`` runs); the tests
drive its CLI (``airflow db migrate``, ``airflow pools import``, ``airflow dags test``) and a
DagBag script in that environment, while Meltano runs from the project's ``.venv`` as in
production (``WALKME_MELTANO_BIN``). The e2e suite's ``project`` fixture (fresh emulators, a test
system DB, log and results folders) is reused for the runs.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
AIRFLOW_VENV = ROOT / ".venv-airflow"
AIRFLOW = AIRFLOW_VENV / "bin" / "airflow"
DAGS_FOLDER = ROOT / "orchestration" / "dags"
MELTANO_BIN = Path(sys.executable).parent / "meltano"

# The e2e fixtures (emulators + this project in the demo environment), shared rather than copied.
sys.path.insert(0, str(TESTS / "e2e"))
_spec = importlib.util.spec_from_file_location("e2e_fixtures", TESTS / "e2e" / "conftest.py")
assert _spec and _spec.loader
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)
meltano_installed = _e2e.meltano_installed
world = _e2e.world
project = _e2e.project


@dataclass
class Airflow:
    """Airflow's CLI and Python with one test's AIRFLOW_HOME and WALKME_* settings."""

    env: dict[str, str]

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AIRFLOW), *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            text=True,
            capture_output=True,
            timeout=timeout,
            check=False,
        )

    def python(
        self, code: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AIRFLOW_VENV / "bin" / "python"), "-c", code],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            text=True,
            capture_output=True,
            timeout=300,
            check=False,
        )


def airflow_env(home: Path, base: dict[str, str]) -> dict[str, str]:
    """Settings for an Airflow with its metadata DB in ``home`` and the repository's DAG file."""
    env = {k: v for k, v in base.items() if not k.startswith(("AIRFLOW", "WALKME_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        WALKME_AIRFLOW_ENVIRONMENTS="demo",
        WALKME_MELTANO_BIN=str(MELTANO_BIN),
        WALKME_MELTANO_PROJECT_ROOT=str(ROOT),
    )
    return env


@pytest.fixture(scope="session")
def airflow_installed() -> None:
    if not AIRFLOW.exists():
        pytest.fail(
            f"Apache Airflow is not installed ({AIRFLOW} missing). Run `make airflow-venv`; "
            "`make test` does it."
        )


@pytest.fixture
def airflow(airflow_installed: None, tmp_path: Path) -> Iterator[Airflow]:
    """A migrated Airflow metadata DB (SQLite) in a temporary AIRFLOW_HOME."""
    home = tmp_path / "airflow-home"
    home.mkdir()
    instance = Airflow(airflow_env(home, dict(os.environ)))
    migrated = instance.run("db", "migrate")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    yield instance
