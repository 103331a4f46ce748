"""Fixtures for the crash, fault, hostile-input and secrets suite.

One Salesforce emulator per test module (a real subprocess, real HTTP), seeded with the built-in
``default`` seed plus :data:`CONTACTS` contacts tagged :data:`TAG`; each test gets it reset, with
faults cleared, and ends with a check that no record was created (the suite-wide guard in
``tests/conftest.py`` does the same for every emulator once the testing helper lists them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from safety_harness import contact_seed

#: Contacts seeded for the crash and fault tests.
CONTACTS = 600
TAG = "safety"


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
