"""Helpers for the setup-command tests: a copy of the project's meltano.yml in a temp dir and
helpers that run the manager's `walkme-salesforce` console script and `meltano` as subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SETUP = str(BIN / "walkme-salesforce")


def clean_env(**extra: str) -> dict[str, str]:
    """The test process env without Meltano/plugin variables, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MELTANO_", "TARGET_SALESFORCE_UPDATE", "TAP_WALKME_INSIGHTS"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_setup(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the setup console script; stdin is not a terminal (so nothing prompts)."""
    return subprocess.run(
        [SETUP, *args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input_text if input_text is not None else "",
        check=False,
    )


def run_meltano(
    *args: str, cwd: Path, timeout: float = 300, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `meltano ARGS` in a test project with `clean_env()` (text output captured)."""
    return subprocess.run(
        [str(BIN / "meltano"), *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def copy_project(tmp_path: Path) -> Path:
    """A Meltano project folder holding a copy of the repository's meltano.yml."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(REPO / "meltano.yml", folder / "meltano.yml")
    return folder
