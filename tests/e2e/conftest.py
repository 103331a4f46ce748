"""End-to-end fixtures: `meltano run` in this project against both emulators, over real HTTP.

Layout, chosen to keep the suite fast and the developer's own project untouched:

- Meltano runs in the repository root with the real `meltano.yml` and the plugins that
  `make plugins` installed into `.meltano/` (installing is slow and may download, so it never
  happens at test time — the `meltano_installed` fixture fails with the fix instead);
- each test gets its own system DB (`MELTANO_DATABASE_URI`, so its own runs table and state),
  its own Meltano log directory (`XDG_STATE_HOME`) and its own results folder
  (`TARGET_SALESFORCE_UPDATE_RESULTS_DIR`);
- one demo world per session (`walkme-emulator generate`), fresh emulators per test (a
  Salesforce emulator seeded with the world's records, a WalkMe emulator serving its reports);
- the emulators' URLs and credentials reach Meltano exactly as in `make demo`: as
  `DEMO_SALESFORCE_URL`, `DEMO_WALKME_URL` and the plugins' own environment variables.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MELTANO = BIN / "meltano"
WORLD_ROWS = 40
WORLD_SEED = 7
MELTANO_TIMEOUT_S = 180

sys.path.insert(0, str(ROOT / "scripts"))


@dataclass
class MeltanoResult:
    """A finished `meltano` command."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together (Meltano logs plugin output on stderr)."""
        return self.stdout + self.stderr


@dataclass
class Project:
    """This Meltano project, wired to a test's emulators, system DB and folders."""

    env: dict[str, str]
    results_dir: Path
    log_dir: Path
    salesforce: Any
    walkme: Any
    world: Path

    def meltano(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = MELTANO_TIMEOUT_S
    ) -> MeltanoResult:
        """Run `meltano ARGS` in the project root; never raises on a non-zero exit."""
        command = [str(MELTANO), *args]
        completed = subprocess.run(
            command,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            text=True,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        return MeltanoResult(command, completed.returncode, completed.stdout, completed.stderr)

    def runs_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the documented run-history command `scripts/runs.py ARGS`."""
        return subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "runs.py"), *args],
            cwd=ROOT,
            env=self.env,
            text=True,
            capture_output=True,
            timeout=60,
            check=False,
        )

    def state(self, state_id: str) -> dict[str, Any]:
        """The saved state of a state id, read from the test's system DB ({} when none).

        Equivalent to `meltano state get` (completed state with any partial state merged over
        it) without starting Meltano; `test_sync` also runs the command itself once.
        """
        database = self.env["MELTANO_DATABASE_URI"].removeprefix("sqlite:///")
        if not Path(database).exists():
            return {}
        with closing(sqlite3.connect(database)) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if "state" not in tables:
                return {}
            row = connection.execute(
                "SELECT completed_state, partial_state FROM state WHERE state_id = ?", (state_id,)
            ).fetchone()
        if row is None:
            return {}
        completed = json.loads(row[0] or "{}")
        partial = json.loads(row[1] or "{}")
        merged = completed.get("singer_state", {}) | partial.get("singer_state", {})
        return {"singer_state": merged} if merged else {}

    def latest_log(self) -> str:
        """The text of the newest Meltano run log (what `meltano logs show` prints)."""
        logs = sorted(self.log_dir.rglob("elt.log"), key=lambda path: path.stat().st_mtime)
        assert logs, f"no Meltano run log under {self.log_dir}"
        return logs[-1].read_text(encoding="utf-8", errors="replace")

    def summaries(self) -> list[dict[str, Any]]:
        """Every summary.json the target wrote for this test, oldest first."""
        paths = sorted(self.results_dir.glob("*/*/summary.json"), key=lambda p: p.stat().st_mtime)
        return [json.loads(path.read_text(encoding="utf-8")) for path in paths]


def _require(module: str, what: str) -> None:
    try:
        __import__(module)
    except ImportError as error:  # a missing piece is a failure, not a skip
        pytest.fail(f"{what} is missing ({error}); it is needed for the end-to-end tests.")


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """The plugins are installed in .meltano/ (by `make plugins`, which `make test` runs)."""
    for kind, name in (
        ("extractors", "tap-walkme-insights"),
        ("loaders", "target-salesforce-update"),
    ):
        executable = ROOT / ".meltano" / kind / name / "venv" / "bin" / name
        if not executable.exists():
            pytest.fail(
                f"Meltano plugin {name} is not installed ({executable} missing). "
                "Run `make plugins` (or `.venv/bin/meltano install`) first; `make test` does it."
            )


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small deterministic demo world (reports, Salesforce seed, expected.json)."""
    _require("walkme_emulator", "The WalkMe emulator (walkme_emulator)")
    out = tmp_path_factory.mktemp("world")
    subprocess.run(
        [
            str(BIN / "walkme-emulator"),
            "generate",
            "--rows",
            str(WORLD_ROWS),
            "--seed",
            str(WORLD_SEED),
            "--out",
            str(out),
            "--salesforce-seed",
            str(out / "salesforce-seed.json"),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out


@pytest.fixture
def project(meltano_installed: None, world: Path, tmp_path: Path) -> Iterator[Project]:
    """This project in the `demo` environment, wired to fresh emulators and test-only stores."""
    _require("salesforce_emulator.testing", "The Salesforce emulator's test helper")
    from salesforce_emulator.testing import SalesforceEmulator
    from walkme_emulator.testing import WalkMeEmulator

    reports = tmp_path / "reports"
    reports.mkdir()
    for name in ("onboarding.csv", "nps.csv"):
        shutil.copy(world / name, reports / name)
    seed = json.loads((world / "salesforce-seed.json").read_text(encoding="utf-8"))
    with SalesforceEmulator() as salesforce, WalkMeEmulator(reports_dir=reports) as walkme:
        salesforce.seed(seed)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("MELTANO_", "TAP_WALKME", "TARGET_SALESFORCE", "DEMO_"))
        }
        env.update(
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            MELTANO_ENVIRONMENT="demo",
            MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
            MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
            XDG_STATE_HOME=str(tmp_path / "state"),
            TARGET_SALESFORCE_UPDATE_RESULTS_DIR=str(tmp_path / "results"),
            DEMO_SALESFORCE_URL=salesforce.url,
            DEMO_WALKME_URL=walkme.url,
            TAP_WALKME_INSIGHTS_CLIENT_ID=walkme.client_id,
            TAP_WALKME_INSIGHTS_CLIENT_SECRET=walkme.client_secret,
        )
        env.update(salesforce_demo_credentials())
        yield Project(
            env=env,
            results_dir=tmp_path / "results",
            log_dir=tmp_path / "state",
            salesforce=salesforce,
            walkme=walkme,
            world=world,
        )


def salesforce_demo_credentials() -> dict[str, str]:
    """The target's settings for the emulator's documented demo admin (built-in `default` seed)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from demo import salesforce_demo_settings

    return salesforce_demo_settings()


def expected_for(world: Path, report: str) -> dict[str, Any]:
    """The generator's expected outcome for one report (expected.json)."""
    expected = json.loads((world / "expected.json").read_text(encoding="utf-8"))
    return expected["reports"][report]


def count_lines(text: str, needle: str) -> int:
    """How many lines of `text` contain `needle`."""
    return sum(needle in line for line in text.splitlines())


def tasks(*names: str) -> Sequence[str]:
    """Arguments for `meltano run` (kept as a helper so tests read like the README)."""
    return ["run", *names]
