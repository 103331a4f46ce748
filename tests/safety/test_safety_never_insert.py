"""Never insert: the suite-wide guard in ``tests/conftest.py`` fails any test that creates a
Salesforce record, and only a test marked ``creates_records`` may.

The guard itself is proven here by running a small inner pytest session (a subprocess, so
nothing leaks into this one) with the real root conftest and three tests against a real
emulator: one creates a Contact through the REST API, one does the same but is marked
``creates_records``, one only reads. Until ``salesforce_emulator.testing`` ships
``SalesforceEmulator.running()``, the inner session adds an equivalent registry itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

REGISTRY_STAND_IN = """
from salesforce_emulator.testing import SalesforceEmulator

if getattr(SalesforceEmulator, "running", None) is None:  # stand-in for the proposed change
    _live = []
    _start, _stop = SalesforceEmulator.start, SalesforceEmulator.stop

    def _tracked_start(self):
        _start(self)
        _live.append(self)

    def _tracked_stop(self):
        if self in _live:
            _live.remove(self)
        _stop(self)

    SalesforceEmulator.start = _tracked_start
    SalesforceEmulator.stop = _tracked_stop
    SalesforceEmulator.running = classmethod(lambda cls: list(_live))
"""

INNER_TESTS = """
import pytest
import requests
from salesforce_emulator.testing import SalesforceEmulator


@pytest.fixture(scope="module")
def sf():
    with SalesforceEmulator() as emulator:
        yield emulator


def _create_contact(sf):
    response = requests.post(
        f"{sf.api_base}/sobjects/Contact",
        json={"LastName": "Inserted", "Email": "inserted@example.com"},
        headers={"Authorization": f"Bearer {sf.access_token()}"},
        timeout=15,
    )
    assert response.status_code == 201, response.text


def test_reads_only(sf):
    assert sf.records("Contact")


def test_creates_a_record(sf):
    _create_contact(sf)


@pytest.mark.creates_records
def test_creates_a_record_on_purpose(sf):
    sf.reset()
    _create_contact(sf)


def test_after_an_opt_out_with_a_reset(sf):
    sf.reset()
    assert sf.stats()["records_created"] == 0
"""


def test_guard_fails_a_test_that_creates_a_record(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ROOT_CONFTEST.read_text(encoding="utf-8") + REGISTRY_STAND_IN)
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=120)
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_creates_a_record*", "*1 record(s) created*"]
    )


def test_testing_helper_lists_running_emulators() -> None:
    """The guard is live in this session only when the testing helper lists its emulators."""
    from salesforce_emulator.testing import SalesforceEmulator

    running = getattr(SalesforceEmulator, "running", None)
    if running is None:
        pytest.skip(
            "SalesforceEmulator.running() is not in salesforce_emulator/testing.py yet: the "
            "suite-wide never-insert guard is inactive until it is (see tests/safety/README.md)"
        )
    with SalesforceEmulator() as emulator:
        assert emulator in running()
    assert emulator not in running()
