"""Fixtures for the crash, fault, hostile-input and secrets suite.

One Salesforce emulator per test module (a real subprocess, real HTTP), seeded with the built-in
``default`` seed plus :data:`CONTACTS` contacts tagged :data:`TAG`; each test gets it reset, with
faults cleared, and ends with a check that no record was created (the suite-wide guard in
``tests/conftest.py`` does the same for every emulator once the testing helper lists them).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .safety_harness import (
    BIN,
    CONTACTS,
    FINAL_STATE,
    INPUT,
    ROWS,
    TAG,
    contact_seed,
    org_snapshot,
    rows_applied,
    run_target,
    target_config,
)


@pytest.fixture(scope="module")
def sf_module() -> Iterator[Any]:
    """One emulator for the module: default seed + the tagged contacts."""
    from salesforce_emulator.testing import SalesforceEmulator

    with SalesforceEmulator(seeds=("default", contact_seed(CONTACTS, TAG))) as emulator:
        yield emulator


@pytest.fixture
def sf(sf_module: Any) -> Iterator[Any]:
    """The module's emulator back at its seeds, faults off; no record may be created."""
    sf_module.reset()
    sf_module.faults(clear=True)
    yield sf_module
    if sf_module.process is not None and sf_module.process.poll() is None:
        created = sf_module.stats()["records_created"]
        assert created == 0, f"{created} record(s) were created; the target never inserts"


@pytest.fixture(scope="module")
def clean_reference(sf_module: Any, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every Contact after one clean, uninterrupted run of :data:`INPUT` (the reference)."""
    sf_module.reset()
    sf_module.faults(clear=True)
    work = tmp_path_factory.mktemp("reference")
    finished = run_target(target_config(sf_module, work / "results"), INPUT, work)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert finished.states[-1] == FINAL_STATE
    snapshot = org_snapshot(sf_module)
    assert rows_applied(snapshot, ROWS) == []
    assert sf_module.stats()["records_created"] == 0
    sf_module.reset()
    return snapshot


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo world (reports, Salesforce seed), as `make demo` generates it."""
    out = tmp_path_factory.mktemp("world")
    subprocess.run(
        [str(BIN / "walkme-emulator"), "generate", "--rows", "30", "--seed", "11", "--out",
         str(out), "--salesforce-seed", str(out / "salesforce-seed.json")],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    return out
