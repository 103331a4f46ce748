"""`walkme-salesforce run` and alerts: a real `meltano run` of an integration against the
emulators, its outcome read back from the run history, alerts received by a local HTTP server
through apprise's `json://` notifications, and the secrets Meltano writes to `.meltano/run`
kept private while the plugins run."""

from __future__ import annotations

import http.server
import json
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from run_project import RunProject, generate_world, run_project
from walkme_salesforce import alerts
from walkme_salesforce.runner import run_integration

pytestmark = pytest.mark.slow


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        self.received.append({"path": self.path, "body": json.loads(body)})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local webhook: (apprise URL, the notifications it received)."""
    received: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/walkme-alerts", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def project(tmp_path: Path, world: Path) -> Iterator[RunProject]:
    with run_project(tmp_path, world) as built:
        yield built


def _secrets(project: RunProject) -> list[str]:
    names = ("PASSWORD", "CLIENT_SECRET")
    values = [value for key, value in project.env.items() if key.endswith(names) and value]
    assert values, "the demo connection has secrets to look for"
    return values


def _write_env(project: RunProject, **values: str) -> None:
    lines = [f"{key}='{value}'" for key, value in values.items()]
    (project.root / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (project.root / ".env").chmod(0o600)


def test_run_reports_the_outcome_and_alerts_on_failed_rows(
    project: RunProject, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    # Every write is refused with UNABLE_TO_LOCK_ROW and not retried: every matched row fails.
    project.salesforce.faults(seed=1, lock_rate=1.0)
    _write_env(project, WALKME_SALESFORCE_ALERT_URLS=f"{url}, ")
    result = project.cli(
        "run",
        "onboarding",
        "-e",
        "demo",
        "--json",
        extra={"TARGET_SALESFORCE_UPDATE_MAX_RETRIES": "0"},
    )
    output = result.stdout + result.stderr
    outcome_line = next(line for line in result.stdout.splitlines() if line.startswith("Run "))
    assert "integration onboarding (demo)" in outcome_line
    assert "failed=24" in outcome_line, output  # 24 matched rows in the seeded world
    assert "Alert sent (rule issues)." in result.stdout
    assert project.salesforce.stats().get("records_created", 0) == 0

    assert len(received) == 1, output
    body = received[0]["body"]
    text = body["title"] + "\n" + body["message"]
    assert "onboarding (demo)" in body["title"]
    assert "Integration: onboarding" in text
    assert "Environment: demo" in text
    assert "failed=24" in text
    assert "24 row(s) failed did not land" in text
    after = result.stdout[result.stdout.index(outcome_line) + len(outcome_line) :]
    status = json.loads(after[: after.rindex("}") + 1])["status"]
    assert status == "completed_with_failures"  # never `completed` when values did not land
    assert f"Status: {status}" in text
    # No secret and no report value: not the connection's secrets, not the alert URL, no key.
    for secret in [*_secrets(project), url, project.salesforce.url]:
        assert secret not in text
    assert "@" not in text  # the report's keys are e-mail addresses


def test_failed_run_alerts_under_failure_rule_and_exit_code_follows_meltano(
    project: RunProject, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    _write_env(project, WALKME_SALESFORCE_ALERT_URLS=url, WALKME_SALESFORCE_ALERT_ON="failure")
    wrong = {"TARGET_SALESFORCE_UPDATE_PASSWORD": "not-the-password"}
    result = project.cli("run", "walkme-onboarding-to-salesforce", "-e", "demo", extra=wrong)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "integration onboarding (demo) failed" in result.stdout
    assert len(received) == 1
    text = received[0]["body"]["title"] + received[0]["body"]["message"]
    assert "Status: failed" in text
    assert "not-the-password" not in text


def test_completed_run_sends_no_alert_and_keeps_run_config_private(
    project: RunProject, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    _write_env(project, WALKME_SALESFORCE_ALERT_URLS=url)
    # A leftover of a killed run, written under the usual umask 022.
    leftover_dir = project.root / ".meltano" / "run" / "target-salesforce-update--onboarding"
    leftover_dir.mkdir(parents=True)
    leftover = leftover_dir / "target.old.config.json"
    leftover.write_text("{}")
    leftover.chmod(0o644)
    modes: dict[str, int] = {}

    def watch(line: str) -> None:
        # While the target logs its summary, its (and the tap's) config files exist.
        if "Summary: " in line:
            for path in (project.root / ".meltano" / "run").rglob("*.config.json"):
                modes[path.name] = stat.S_IMODE(path.stat().st_mode)
            for folder in (project.root / ".meltano" / "run").iterdir():
                if not folder.is_symlink():
                    modes[folder.name + "/"] = stat.S_IMODE(folder.stat().st_mode)

    outcome = run_integration(
        project.root, "onboarding", environment="demo", on_output=watch, env=project.env
    )
    assert outcome.exit_code == 0
    assert outcome.status == "completed"
    assert outcome.counts["updated"] == 24
    assert outcome.log_path is not None and outcome.log_path.is_file()
    assert outcome.run_id and outcome.streams[0].report == "onboarding"
    configs = [name for name in modes if name.endswith(".config.json")]
    assert any(name.startswith("target.") for name in configs), modes
    assert any(name.startswith("tap.") for name in configs), modes
    assert {name: mode for name, mode in modes.items() if mode & 0o077} == {}
    assert stat.S_IMODE(leftover.stat().st_mode) == 0o600
    assert not alerts.alert_for_run(outcome)
    assert received == []


def test_alert_test_command_and_invalid_rule(
    project: RunProject, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    missing = project.cli("alert-test")
    assert missing.returncode == 2
    assert "WALKME_SALESFORCE_ALERT_URLS" in missing.stderr
    _write_env(project, WALKME_SALESFORCE_ALERT_URLS=url)
    sent = project.cli("alert-test", "-e", "demo")
    assert sent.returncode == 0, sent.stderr
    assert "Test alert sent to 1 URL(s)." in sent.stdout
    assert url not in sent.stdout + sent.stderr
    assert "test alert" in received[0]["body"]["title"]
    bad = project.cli("alert-test", extra={"WALKME_SALESFORCE_ALERT_ON": "sometimes"})
    assert bad.returncode == 2
    assert "issues, failure, never" in bad.stderr


def test_dry_runs_are_marked_in_the_run_history_and_never_alert(
    project: RunProject, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    _write_env(project, WALKME_SALESFORCE_ALERT_URLS=url)
    project.salesforce.faults(seed=1, lock_rate=1.0)  # would be failures if anything were sent
    dry = {"TARGET_SALESFORCE_UPDATE_DRY_RUN": "true"}
    result = project.cli("run", "onboarding", "-e", "demo", extra=dry)
    assert "(dry run: nothing written)" in result.stdout, result.stdout + result.stderr
    assert received == []
    assert project.salesforce.stats().get("records_updated", 0) == 0
    listed = json.loads(project.cli("runs", "--json").stdout)["runs"]
    assert listed[0]["dry_run"] is True
    assert listed[0]["streams"][0]["dry_run"] is True
    table = project.cli("runs").stdout
    assert "(dry run)" in table.splitlines()[1]
    shown = project.cli("run-log", listed[0]["run_id"]).stdout
    assert "(dry run: nothing was written)" in shown
