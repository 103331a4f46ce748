"""The demo world in tests: generated once, served by fresh emulators, reached as `make demo` does.

- `generate_world` is scripts/demo_emulators.py's (the one place a world is made);
- `missing_plugins` names the Meltano plugins `make plugins` has not installed in the repository;
- `demo_emulators_for(world, tmp_path)` starts a Salesforce emulator seeded with the world's
  records and a WalkMe emulator serving a copy of its reports (tests may add exports to the copy),
  and yields them with the environment that points the `demo` environment of meltano.yml at them:
  `DEMO_SALESFORCE_URL`, `DEMO_WALKME_URL`, the plugins' credentials, and a system DB, Meltano
  log folder (`XDG_STATE_HOME`) and results folder of the test's own.

Used by tests/e2e (and through it tests/airflow and tests/postgres) and tests/manager. A module of
its own at the top of tests/, so every folder imports it by this unique name.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REPORTS = ("onboarding.csv", "nps.csv")
#: Variables of the developer's shell that would reach the test's Meltano and are dropped.
FOREIGN_PREFIXES = ("MELTANO_", "TAP_WALKME", "TARGET_SALESFORCE", "DEMO_", "WALKME_SALESFORCE")

sys.path.insert(0, str(ROOT / "scripts"))
from demo import salesforce_demo_settings  # noqa: E402
from demo_emulators import generate_world  # noqa: E402

__all__ = ["DemoWorld", "demo_emulators_for", "generate_world", "missing_plugins"]


def missing_plugins() -> dict[str, Path]:
    """The custom plugins not installed in the repository's .meltano/ (`make plugins` does it),
    each with the executable that is missing."""
    executables = {
        name: ROOT / ".meltano" / kind / name / "venv" / "bin" / name
        for kind, name in (
            ("extractors", "tap-walkme-insights"),
            ("loaders", "target-salesforce-update"),
        )
    }
    return {name: path for name, path in executables.items() if not path.exists()}


@dataclass
class DemoWorld:
    """Running emulators serving a world, and the environment that reaches them."""

    salesforce: Any
    walkme: Any
    env: dict[str, str]
    results_dir: Path
    log_dir: Path


@contextmanager
def demo_emulators_for(world: Path, tmp_path: Path) -> Iterator[DemoWorld]:
    """Fresh emulators on `world` and the test's environment for the `demo` environment."""
    from salesforce_emulator.testing import SalesforceEmulator
    from walkme_emulator.testing import WalkMeEmulator

    reports = tmp_path / "reports"
    reports.mkdir()
    for name in REPORTS:
        shutil.copy(world / name, reports / name)
    seed = json.loads((world / "salesforce-seed.json").read_text(encoding="utf-8"))
    with SalesforceEmulator() as salesforce, WalkMeEmulator(reports_dir=reports) as walkme:
        salesforce.seed(seed)
        env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
        env.update(
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
            MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
            # Tests use the plugins `make plugins` installed: never reinstall into them
            # (a reinstall wipes the venv other tests are running from).
            MELTANO_AUTO_INSTALL="false",
            XDG_STATE_HOME=str(tmp_path / "state"),
            TARGET_SALESFORCE_UPDATE_RESULTS_DIR=str(tmp_path / "results"),
            DEMO_SALESFORCE_URL=salesforce.url,
            DEMO_WALKME_URL=walkme.url,
            TAP_WALKME_INSIGHTS_CLIENT_ID=walkme.client_id,
            TAP_WALKME_INSIGHTS_CLIENT_SECRET=walkme.client_secret,
        )
        env.update(salesforce_demo_settings())
        yield DemoWorld(
            salesforce=salesforce,
            walkme=walkme,
            env=env,
            results_dir=tmp_path / "results",
            log_dir=tmp_path / "state",
        )
