"""Fixtures of the console tests: the demo world's emulators, a scratch project, `walkme-salesforce
console` as a subprocess on a free loopback port (exactly what `make console` starts), and a
headless Chromium driven by Selenium with the system chromedriver (helpers: console_harness.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from console_harness import (
    CHROMEDRIVER,
    CHROMIUM,
    Console,
    console_env,
    demo_emulators,
    free_port,
    scratch_project,
    start_console,
    stop,
)


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
        message = (
            "Debian's chromium and chromium-driver are needed for the console's browser tests: "
            "apt-get install -y chromium chromium-driver (`make test` does it as root)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
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
