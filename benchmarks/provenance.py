"""What a set of figures was measured on: the machine (and its load) and the commit."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from paths import ROOT

#: The measured packages: uncommitted changes in them are named beside the commit.
PACKAGES = ("tap-walkme-insights", "target-salesforce-update", "emulators")


def code_version() -> str:
    """The commit measured, and whether the measured packages had uncommitted changes."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", "-C", str(ROOT), *args],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", *PACKAGES)
    return commit + (" + uncommitted changes in the packages" if dirty else "")


def machine() -> str:
    """One line describing the machine and its load at the start."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} CPU ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average at start {load}"
    )
