"""The console script end to end, at DEBUG log level: no secret ever reaches stdout or stderr.

Secrets checked: the client secret, the bearer token(s) the emulator issued, and the signature of
signed links — on a successful run with retries and on failing runs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from walkme_emulator.testing import WalkMeEmulator

SCRIPT = Path(sys.executable).parent / "tap-walkme-insights"
REPORT = b"End User ID,Answer\nann@x.com,9\nbob@x.com,6\n"


def run_cli(tmp_path: Path, config: dict[str, object], *args: str) -> subprocess.CompletedProcess:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    env = dict(os.environ, LOGLEVEL="DEBUG")
    return subprocess.run(
        [str(SCRIPT), "--config", str(config_path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def secret_emulator():
    with WalkMeEmulator(
        client_id="cli-test", client_secret="sec-" + secrets.token_urlsafe(24)
    ) as emulator:
        yield emulator


def test_console_script_about() -> None:
    about = subprocess.run(
        [str(SCRIPT), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    info = json.loads(about.stdout)
    assert info["name"] == "tap-walkme-insights"
    for capability in ("about", "discover", "catalog", "state", "stream-maps"):
        assert capability in info["capabilities"]
    assert info["settings"]["properties"]["client_secret"]["secret"] is True


def test_no_secret_in_output(secret_emulator, tmp_path: Path) -> None:
    emulator = secret_emulator
    published = emulator.publish("nps", REPORT)
    signature = parse_qs(urlsplit(published.signed_url).query)["Signature"][0]
    config = {
        "reports": [
            {"name": "by_token", "source": published.url, "key_column": "End User ID"},
            {"name": "by_link", "source": published.signed_url, "key_column": "End User ID"},
        ],
        "base_url": emulator.url,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "backoff_factor": 0.05,
    }
    emulator.faults(fail_next=[503, 429, "cut_off"], retry_after=0)
    ok = run_cli(tmp_path, config)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert ok.stdout.count('"type":"RECORD"') == 4
    token = emulator.token()  # a token of the same key, to show what one looks like

    emulator.reset()
    config["client_secret"] = emulator.client_secret + "-wrong"
    bad_secret = run_cli(tmp_path, config)
    assert bad_secret.returncode != 0
    assert "HTTP 401" in bad_secret.stderr

    emulator.advance_clock(7200)  # the signed link (1 h) has expired
    config["client_secret"] = emulator.client_secret
    expired = run_cli(tmp_path, config)
    assert expired.returncode != 0
    assert "HTTP 403" in expired.stderr

    for run in (ok, bad_secret, expired):
        output = run.stdout + run.stderr
        assert emulator.client_secret not in output
        assert signature not in output
        assert "Signature=" not in output
        assert token not in output
        assert not re.search(r"Bearer [^{\s]", output)  # (tracebacks show the source line)
        assert "access_token" not in output
