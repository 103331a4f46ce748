"""Helpers of the Airflow tests: Airflow from .venv-airflow with a throwaway AIRFLOW_HOME.

Airflow lives in its own virtualenv (``make airflow-venv``, which ``make test`` runs); the tests
drive its CLI (``airflow db migrate``, ``airflow pools import``, ``airflow dags test``) and a
DagBag script in that environment, while Meltano runs from the project's ``.venv`` as in
production (``WALKME_MELTANO_BIN``). The e2e suite's ``project`` fixture (fresh emulators, a test
system DB, log and results folders) is reused for the runs (conftest.py). A module of its own,
so test files import it by a unique name.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
AIRFLOW_VENV = ROOT / ".venv-airflow"
AIRFLOW = AIRFLOW_VENV / "bin" / "airflow"
DAGS_FOLDER = ROOT / "orchestration" / "dags"
MELTANO_BIN = Path(sys.executable).parent / "meltano"


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
        # explicit: the airflow.cfg Airflow writes names the DB of the home it was made in
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "logs"),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        WALKME_AIRFLOW_ENVIRONMENTS="demo",
        WALKME_MELTANO_BIN=str(MELTANO_BIN),
        WALKME_MELTANO_PROJECT_ROOT=str(ROOT),
    )
    return env
