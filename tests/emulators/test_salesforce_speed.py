"""Speed: the emulator must be fast enough that benchmarks measure the client, not it.

A scaled-down version of the 100,000-update goal (``python -m salesforce_emulator.speedcheck``
measures the full size); the bounds are generous because CI machines are shared.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from salesforce_emulator.testing import SalesforceEmulator

N = 10_000


@pytest.mark.slow
def test_10k_updates_through_collections_and_bulk(sf: SalesforceEmulator, api: Any) -> None:
    sf.seed(
        {
            "records": {
                "Contact": [
                    {"LastName": f"L{i}", "Email": f"speed{i}@example.com"} for i in range(N)
                ]
            }
        }
    )
    ids = [r["Id"] for r in sf.records("Contact") if r["Email"].startswith("speed")]
    assert len(ids) == N
    token = api.session.headers["Authorization"]

    def call(chunk: list[str]) -> list[bool]:
        with requests.Session() as session:
            session.headers["Authorization"] = token
            response = session.patch(
                api.base + "/composite/sobjects",
                timeout=60,
                json={
                    "allOrNone": False,
                    "records": [
                        {"attributes": {"type": "Contact"}, "id": i, "WalkMe_Segment__c": "C"}
                        for i in chunk
                    ],
                },
            )
            return [r["success"] for r in response.json()]

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        results = [
            ok
            for part in pool.map(call, [ids[i : i + 200] for i in range(0, N, 200)])
            for ok in part
        ]
    collections_seconds = time.monotonic() - started
    assert results == [True] * N

    started = time.monotonic()
    job = api.post("/jobs/ingest", json={"object": "Contact", "operation": "update"}).json()
    csv_data = "Id,WalkMe_Segment__c\n" + "".join(f"{i},B\n" for i in ids)
    assert (
        api.put(
            f"/jobs/ingest/{job['id']}/batches",
            data=csv_data.encode(),
            headers={"Content-Type": "text/csv"},
        ).status_code
        == 201
    )
    api.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = api.get(f"/jobs/ingest/{job['id']}").json()
        if info["state"] in {"JobComplete", "Failed"}:
            break
        time.sleep(0.05)
    bulk_seconds = time.monotonic() - started
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == N
    assert sf.stats()["records_updated"] == 2 * N
    assert collections_seconds < 30, collections_seconds
    assert bulk_seconds < 30, bulk_seconds


def test_small_answers_do_not_wait_for_a_delayed_ack(sf: SalesforceEmulator, api: Any) -> None:
    """Header block and body leave in one write with TCP_NODELAY: a small query answers in
    about a millisecond. Writing them separately stalled every answer ~40 ms (Nagle's
    algorithm waiting for the client's delayed ACK), whatever its size."""
    api.query("SELECT Id FROM Contact LIMIT 1")  # connection open, token checked
    times = []
    for _ in range(15):
        started = time.perf_counter()
        response = api.query("SELECT Id, Email FROM Contact WHERE Email = 'nobody@example.com'")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    assert statistics.median(times) < 0.035, times
