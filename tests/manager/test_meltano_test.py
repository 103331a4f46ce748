"""`meltano test --all` checks something real (issue 14, item 7): each tap reads one record of
its report (the SDK's `--test`), and the `walkme-salesforce` utility's `test` command logs in
with the environment's Salesforce connection and checks the integrations' permissions.

Against the demo environment with both emulators up (started by scripts/demo_emulators.py,
as `make emulators` does) every test passes; with the emulators stopped they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from setup_helpers import BIN, REPO

pytestmark = pytest.mark.slow

sys.path.insert(0, str(REPO / "scripts"))
from demo_emulators import demo_emulators  # noqa: E402

PLUGIN_TESTS = (
    "tap-walkme-insights:test",
    "tap-walkme-insights--onboarding:test",
    "tap-walkme-insights--nps:test",
    "walkme-salesforce:test",
)


def meltano_test(env: dict[str, str], *tests: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "meltano"), "--environment", "demo", "test", *(tests or ["--all"])],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def verdicts(output: str) -> dict[str, str]:
    """`name:test....... success|failure` lines of Meltano's test summary."""
    found = {}
    for line in output.splitlines():
        name, dots, verdict = line.partition("..")
        if dots and name in PLUGIN_TESTS:
            found[name] = verdict.strip(". ")
    return found


def test_meltano_test_passes_with_the_emulators_up_and_fails_with_them_down(
    tmp_path: Path,
) -> None:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MELTANO_", "TARGET_SALESFORCE_UPDATE", "TAP_WALKME_INSIGHTS"))
    }
    base |= {
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    with demo_emulators(tmp_path / "emulators", rows=20, seed=3) as running:
        env = {**base, **running.env}
        up = meltano_test(env)
    output = up.stdout + up.stderr
    assert up.returncode == 0, output[-4000:]
    assert verdicts(output) == dict.fromkeys(PLUGIN_TESTS, "success"), output[-4000:]
    assert "Checked read and edit access on: Contact, Lead." in output
    assert '"type":"RECORD","stream":"nps"' in output.replace(" ", "")

    # Emulators down: the WalkMe one stops the whole run (Meltano's catalog discovery before
    # the tap's test fails), the Salesforce check fails on its own.
    down = meltano_test({**env, "TAP_WALKME_INSIGHTS_MAX_RETRIES": "0"})
    output = down.stdout + down.stderr
    assert down.returncode != 0
    assert "/accounts/connect/token failed" in output, output[-4000:]
    assert "success" not in verdicts(output).values()
    salesforce = meltano_test(env, "walkme-salesforce")
    output = salesforce.stdout + salesforce.stderr
    assert salesforce.returncode != 0
    assert verdicts(output) == {"walkme-salesforce:test": "failure"}, output[-4000:]
