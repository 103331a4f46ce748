"""Both plugins honour `Retry-After`: `meltano run` (the real tap piped into the real target)
while the WalkMe and the Salesforce emulator answer some requests 429 with `Retry-After: 1`.

The run must succeed with every expected value in Salesforce, both emulators must have served
their 429s, and every retried request must have *arrived* at least `Retry-After` seconds after
the 429 it retries (the emulators log each request's arrival time; the Salesforce emulator's
digest of method, path, query and body pairs a retry with its 429 even among other requests to
the same path). That is an ordering fact of the protocol, not a speed figure: a client that
ignored the header would retry after its own backoff (from a fraction of a second).
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_project import Project
from test_sync import assert_synced, run_job

pytestmark = pytest.mark.slow

RETRY_AFTER = 1


def retried_pairs(log: list[dict[str, Any]], same: str) -> list[tuple[dict, dict | None]]:
    """Each 429 in `log` with the next request that has the same `same` key (its retry)."""
    pairs = []
    for index, entry in enumerate(log):
        if entry["status"] == 429:
            retry = next((e for e in log[index + 1 :] if e[same] == entry[same]), None)
            pairs.append((entry, retry))
    return pairs


def assert_waited(pairs: list[tuple[dict, dict | None]], who: str) -> None:
    assert pairs, f"{who}: no 429 was served"
    for throttled, retry in pairs:
        assert retry is not None, f"{who}: the request answered 429 was never retried: {throttled}"
        waited = retry["at"] - throttled["at"]
        assert waited >= RETRY_AFTER, (
            f"{who}: retried {waited:.3f} s after a 429 with Retry-After: {RETRY_AFTER}",
            throttled,
            retry,
        )


def test_onboarding_run_succeeds_through_429s_from_both_services(project: Project) -> None:
    before = project.salesforce.records("Contact")
    # WalkMe: the first two requests (the token request and its first retry) are throttled.
    project.walkme.faults(fail_next=[429, 429], retry_after=RETRY_AFTER)
    # Salesforce: every other data API call from the first is throttled (None = served), so the
    # describe, the match query and the Collections write each meet a 429 once.
    project.salesforce.faults(fail_next=[429, None] * 6, retry_after=RETRY_AFTER)

    result = run_job(project, "onboarding")

    assert result.returncode == 0, result.output[-5000:]
    assert_synced(project, "onboarding", before)

    walkme = project.walkme.stats()
    assert walkme["faults"] == {"429": 2}, walkme["faults"]
    assert_waited(retried_pairs(walkme["recent"], "route"), "tap → WalkMe")

    salesforce = project.salesforce.stats()["faults_served"]
    assert set(salesforce) == {"429"} and salesforce["429"] >= 3, salesforce
    data_api = [e for e in project.salesforce.requests() if "digest" in e]
    pairs = retried_pairs(data_api, "digest")
    assert len(pairs) == salesforce["429"]
    # "/services/data/vNN.0/composite/sobjects" → "/composite/sobjects"
    throttled = {(t["method"], "/" + "/".join(t["path"].split("/")[4:])) for t, _ in pairs}
    assert {("GET", "/query"), ("PATCH", "/composite/sobjects")} <= throttled, throttled
    assert_waited(pairs, "target → Salesforce")
