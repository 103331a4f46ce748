"""The console under test: the demo world's emulators, a scratch project, `walkme-salesforce
console` as a subprocess on a free loopback port (exactly what `make console` starts), and a
headless Chromium driven by Selenium with the system chromedriver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))

from console_demo import console_env, free_port, scratch_project  # noqa: E402
from demo_emulators import demo_emulators  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
START_TIMEOUT_S = 60


@dataclass
class Console:
    """A running console and what it runs against."""

    url: str
    project: Path
    world: Path
    salesforce_url: str
    env: dict[str, str]
    work: Path

    def expected(self, report: str) -> dict[str, Any]:
        """The demo world's expected outcome for a report."""
        data = json.loads((self.world / "expected.json").read_text(encoding="utf-8"))
        return data["reports"][report]

    def secrets(self) -> list[str]:
        """Every secret value the console knows of (none may appear in a page)."""
        from walkme_salesforce.envfile import read_env

        names = ("SECRET", "PASSWORD", "TOKEN")
        values = [v for k, v in self.env.items() if any(n in k for n in names)]
        values += list(read_env(self.project / ".env").values())
        return [v for v in values if v and len(v) >= 8 and not v.startswith("http")]


def start_console(
    project: Path, env: dict[str, str], port: int, *extra: str
) -> tuple[subprocess.Popen[str], str]:
    """Run `walkme-salesforce console`; return the process and the first lines it printed."""
    command = [str(BIN / "walkme-salesforce"), "console", "--port", str(port)]
    command += ["--project-dir", str(project), *extra]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "Console listening on" in line or process.poll() is not None:
            break
    return process, "".join(seen)


def stop(process: subprocess.Popen[str]) -> None:
    """Terminate a console we started."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The console of a fresh scratch project against a fresh demo world (40 rows)."""
    work = tmp_path_factory.mktemp("console")
    with demo_emulators(work / "emulators", rows=40, seed=7) as running:
        project = scratch_project(work / "project")
        port = free_port()
        env = console_env(running, project, port)
        env["XDG_STATE_HOME"] = str(work / "state")
        env.pop("WALKME_SALESFORCE_CONSOLE_TOKEN", None)
        process, output = start_console(project, env, port)
        assert "Console listening on" in output, output
        try:
            yield Console(
                url=f"http://127.0.0.1:{port}",
                project=project,
                world=running.world_dir,
                salesforce_url=running.salesforce_url,
                env=env,
                work=work,
            )
        finally:
            stop(process)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian Chromium through the system chromedriver (nothing is downloaded)."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.fail(
            "Debian's chromium and chromium-driver are needed for the console's browser tests: "
            "apt-get install -y chromium chromium-driver (.ci/run does it)."
        )
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1440,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
