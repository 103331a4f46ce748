"""A refusal the target explains ends in one line, not a traceback (issue 14, item 9).

The target's console script, as `meltano run` starts it, over real HTTP against the Salesforce
emulator: a preflight refusal prints its message and the summary path, exits 1, and shows the
SDK's traceback only when debug output is asked for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from target_harness import singer_lines

TARGET = str(Path(sys.executable).with_name("target-salesforce-update"))


def run_cli(config: dict, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if "LOGLEVEL" not in k and "MELTANO" not in k}
    return subprocess.run(
        [TARGET, "--config", str(path)],
        input="\n".join(singer_lines([{"email": "a@example.com", "segment": "x"}])) + "\n",
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def refused(base_config: Callable[..., dict]) -> dict:
    return base_config(field_mapping={"segment": "No_Such_Field__c"})


def test_preflight_refusal_is_one_line_and_the_summary_path(refused: dict, tmp_path: Path) -> None:
    done = run_cli(refused, tmp_path)
    assert done.returncode == 1
    assert "Preflight failed for stream 'onboarding'" in done.stderr
    assert "No_Such_Field__c" in done.stderr
    summaries = list(Path(refused["results_dir"]).glob("*/*/summary.json"))
    assert len(summaries) == 1
    assert f"Summary: {summaries[0]}" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("Preflight failed") == 1, done.stderr
    assert "LOGLEVEL=debug" in done.stderr  # how to get the traceback


@pytest.mark.parametrize("variable", ["LOGLEVEL", "MELTANO_CLI_LOG_LEVEL"])
def test_debug_output_keeps_the_traceback(refused: dict, tmp_path: Path, variable: str) -> None:
    done = run_cli(refused, tmp_path, **{variable: "debug"})
    assert done.returncode == 1
    assert "Preflight failed for stream 'onboarding'" in done.stderr
    assert "Traceback" in done.stderr and "PreflightError" in done.stderr


def test_a_salesforce_login_failure_is_one_line_too(
    base_config: Callable[..., dict], tmp_path: Path
) -> None:
    done = run_cli(base_config(password="wrong-password"), tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert "wrong-password" not in done.stderr
