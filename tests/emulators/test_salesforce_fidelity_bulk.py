"""Fidelity of Bulk API 2.0 ingest: strict CSV rows, the upload size rule and a configurable
job timeline, each checked against the Salesforce documentation page in the docstring."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from salesforce_emulator.testing import SalesforceEmulator

TERMINAL = {"JobComplete", "Failed", "Aborted"}


def _job(api: Any, line_ending: str = "LF") -> str:
    body = {"object": "Contact", "operation": "update", "lineEnding": line_ending}
    response = api.post("/jobs/ingest", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _upload(api: Any, job_id: str, data: bytes) -> Any:
    return api.put(
        f"/jobs/ingest/{job_id}/batches", data=data, headers={"Content-Type": "text/csv"}
    )


def _close_and_watch(api: Any, job_id: str) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """Close the job and poll it to the end; returns the last info and the (state, processed)
    pairs seen, in order."""
    closed = api.patch(f"/jobs/ingest/{job_id}", json={"state": "UploadComplete"})
    assert closed.status_code == 200, closed.text
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = api.get(f"/jobs/ingest/{job_id}").json()
        point = (info["state"], info["numberRecordsProcessed"])
        if not seen or seen[-1] != point:
            seen.append(point)
        if info["state"] in TERMINAL:
            return info, seen
        time.sleep(0.01)
    raise AssertionError(f"job stuck: {seen}")


def _results(api: Any, job_id: str, kind: str) -> list[dict[str, str]]:
    response = api.get(f"/jobs/ingest/{job_id}/{kind}/")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def test_space_around_quotes_and_bare_cr_fail_their_row_only(
    api: Any, sf: SalesforceEmulator
) -> None:
    """Bulk API 2.0 Developer Guide, "Valid CSV Record Rows" and "Prepare CSV Files": a value
    holding the delimiter, a quote, CR or LF must be quoted; values are not trimmed; "a space
    before or after a double quote generates an error for the row". A bare CR in an unquoted
    value is not described: the strictest reading (the row fails, nothing is split or cut) is
    emulated."""
    ids = api.ids("Contact")
    grace, alan = ids["grace.hopper@example.com"], ids["alan.turing@example.com"]
    kate = ids["katherine.johnson@example.com"]
    data = (
        "Id,Title,WalkMe_Segment__c\n"
        f'{grace},"Admiral", "Gold"\n'
        f"{alan},Math\rematician,Silver\n"
        f'{kate}, Physicist ,"Bronze\rAward"\n'
    ).encode()
    job_id = _job(api)
    assert _upload(api, job_id, data).status_code == 201
    info, _ = _close_and_watch(api, job_id)
    assert info["state"] == "JobComplete"
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 2)
    failed = _results(api, job_id, "failedResults")
    assert len(failed) == 2
    assert all(f["sf__Error"].startswith("INVALID_FIELD:Malformed CSV row") for f in failed)
    assert {f["Id"] for f in failed} == {
        f'{grace},"Admiral", "Gold"',
        f"{alan},Math\rematician,Silver",
    }
    rows = {r["Id"]: r for r in sf.records("Contact")}
    assert rows[grace]["Title"] == "Rear Admiral" and rows[alan]["Title"] is None
    # Not trimmed: Bulk values keep their spaces ("Field values aren't trimmed").
    assert rows[kate]["Title"] == " Physicist "
    assert rows[kate]["WalkMe_Segment__c"] == "Bronze\rAward"


def test_upload_limit_is_150_mb_per_job_after_base64(api: Any) -> None:
    """Bulk API 2.0 Developer Guide, "Prepare CSV Files" and "Bulk API 2.0 Limits": files are
    converted to base64 when received (about +50 %), and a job's upload data may be at most
    150 MB after that conversion — about 112.5 MB of CSV."""
    job_id = _job(api)
    header = b"Id,WalkMe_Segment__c\n"
    first = header + b"x" * (60 * 1024 * 1024)
    assert _upload(api, job_id, first).status_code == 201
    # 60 MB + 53 MB raw = 113 MB → 150.67 MB in base64: refused, though each piece is small.
    second = _upload(api, job_id, header + b"x" * (53 * 1024 * 1024))
    assert second.status_code == 413
    assert second.json()[0]["errorCode"] == "EXCEEDED_QUOTA"
    assert "after base64" in second.json()[0]["message"]
    assert _upload(api, job_id, header + b"x" * (40 * 1024 * 1024)).status_code == 201


def test_job_timeline_queue_delay_and_processing_rate(api: Any, sf: SalesforceEmulator) -> None:
    """Bulk API 2.0 Developer Guide, "Get Information About an Ingest Job": a closed job waits
    in UploadComplete, is InProgress while numberRecordsProcessed grows, then JobComplete.
    ``bulk_queue_ms`` and ``bulk_records_per_second`` make that timeline slow enough for a
    client's polling to see each step."""
    sf.faults(bulk_queue_ms=300, bulk_records_per_second=40)
    grace = api.ids("Contact")["grace.hopper@example.com"]
    rows = "".join(f"{grace},v{i}\n" for i in range(12))  # 12 duplicates: all processed
    job_id = _job(api)
    assert _upload(api, job_id, f"Id,WalkMe_Segment__c\n{rows}".encode()).status_code == 201
    info, seen = _close_and_watch(api, job_id)
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 12
    states = [state for state, _ in seen]
    assert states[0] == "UploadComplete"
    assert "InProgress" in states
    partial = [n for state, n in seen if state == "InProgress" and 0 < n < 12]
    assert partial, f"processing did not advance in steps: {seen}"
    assert sf.faults()["bulk_records_per_second"] == 40
    sf.reset()
    assert sf.faults()["bulk_queue_ms"] == 0  # a reset restores the start values
