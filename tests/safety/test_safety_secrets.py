"""Secrets: no credential ends up in a log, a results file or a generated config.

Every secret is generated at run time (so a hit can only be a leak): the Salesforce connected
app's client secret, the user's password and security token, a refresh token from the web-server
flow, a JWT-bearer private key, the WalkMe client secret and link-signing key, and each signed
link's signature. Access tokens are random, so they are caught by shape: a Salesforce access
token starts with the org id and ``!``, and any ``Bearer <token>`` text counts as a leak.

Also: ``.env`` is written with mode 0600, and ``http://`` is refused for non-loopback hosts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import stat
import subprocess
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from salesforce_emulator.testing import jwt_key_pair

from .safety_harness import (
    BIN,
    ROWS,
    TAP,
    child_env,
    meltano_env,
    meltano_installed,
    org_snapshot,
    rows_applied,
    run_target,
    singer_text,
    target_config,
    write_json,
)

ROOT = Path(__file__).resolve().parents[2]
REDIRECT_URI = "http://localhost:1717/OauthRedirect"
#: Shapes of secrets whose value the test cannot know in advance.
LEAK_PATTERNS = {
    "Salesforce access token": re.compile(r"00D[A-Za-z0-9]{12}![A-Za-z0-9_\-.]{20,}"),
    "bearer token": re.compile(r"Bearer\s+[A-Za-z0-9_\-.!~+/]{16,}"),
    "signed-link signature": re.compile(r"Signature=[0-9a-fA-F]{16,}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}


# ---------------------------------------------------------------------------- generated secrets


class SalesforceSecrets:
    """A connected app and an admin user with generated credentials, seeded into ``sf``."""

    def __init__(self, sf: Any) -> None:
        tag = secrets.token_hex(4)
        self.username = f"sync-{tag}@safety.example"
        self.password = secrets.token_urlsafe(18)
        self.security_token = secrets.token_hex(10)
        self.client_id = f"safety-app-{tag}"
        self.client_secret = secrets.token_urlsafe(32)
        self.private_key, certificate = jwt_key_pair("safety suite")
        sf.seed(
            {
                "users": [
                    {
                        "username": self.username,
                        "password": self.password,
                        "security_token": self.security_token,
                        "modify_all_data": True,
                    }
                ],
                "connected_apps": [
                    {
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                        "redirect_uris": [REDIRECT_URI],
                        "certificate": certificate,
                        "scopes": ["api", "refresh_token"],
                        "run_as": self.username,
                    }
                ],
            }
        )
        self.refresh_token = self._refresh_token(sf)

    def _refresh_token(self, sf: Any) -> str:
        """The web-server flow with PKCE, as the setup command's `connect` runs it."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        authorize = requests.post(
            f"{sf.url}/services/oauth2/authorize",
            data={
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": "api refresh_token",
                "state": "s",
                "code_challenge": challenge.decode().rstrip("="),
                "code_challenge_method": "S256",
                "username": self.username,
                "password": self.password,
            },
            allow_redirects=False,
            timeout=15,
        )
        assert authorize.status_code == 302, authorize.text
        code = parse_qs(urlsplit(authorize.headers["Location"]).query)["code"][0]
        token = requests.post(
            f"{sf.url}/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            timeout=15,
        )
        assert token.status_code == 200, token.text
        return token.json()["refresh_token"]

    def values(self) -> dict[str, str]:
        key_body = [
            line for line in self.private_key.splitlines() if line and not line.startswith("-")
        ]
        return {
            "Salesforce client secret": self.client_secret,
            "Salesforce password": self.password,
            "Salesforce security token": self.security_token,
            "Salesforce refresh token": self.refresh_token,
            "JWT private key": key_body[len(key_body) // 2],
        }


# ---------------------------------------------------------------------------- the grep


def _texts(paths: Iterable[Path]) -> Iterator[tuple[Path, str]]:
    for path in paths:
        if path.is_file() and path.stat().st_size < 50_000_000:
            yield path, path.read_bytes().decode("utf-8", errors="replace")


def find_leaks(
    secrets_by_name: dict[str, str], texts: Iterable[tuple[str | Path, str]]
) -> list[str]:
    """Every place a known secret, or something shaped like one, appears."""
    leaks = []
    for where, text in texts:
        for name, value in secrets_by_name.items():
            if value and value in text:
                leaks.append(f"{name} in {where}")
        for name, pattern in LEAK_PATTERNS.items():
            match = pattern.search(text)
            if match:
                leaks.append(f"{name} in {where}: {match.group(0)[:12]}…")
    return leaks


def test_find_leaks_finds_each_kind_of_secret() -> None:
    """The grep itself can fail: each secret kind planted in a text is reported."""
    planted = (
        "token 00D8d0000000001!AQ8AQHk3Yq2Lw9sT5bE1zN0vR7xU4mC6pJ "
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz "
        "https://x/g.csv?Expires=1&Signature=0123456789abcdef0123 "
        "-----BEGIN PRIVATE KEY----- s3cr3t-value"
    )
    leaks = find_leaks({"secret": "s3cr3t-value"}, [("planted", planted)])
    assert len(leaks) == 1 + len(LEAK_PATTERNS), leaks


# ---------------------------------------------------------------------------- target + tap CLI


@pytest.fixture
def walkme(tmp_path: Path) -> Iterator[Any]:
    from walkme_emulator.testing import WalkMeEmulator

    with WalkMeEmulator(
        client_id=f"safety-{secrets.token_hex(4)}",
        client_secret=secrets.token_urlsafe(24),
        signing_key=secrets.token_urlsafe(32),
    ) as emulator:
        yield emulator


@pytest.mark.parametrize("flow", ["refresh_token", "jwt_bearer", "client_credentials", "password"])
def test_target_at_debug_level_writes_no_secret(
    flow: str, sf: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = SalesforceSecrets(sf)
    connection: dict[str, Any] = {"client_id": creds.client_id, "auth_flow": flow}
    if flow == "refresh_token":
        connection |= {"client_secret": creds.client_secret, "refresh_token": creds.refresh_token}
    elif flow == "jwt_bearer":
        connection |= {"username": creds.username, "private_key": creds.private_key}
    elif flow == "client_credentials":
        connection |= {"client_secret": creds.client_secret}
    else:
        connection |= {
            "client_secret": creds.client_secret,
            "username": creds.username,
            "password": creds.password + creds.security_token,
        }
    config = target_config(sf, tmp_path / "results")
    for key in ("auth_flow", "username", "password", "client_id", "client_secret"):
        config.pop(key)  # the default-seed admin's settings
    config |= connection
    rows = ROWS[:30]
    sf.expire_tokens()  # a token renewal mid-run goes through the log too
    monkeypatch.setenv("LOGLEVEL", "DEBUG")
    finished = run_target(config, singer_text(rows), tmp_path / "run")
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert rows_applied(org_snapshot(sf), rows) == []
    texts = [("stdout", finished.stdout), ("stderr", finished.stderr)]
    texts += list(_texts((tmp_path / "results").rglob("*")))
    assert find_leaks(creds.values(), texts) == []


def test_tap_with_signed_link_and_bearer_token_at_debug_level_writes_no_secret(
    walkme: Any, tmp_path: Path
) -> None:
    report = b"End User ID,Segment\na@x.com,one\nb@x.com,two\n"
    published = walkme.publish("onboarding", report)
    signature = parse_qs(urlsplit(published.signed_url).query)["Signature"][0]
    known = {
        "WalkMe client secret": walkme.client_secret,
        "WalkMe signing key": walkme.signing_key,
        "signed-link signature": signature,
    }
    for name, source, extra in (
        ("signed", published.signed_url, {}),
        (
            "bearer",
            published.url,
            {
                "base_url": walkme.url,
                "client_id": walkme.client_id,
                "client_secret": walkme.client_secret,
            },
        ),
    ):
        walkme.faults(fail_next=[503], retry_after=0)  # a retry is logged too
        config = write_json(
            tmp_path / f"{name}.json",
            {"report_name": "onboarding", "source": source, "key_column": "End User ID"}
            | {"backoff_factor": 0.05}
            | extra,
        )
        done = subprocess.run(
            [TAP, "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=120,
            env=child_env({"LOGLEVEL": "DEBUG"}),
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert '"RECORD"' in done.stdout
        leaks = find_leaks(
            known, [(f"{name} stdout", done.stdout), (f"{name} stderr", done.stderr)]
        )
        assert leaks == []


# ---------------------------------------------------------------------------- the demo flow


@pytest.mark.slow
def test_demo_flow_through_meltano_writes_no_secret(sf: Any, world: Path, tmp_path: Path) -> None:
    """Both sample integrations through `meltano run`, as `make demo` runs them, with every
    credential generated for this test; then grep every log, results file, run-history row and
    generated config for them."""
    from walkme_emulator.testing import WalkMeEmulator

    meltano_installed()
    started = time.time()
    sf.seed(json.loads((world / "salesforce-seed.json").read_text(encoding="utf-8")))
    creds = SalesforceSecrets(sf)
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in ("onboarding.csv", "nps.csv"):
        (reports / name).write_bytes((world / name).read_bytes())
    with WalkMeEmulator(
        reports_dir=reports,
        client_id=f"safety-{secrets.token_hex(4)}",
        client_secret=secrets.token_urlsafe(24),
        signing_key=secrets.token_urlsafe(32),
    ) as walkme:
        env = meltano_env(tmp_path, sf, walkme) | {
            "TARGET_SALESFORCE_UPDATE_AUTH_FLOW": "password",
            "TARGET_SALESFORCE_UPDATE_USERNAME": creds.username,
            "TARGET_SALESFORCE_UPDATE_PASSWORD": creds.password + creds.security_token,
            "TARGET_SALESFORCE_UPDATE_CLIENT_ID": creds.client_id,
            "TARGET_SALESFORCE_UPDATE_CLIENT_SECRET": creds.client_secret,
        }
        done = subprocess.run(
            [str(BIN / "meltano"), "run", "walkme-onboarding-to-salesforce",
             "walkme-nps-to-salesforce"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )  # fmt: skip
        known = creds.values() | {
            "WalkMe client secret": walkme.client_secret,
            "WalkMe signing key": str(walkme.signing_key),
        }
        walkme_log = walkme.log_path.read_text(encoding="utf-8") if walkme.log_path else ""
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert sf.stats()["records_updated"] > 0

    texts: list[tuple[str | Path, str]] = [
        ("meltano stdout", done.stdout),
        ("meltano stderr", done.stderr),
        ("WalkMe emulator access log", walkme_log),
    ]
    texts += list(_texts(p for p in tmp_path.rglob("*") if "reports" not in p.parts))
    for name in ("meltano.yml", ".env"):
        texts += list(_texts([ROOT / name]))
    # Files Meltano wrote in the project during the run: logs, generated plugin configs.
    meltano_dir = ROOT / ".meltano"
    written = [
        p
        for p in meltano_dir.rglob("*")
        if "venv" not in p.parts and p.is_file() and p.stat().st_mtime >= started
    ]
    texts += list(_texts(written))
    # A plugin config Meltano generated and left behind would hold the secrets: the grep finds it.
    assert find_leaks(known, texts) == []


# ---------------------------------------------------------------------------- .env and http


def test_env_file_is_written_with_mode_0600(tmp_path: Path) -> None:
    from walkme_salesforce.envfile import update_env

    token = secrets.token_urlsafe(32)
    old = os.umask(0)
    try:
        fresh = tmp_path / "fresh" / ".env"
        update_env(fresh, {"TARGET_SALESFORCE_UPDATE_REFRESH_TOKEN": token})
        loose = tmp_path / ".env"
        loose.write_text("OTHER=1\n")
        loose.chmod(0o644)
        update_env(loose, {"TARGET_SALESFORCE_UPDATE_REFRESH_TOKEN": token})
    finally:
        os.umask(old)
    for path in (fresh, loose):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, oct(path.stat().st_mode)
    assert not list(tmp_path.rglob("*.tmp")), "a temporary copy of .env was left behind"


@pytest.mark.parametrize(
    "setting",
    ["login_url", "instance_url"],
)
def test_target_refuses_http_to_a_non_loopback_host(setting: str, sf: Any, tmp_path: Path) -> None:
    remote = "http://login.salesforce.example"
    config = target_config(sf, tmp_path / "results", **{setting: remote})
    if setting == "instance_url":
        config |= {"auth_flow": "access_token", "access_token": "00D000000000001!" + "x" * 40}
    finished = run_target(config, singer_text(ROWS[:2]), tmp_path)
    assert finished.returncode != 0
    assert "http://" in finished.stderr and "loopback" in finished.stderr, finished.stderr[-2000:]
    assert "x" * 40 not in finished.stderr
    assert sf.stats()["records_updated"] == 0


@pytest.mark.parametrize("setting", ["source", "base_url"])
def test_tap_refuses_http_to_a_non_loopback_host(setting: str, tmp_path: Path) -> None:
    config = {
        "report_name": "onboarding",
        "source": "https://walkme.example/insights/reports/onboarding.csv",
        "key_column": "End User ID",
        "auth": "walkme",
        "client_id": "id",
        "client_secret": secrets.token_urlsafe(16),
        "base_url": "https://walkme.example",
        "backoff_factor": 0.01,
    }
    if setting == "source":
        config["source"] = "http://walkme.example/insights/reports/onboarding.csv"
    else:
        config["base_url"] = "http://walkme.example"
    done = subprocess.run(
        [TAP, "--config", str(write_json(tmp_path / "tap.json", config))],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(),
        check=False,
    )
    assert done.returncode != 0
    assert config["client_secret"] not in done.stderr + done.stdout
    assert "ConnectionError" not in done.stderr, "the tap tried to connect over plain http"
    assert "http" in done.stderr and "loopback" in done.stderr, done.stderr[-2000:]
