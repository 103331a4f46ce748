"""`walkme-emulator` as a process: start contract, serving a generated world, clean shutdown."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from walkme_emulator.generator import generate
from walkme_emulator.testing import EmulatorError, WalkMeEmulator

CLI = [sys.executable, "-m", "walkme_emulator.cli"]


def test_serves_a_generated_world(tmp_path):
    generate(rows=50, seed=3, out_dir=tmp_path)
    with WalkMeEmulator(tmp_path) as walkme:
        names = sorted(r["name"] for r in walkme.reports())
        assert names == ["nps", "onboarding"]
        token = walkme.token()
        head = requests.head(
            walkme.report_url("nps"), headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert head.status_code == 200
        assert int(head.headers["Content-Length"]) == (tmp_path / "nps.csv").stat().st_size
        body = requests.get(walkme.signed_url("onboarding"), timeout=10).content
        assert body == (tmp_path / "onboarding.csv").read_bytes()


def test_sigterm_stops_cleanly_and_removes_the_temporary_folder():
    with WalkMeEmulator() as walkme:
        uploaded = Path(walkme.publish("tmp", b"a\r\n1\r\n").path)
        assert uploaded.is_file()
        process = walkme.process
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert not uploaded.parent.exists()


def test_missing_reports_dir_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope"
    result = subprocess.run(
        [*CLI, "serve", "--port", "0", "--reports-dir", str(missing)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert f"--reports-dir {missing} is not a folder" in result.stderr
    assert result.stdout == ""
    with pytest.raises(EmulatorError, match="did not print its listening line"):
        WalkMeEmulator(missing).start()


def test_sign_rejects_paths_outside_g_reports():
    result = subprocess.run(
        [*CLI, "sign", "--path", "/insights/reports/x.csv"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "must start with /g_reports/" in result.stderr
