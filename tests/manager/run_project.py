"""A throw-away copy of this Meltano project that `meltano run` works in, wired to emulators.

The copy has the repository's `meltano.yml` (tests may edit it through the manager commands)
and a `.meltano/` whose plugin folders link to the ones `make plugins` installed in the
repository (installing is slow and never happens at test time). Each project gets its own
system DB, Meltano log folder and results folder; the `demo` environment reaches a fresh
Salesforce emulator seeded with a generated demo world and a WalkMe emulator serving its
reports, exactly as `make demo` wires them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORLD_ROWS = 30
WORLD_SEED = 11


@dataclass
class RunProject:
    """The project copy, its environment for Meltano and the emulators it talks to."""

    root: Path
    env: dict[str, str]
    results_dir: Path
    salesforce: Any
    walkme: Any
    world: Path

    def cli(self, *args: str, extra: dict[str, str] | None = None, timeout: float = 300):
        """`walkme-salesforce ARGS` in the project (stdin not a terminal)."""
        return subprocess.run(
            [str(BIN / "walkme-salesforce"), *args],
            cwd=self.root,
            env={**self.env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            input="",
            check=False,
        )


def generate_world(out: Path, rows: int = WORLD_ROWS, seed: int = WORLD_SEED) -> Path:
    """A small deterministic demo world (reports + Salesforce seed)."""
    subprocess.run(
        [
            str(BIN / "walkme-emulator"),
            "generate",
            "--rows",
            str(rows),
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--salesforce-seed",
            str(out / "salesforce-seed.json"),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out


def _copy_project(folder: Path) -> Path:
    installed = REPO / ".meltano"
    for kind, name in (
        ("extractors", "tap-walkme-insights"),
        ("loaders", "target-salesforce-update"),
    ):
        if not (installed / kind / name / "venv" / "bin" / name).exists():
            msg = f"Meltano plugin {name} is not installed: run `make plugins` first."
            raise AssertionError(msg)
    folder.mkdir(parents=True)
    shutil.copy(REPO / "meltano.yml", folder / "meltano.yml")
    (folder / ".meltano").mkdir()
    for kind in ("extractors", "loaders", "utilities"):
        if (installed / kind).is_dir():
            (folder / ".meltano" / kind).symlink_to(installed / kind, target_is_directory=True)
    # `pip_url: -e ./tap-walkme-insights` etc. name folders next to meltano.yml.
    for package in ("tap-walkme-insights", "target-salesforce-update", "walkme-salesforce"):
        (folder / package).symlink_to(REPO / package, target_is_directory=True)
    return folder


def demo_credentials() -> dict[str, str]:
    """The target's settings for the emulator's demo admin (as `make demo` sets them)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from demo import salesforce_demo_settings

    return salesforce_demo_settings()


@contextmanager
def run_project(tmp_path: Path, world: Path) -> Iterator[RunProject]:
    """The project copy with fresh emulators for the `demo` environment."""
    from salesforce_emulator.testing import SalesforceEmulator
    from walkme_emulator.testing import WalkMeEmulator

    root = _copy_project(tmp_path / "project")
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in ("onboarding.csv", "nps.csv"):
        shutil.copy(world / name, reports / name)
    seed = json.loads((world / "salesforce-seed.json").read_text(encoding="utf-8"))
    with SalesforceEmulator() as salesforce, WalkMeEmulator(reports_dir=reports) as walkme:
        salesforce.seed(seed)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("MELTANO_", "TAP_WALKME", "TARGET_SALESFORCE", "DEMO_", "WALKME_SALESFORCE")
            )
        }
        env.update(
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
            MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
            # The copy links the repository's installed plugins: never reinstall into them
            # (a reinstall wipes the venv other tests are running from).
            MELTANO_AUTO_INSTALL="false",
            XDG_STATE_HOME=str(tmp_path / "state"),
            TARGET_SALESFORCE_UPDATE_RESULTS_DIR=str(tmp_path / "results"),
            DEMO_SALESFORCE_URL=salesforce.url,
            DEMO_WALKME_URL=walkme.url,
            TAP_WALKME_INSIGHTS_CLIENT_ID=walkme.client_id,
            TAP_WALKME_INSIGHTS_CLIENT_SECRET=walkme.client_secret,
        )
        env.update(demo_credentials())
        yield RunProject(
            root=root,
            env=env,
            results_dir=tmp_path / "results",
            salesforce=salesforce,
            walkme=walkme,
            world=world,
        )
