"""Suite-wide pytest configuration: the ``--soak`` flag and the never-insert guard.

Never insert (issue 8, promise 2): the target must never create a Salesforce record. Rather than
each folder checking it, one autouse fixture here checks every Salesforce emulator that is
running while a test runs — whoever started it — and fails the test when the emulator counted a
created record during that test. Emulator conformance tests that create records on purpose
(to test the emulator's create endpoints) opt out with ``@pytest.mark.creates_records``.

The live emulators come from ``SalesforceEmulator.running()`` in
``salesforce_emulator.testing``; until that class method exists the guard has nothing to inspect
and stays inactive (``tests/safety`` checks its own emulators regardless).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

# Property tests explore new random inputs on every developer run; under CI (CI=true) they run
# derandomized, so a landing is judged on the same examples each time. Failures found locally
# are pinned with @example in the test.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
    settings.load_profile("ci")

CREATES_RECORDS = "creates_records"

# `pytester` lets tests/safety prove that this file's guard fails a test that creates a record.
pytest_plugins = ("pytester",)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--soak``: also run the long fault-injection runs marked ``soak``."""
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run the long fault-injection soak tests (marker: soak)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{CREATES_RECORDS}: the test creates Salesforce emulator records on purpose (emulator "
        "conformance tests); the suite-wide never-insert guard skips it",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="soak test: run with --soak")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


def running_salesforce_emulators() -> list[Any]:
    """The Salesforce emulators this process started and has not stopped (may be empty).

    Uses ``SalesforceEmulator.running()`` when the testing helper provides it.
    """
    try:
        from salesforce_emulator.testing import SalesforceEmulator
    except ImportError:
        return []
    running: Callable[[], Any] | None = getattr(SalesforceEmulator, "running", None)
    if running is None:
        return []
    return list(running())


def _records_created(emulator: Any) -> int | None:
    """The emulator's created-records counter, or None when it cannot answer (stopped)."""
    process = getattr(emulator, "process", None)
    if process is None or process.poll() is not None:
        return None
    try:
        return int(emulator.stats()["records_created"])
    except Exception:  # a dead or reset emulator is not this guard's finding
        return None


@pytest.fixture(autouse=True)
def _never_insert_salesforce_records(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail any test during which a running Salesforce emulator counted a created record.

    The counter is read before and after the test. A test may reset the emulator (which zeroes
    the counter), so a count that went down is compared with zero instead of the count before.
    """
    if request.node.get_closest_marker(CREATES_RECORDS) is not None:
        yield
        return
    before = {id(e): _records_created(e) for e in running_salesforce_emulators()}
    yield
    created: list[str] = []
    for emulator in running_salesforce_emulators():
        after = _records_created(emulator)
        if after is None:
            continue
        start = before.get(id(emulator)) or 0
        new = after - start if after >= start else after
        if new > 0:
            created.append(f"{getattr(emulator, 'url', '?')}: {new} record(s) created")
    if created:
        pytest.fail(
            "Salesforce records were created during this test, and this project never inserts: "
            + "; ".join(created)
            + f". If the test creates records on purpose, mark it @pytest.mark.{CREATES_RECORDS}.",
            pytrace=False,
        )
