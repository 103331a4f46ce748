"""Fault injection and API limits, over HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from salesforce_emulator.testing import SalesforceEmulator


def test_limit_header_and_request_limit_exceeded(api: Any, sf: SalesforceEmulator) -> None:
    first = api.get("/limits")
    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/100000"
    assert first.json()["DailyApiRequests"] == {"Max": 100000, "Remaining": 99999}
    sf.faults(api_remaining=1)
    last = api.query("SELECT Id FROM Contact")
    assert last.status_code == 200
    assert last.headers["Sforce-Limit-Info"] == "api-usage=100000/100000"
    over = api.query("SELECT Id FROM Contact")
    assert over.status_code == 403
    assert over.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    sf.faults(api_limit=200000)
    assert api.get("/limits").json()["DailyApiRequests"]["Max"] == 200000


def test_api_limit_flag() -> None:
    with SalesforceEmulator(api_limit=3) as sf:
        headers = {"Authorization": f"Bearer {sf.access_token()}"}
        codes = [
            requests.get(sf.api_base + "/limits", headers=headers, timeout=10).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 403]


def test_expire_every_token_now(api: Any, sf: SalesforceEmulator) -> None:
    assert api.get("/limits").status_code == 200
    sf.expire_tokens()
    expired = api.get("/limits")
    assert expired.status_code == 401
    assert expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert (
        requests.get(
            sf.api_base + "/limits",
            timeout=10,
            headers={"Authorization": f"Bearer {sf.access_token()}"},
        ).status_code
        == 200
    )


def _statuses(api: Any, n: int) -> list[int]:
    out = []
    for _ in range(n):
        try:
            out.append(api.get("/limits").status_code)
        except requests.ConnectionError:
            out.append(0)
    return out


def test_error_rate_is_deterministic_under_a_seed(api: Any, sf: SalesforceEmulator) -> None:
    sf.faults(seed=7, error_rate=0.3, error_status=503)
    first = _statuses(api, 30)
    sf.faults(seed=7)
    second = _statuses(api, 30)
    assert first == second
    assert set(first) == {200, 503}
    sf.faults(error_status=500, error_rate=1.0)
    failed = api.get("/limits")
    assert failed.status_code == 500
    assert failed.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    sf.faults(clear=True)
    assert api.get("/limits").status_code == 200


def test_dropped_connections(api: Any, sf: SalesforceEmulator) -> None:
    sf.faults(seed=3, drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.get("/limits")
    sf.faults(drop_rate=0.0)
    assert api.get("/limits").status_code == 200


def test_unable_to_lock_row(api: Any, sf: SalesforceEmulator) -> None:
    ids = list(api.ids("Contact").values())
    sf.faults(seed=1, lock_rate=0.5)
    records = [{"attributes": {"type": "Contact"}, "id": i, "Title": "T"} for i in ids]
    results = api.patch("/composite/sobjects", json={"records": records}).json()
    locked = [r for r in results if not r["success"]]
    assert locked and len(locked) < len(results)
    error = locked[0]["errors"][0]
    assert error["statusCode"] == "UNABLE_TO_LOCK_ROW"
    assert error["message"].startswith("unable to obtain exclusive access to this record")
    assert sf.stats()["records_updated"] == len(results) - len(locked)


def test_latency(api: Any, sf: SalesforceEmulator) -> None:
    sf.faults(latency_ms=250)
    started = time.monotonic()
    assert api.get("/limits").status_code == 200
    assert time.monotonic() - started >= 0.25
    sf.faults(latency_ms=0)


def test_unknown_fault_is_rejected(sf: SalesforceEmulator) -> None:
    response = requests.post(sf.url + "/__emulator/faults", json={"chaos": 1}, timeout=10)
    assert response.status_code == 400
    assert "unknown fault 'chaos'" in response.json()[0]["message"]


def test_faults_at_start() -> None:
    with SalesforceEmulator(extra_args=["--error-rate", "1", "--error-status", "500"]) as sf:
        response = requests.get(
            sf.api_base + "/limits",
            timeout=10,
            headers={"Authorization": f"Bearer {sf.access_token()}"},
        )
        assert response.status_code == 500
