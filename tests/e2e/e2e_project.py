"""Helpers of the end-to-end tests: this Meltano project wired to a test's emulators and stores.

`Project` runs `meltano` (and the run-history command) in the repository root with the test's
environment; `expected_for` reads the demo world's expected outcome. The fixtures that build a
`Project` are in conftest.py. (A module of its own, so test files import it by a unique name.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meltano_db import saved_singer_state

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MELTANO = BIN / "meltano"
WORLD_ROWS = 40
WORLD_SEED = 7
MELTANO_TIMEOUT_S = 180


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
        """Run the documented run-history command `walkme-salesforce runs|run-log ARGS`."""
        return subprocess.run(
            [str(Path(sys.executable).with_name("walkme-salesforce")), *args],
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
        database = Path(self.env["MELTANO_DATABASE_URI"].removeprefix("sqlite:///"))
        merged = saved_singer_state(database, state_id)
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


def expected_for(world: Path, report: str) -> dict[str, Any]:
    """The generator's expected outcome for one report (expected.json)."""
    expected = json.loads((world / "expected.json").read_text(encoding="utf-8"))
    return expected["reports"][report]
