"""A throw-away copy of this Meltano project that `meltano run` works in, wired to emulators.

The copy has the repository's `meltano.yml` (tests may edit it through the manager commands)
and a `.meltano/` whose plugin folders link to the ones `make plugins` installed in the
repository (installing is slow and never happens at test time). Each project gets its own
system DB, Meltano log folder and results folder; the `demo` environment reaches a fresh
Salesforce emulator seeded with a generated demo world and a WalkMe emulator serving its
reports, exactly as `make demo` wires them (tests/demo_world.py).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import demo_world
from demo_world import BIN, ROOT, demo_emulators_for, missing_plugins

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
    return demo_world.generate_world(out, rows, seed)


def _copy_project(folder: Path) -> Path:
    installed = ROOT / ".meltano"
    for name in missing_plugins():
        msg = f"Meltano plugin {name} is not installed: run `make plugins` first."
        raise AssertionError(msg)
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "meltano.yml", folder / "meltano.yml")
    (folder / ".meltano").mkdir()
    for kind in ("extractors", "loaders", "utilities"):
        if (installed / kind).is_dir():
            (folder / ".meltano" / kind).symlink_to(installed / kind, target_is_directory=True)
    # `pip_url: -e ./tap-walkme-insights` etc. name folders next to meltano.yml.
    for package in ("tap-walkme-insights", "target-salesforce-update", "walkme-salesforce"):
        (folder / package).symlink_to(ROOT / package, target_is_directory=True)
    return folder


@contextmanager
def run_project(tmp_path: Path, world: Path) -> Iterator[RunProject]:
    """The project copy with fresh emulators for the `demo` environment."""
    root = _copy_project(tmp_path / "project")
    with demo_emulators_for(world, tmp_path) as running:
        yield RunProject(
            root=root,
            env=running.env,
            results_dir=running.results_dir,
            salesforce=running.salesforce,
            walkme=running.walkme,
            world=world,
        )
