"""End-to-end fixtures: `meltano run` in this project against both emulators, over real HTTP.

Layout, chosen to keep the suite fast and the developer's own project untouched:

- Meltano runs in the repository root with the real `meltano.yml` and the plugins that
  `make plugins` installed into `.meltano/` (installing is slow and may download, so it never
  happens at test time — the `meltano_installed` fixture fails with the fix instead);
- each test gets its own system DB (`MELTANO_DATABASE_URI`, so its own runs table and state),
  its own Meltano log directory (`XDG_STATE_HOME`) and its own results folder
  (`TARGET_SALESFORCE_UPDATE_RESULTS_DIR`);
- one demo world per session (`walkme-emulator generate`), fresh emulators per test (a
  Salesforce emulator seeded with the world's records, a WalkMe emulator serving its reports);
- the emulators' URLs and credentials reach Meltano exactly as in `make demo`: as
  `DEMO_SALESFORCE_URL`, `DEMO_WALKME_URL` and the plugins' own environment variables.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_project import BIN, ROOT, WORLD_ROWS, WORLD_SEED, Project, salesforce_demo_credentials


def _require(module: str, what: str) -> None:
    try:
        __import__(module)
    except ImportError as error:  # a missing piece is a failure, not a skip
        pytest.fail(f"{what} is missing ({error}); it is needed for the end-to-end tests.")


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """The plugins are installed in .meltano/ (by `make plugins`, which `make test` runs)."""
    for kind, name in (
        ("extractors", "tap-walkme-insights"),
        ("loaders", "target-salesforce-update"),
    ):
        executable = ROOT / ".meltano" / kind / name / "venv" / "bin" / name
        if not executable.exists():
            pytest.fail(
                f"Meltano plugin {name} is not installed ({executable} missing). "
                "Run `make plugins` (or `.venv/bin/meltano install`) first; `make test` does it."
            )


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small deterministic demo world (reports, Salesforce seed, expected.json)."""
    _require("walkme_emulator", "The WalkMe emulator (walkme_emulator)")
    out = tmp_path_factory.mktemp("world")
    subprocess.run(
        [
            str(BIN / "walkme-emulator"),
            "generate",
            "--rows",
            str(WORLD_ROWS),
            "--seed",
            str(WORLD_SEED),
            "--out",
            str(out),
            "--salesforce-seed",
            str(out / "salesforce-seed.json"),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out


@pytest.fixture
def project(meltano_installed: None, world: Path, tmp_path: Path) -> Iterator[Project]:
    """This project in the `demo` environment, wired to fresh emulators and test-only stores."""
    _require("salesforce_emulator.testing", "The Salesforce emulator's test helper")
    from salesforce_emulator.testing import SalesforceEmulator
    from walkme_emulator.testing import WalkMeEmulator

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
            if not key.startswith(("MELTANO_", "TAP_WALKME", "TARGET_SALESFORCE", "DEMO_"))
        }
        env.update(
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            MELTANO_ENVIRONMENT="demo",
            MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
            MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
            XDG_STATE_HOME=str(tmp_path / "state"),
            TARGET_SALESFORCE_UPDATE_RESULTS_DIR=str(tmp_path / "results"),
            DEMO_SALESFORCE_URL=salesforce.url,
            DEMO_WALKME_URL=walkme.url,
            TAP_WALKME_INSIGHTS_CLIENT_ID=walkme.client_id,
            TAP_WALKME_INSIGHTS_CLIENT_SECRET=walkme.client_secret,
        )
        env.update(salesforce_demo_credentials())
        yield Project(
            env=env,
            results_dir=tmp_path / "results",
            log_dir=tmp_path / "state",
            salesforce=salesforce,
            walkme=walkme,
            world=world,
        )
