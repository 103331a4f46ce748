"""Volume: 10,000 updates through concurrent Collections calls and through one Bulk job.

This checks that large writes are all applied and counted; how *fast* they are is measured, not
asserted (timed assertions flake on shared machines): ``python -m salesforce_emulator.speedcheck``
measures the 100,000-update goal, the 1- and 300-key query latency (the one-write/TCP_NODELAY
answer path) and seed loading, and ``make bench`` measures the whole pipeline.
"""

from __future__ import annotations

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

    with ThreadPoolExecutor(4) as pool:
        results = [
            ok
            for part in pool.map(call, [ids[i : i + 200] for i in range(0, N, 200)])
            for ok in part
        ]
    assert results == [True] * N

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
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == N
    assert sf.stats()["records_updated"] == 2 * N
