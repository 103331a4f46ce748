"""Helpers for the console tests: the demo world's emulators, a scratch project, `walkme-salesforce
console` as a subprocess on a free loopback port (exactly what `make console` starts), and a
headless Chromium driven by Selenium with the system chromedriver."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))

# Re-exported for the fixtures and tests: the same start-up code `make console` runs.
from console_demo import console_env, free_port, scratch_project  # noqa: E402, F401
from demo_emulators import demo_emulators  # noqa: E402, F401

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
