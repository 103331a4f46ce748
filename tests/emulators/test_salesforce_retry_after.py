"""429 with ``Retry-After``, ``retry_after`` on 503, ``fail_next``, the 429 count in stats and
the request log with arrival times — over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from salesforce_emulator.testing import EmulatorError, SalesforceEmulator


def test_fail_next_429_carries_retry_after_and_is_not_counted(
    api: Any, sf: SalesforceEmulator
) -> None:
    sf.faults(fail_next=[429], retry_after=3)
    throttled = api.get("/limits")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "3"
    assert throttled.json() == [
        {
            "message": "Too many requests: retry after 3 seconds.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
        }
    ]
    assert "Sforce-Limit-Info" in throttled.headers
    served = api.get("/limits")  # the queue is used up
    assert served.status_code == 200
    stats = sf.stats()
    assert stats["faults_served"] == {"429": 1}
    assert stats["api_calls"] == 1  # the 429 was answered before counting
    assert sf.call("GET", "/__emulator/faults")["faults"]["fail_next"] == []


def test_rate_429_defaults_to_retry_after_1_and_is_seeded(api: Any, sf: SalesforceEmulator) -> None:
    sf.faults(seed=3, rate_429=0.5)
    first = [api.get("/limits") for _ in range(20)]
    sf.faults(seed=3)
    second = [api.get("/limits").status_code for _ in range(20)]
    assert [r.status_code for r in first] == second
    throttled = [r for r in first if r.status_code == 429]
    assert throttled and len(throttled) < 20
    assert {r.headers["Retry-After"] for r in throttled} == {"1"}
    assert sf.stats()["faults_served"]["429"] == 2 * len(throttled)


def test_fail_next_null_entries_serve_those_calls(api: Any, sf: SalesforceEmulator) -> None:
    sf.faults(fail_next=[None, 429, None, 503], rate_429=1.0)
    codes = [api.get("/limits").status_code for _ in range(5)]
    assert codes == [200, 429, 200, 503, 429]  # after the queue, rate_429 applies again
    assert sf.stats()["faults_served"] == {"429": 2, "503": 1}


def test_retry_after_applies_to_503_only_when_set(api: Any, sf: SalesforceEmulator) -> None:
    sf.faults(fail_next=[503, 500])
    plain = api.get("/limits")
    assert plain.status_code == 503 and "Retry-After" not in plain.headers
    assert api.get("/limits").status_code == 500
    sf.faults(fail_next=[503, 500], retry_after=2)
    unavailable = api.get("/limits")
    assert unavailable.status_code == 503
    assert unavailable.headers["Retry-After"] == "2"
    internal = api.get("/limits")
    assert internal.status_code == 500 and "Retry-After" not in internal.headers
    sf.faults(error_rate=1.0, error_status=503)
    assert api.get("/limits").headers["Retry-After"] == "2"
    assert sf.stats()["faults_served"] == {"500": 2, "503": 3}


def test_request_log_has_arrival_times_paths_and_digests(api: Any, sf: SalesforceEmulator) -> None:
    sf.faults(fail_next=[429], retry_after=0)
    soql = "SELECT Id FROM Contact WHERE Email = 'secret-looking@example.com'"
    assert api.query(soql).status_code == 429
    assert api.query(soql).status_code == 200
    assert api.query("SELECT Id FROM Lead").status_code == 200
    log = [e for e in sf.requests() if e["path"].endswith("/query")]
    assert [e["status"] for e in log] == [429, 200, 200]
    assert log[0]["at"] <= log[1]["at"] <= log[2]["at"]
    assert log[0]["digest"] == log[1]["digest"] != log[2]["digest"]
    assert all(e["method"] == "GET" and "?" not in e["path"] for e in log)
    assert "secret-looking" not in str(sf.requests())
    oauth = [e for e in sf.requests() if e["path"] == "/services/oauth2/token"]
    assert oauth and all("digest" not in e for e in oauth)
    sf.reset()
    assert sf.requests() == []


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"rate_429": 1.5}, "rate_429 must be between 0 and 1"),
        ({"retry_after": -1}, "retry_after must be a whole number"),
        ({"retry_after": 1.5}, "retry_after must be a whole number"),
        ({"fail_next": [404]}, "fail_next must be a list of statuses"),
        ({"fail_next": 429}, "fail_next must be a list of statuses"),
    ],
)
def test_bad_knobs_are_refused_with_the_rule(
    sf: SalesforceEmulator, knobs: dict[str, Any], message: str
) -> None:
    with pytest.raises(EmulatorError, match=message):
        sf.faults(**knobs)
    assert sf.call("GET", "/__emulator/faults")["faults"]["rate_429"] == 0.0


def test_cli_flags_set_rate_429_and_retry_after() -> None:
    with SalesforceEmulator(extra_args=["--rate-429", "1", "--retry-after", "4"]) as sf:
        faults = sf.call("GET", "/__emulator/faults")["faults"]
        assert (faults["rate_429"], faults["retry_after"]) == (1.0, 4)
        answer = requests.get(
            sf.api_base + "/limits",
            headers={"Authorization": f"Bearer {sf.access_token()}"},
            timeout=10,
        )
        assert answer.status_code == 429 and answer.headers["Retry-After"] == "4"
        sf.reset()  # reset goes back to the start-up knobs
        assert sf.call("GET", "/__emulator/faults")["faults"]["rate_429"] == 1.0
