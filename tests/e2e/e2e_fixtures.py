"""The end-to-end fixtures: `meltano run` in this project against both emulators, over real HTTP.

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
  `DEMO_SALESFORCE_URL`, `DEMO_WALKME_URL` and the plugins' own environment variables
  (tests/demo_world.py wires them).

A module of its own so tests/airflow and tests/postgres import the same fixtures into their
conftest.py (`from e2e_fixtures import meltano_installed, project, world`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_world import demo_emulators_for, generate_world, missing_plugins
from e2e_project import WORLD_ROWS, WORLD_SEED, Project


def _require(module: str, what: str) -> None:
    try:
        __import__(module)
    except ImportError as error:  # a missing piece is a failure, not a skip
        pytest.fail(f"{what} is missing ({error}); it is needed for the end-to-end tests.")


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """The plugins are installed in .meltano/ (by `make plugins`, which `make test` runs)."""
    for name, executable in missing_plugins().items():
        pytest.fail(
            f"Meltano plugin {name} is not installed ({executable} missing). "
            "Run `make plugins` (or `.venv/bin/meltano install`) first; `make test` does it."
        )


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small deterministic demo world (reports, Salesforce seed, expected.json)."""
    _require("walkme_emulator", "The WalkMe emulator (walkme_emulator)")
    return generate_world(tmp_path_factory.mktemp("world"), WORLD_ROWS, WORLD_SEED)


@pytest.fixture
def project(meltano_installed: None, world: Path, tmp_path: Path) -> Iterator[Project]:
    """This project in the `demo` environment, wired to fresh emulators and test-only stores."""
    _require("salesforce_emulator.testing", "The Salesforce emulator's test helper")
    with demo_emulators_for(world, tmp_path) as running:
        yield Project(
            env={**running.env, "MELTANO_ENVIRONMENT": "demo"},
            results_dir=running.results_dir,
            log_dir=running.log_dir,
            salesforce=running.salesforce,
            walkme=running.walkme,
            world=world,
        )
