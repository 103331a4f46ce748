"""Benchmark worlds: a generated onboarding report of N rows and the matching emulated org.

``walkme-emulator generate`` writes the report, its ``expected.json`` and a Salesforce seed.
The seed is loaded once into a pristine SQLite file; every run starts from a copy of it, so a
1M-row org is seeded once, not once per run. Worlds are cached in ``benchmarks/work/`` and
rebuilt when missing.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from processes import emulator, run_command

REPORT = "onboarding"
GENERATE_TIMEOUT_S = 900
SEED_TIMEOUT_S = 1800


@dataclass
class World:
    """One generated report and its pristine org."""

    rows: int
    folder: Path
    csv: Path
    pristine_db: Path
    expected: dict[str, Any]

    @property
    def report(self) -> dict[str, Any]:
        """The generator's expectations for the onboarding report (counts by category)."""
        return self.expected["reports"][REPORT]

    def fresh_db(self, name: str, folder: Path) -> Path:
        """A copy of the pristine org for one run, in the run's own ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{name}.db"
        shutil.copyfile(self.pristine_db, target)
        return target


def build_world(rows: int, work: Path, env: Mapping[str, str], root: Path) -> World:
    """Generate (or reuse) the report of ``rows`` rows and its pristine org database."""
    work.mkdir(parents=True, exist_ok=True)
    with (work / f"world-{rows}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent benchmark runs build a world only once
        return _build_world(rows, work, env, root)


def _build_world(rows: int, work: Path, env: Mapping[str, str], root: Path) -> World:
    folder = work / f"world-{rows}"
    csv = folder / f"{REPORT}.csv"
    expected_path = folder / "expected.json"
    pristine = folder / "pristine.db"
    seed = folder / "salesforce-seed.json"
    if not (csv.exists() and expected_path.exists() and (pristine.exists() or seed.exists())):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        run_command(
            [
                "walkme-emulator",
                "generate",
                "--rows",
                str(rows),
                "--out",
                str(folder),
                "--reports",
                REPORT,
            ],
            env=env,
            cwd=root,
            log=folder / "generate.log",
            timeout_s=GENERATE_TIMEOUT_S,
        )
    if not pristine.exists():
        building = folder / "pristine-building.db"
        building.unlink(missing_ok=True)
        command = [
            "salesforce-emulator",
            "serve",
            "--port",
            "0",
            "--db",
            str(building),
            "--seed",
            str(seed),
        ]
        log = folder / "seed.log"
        with emulator(
            "salesforce-emulator",
            command,
            env=env,
            cwd=root,
            log=log,
            start_timeout_s=SEED_TIMEOUT_S,
        ):
            pass  # listening means the seed is applied and committed
        _fold_wal(building)
        building.rename(pristine)
        seed.unlink()  # large, and no longer needed
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    return World(rows, folder, csv, pristine, expected)


def _fold_wal(db: Path) -> None:
    """Checkpoint the emulator's write-ahead log into the file so one file is the whole org."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
