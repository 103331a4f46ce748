"""Bulk API 2.0 ingest over HTTP: job lifecycle, CSV rules, results, whole-job failures."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
from salesforce_emulator.testing import SalesforceEmulator

TERMINAL = {"JobComplete", "Failed", "Aborted"}


def _create(api: Any, **over: Any) -> dict[str, Any]:
    body = {
        "object": "Contact",
        "operation": "update",
        "contentType": "CSV",
        "columnDelimiter": "COMMA",
        "lineEnding": "LF",
        **over,
    }
    response = api.post("/jobs/ingest", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _run(api: Any, data: bytes, **over: Any) -> tuple[dict[str, Any], list[str]]:
    job = _create(api, **over)
    upload = api.put(
        f"/jobs/ingest/{job['id']}/batches", data=data, headers={"Content-Type": "text/csv"}
    )
    assert upload.status_code == 201, upload.text
    closed = api.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    assert closed.status_code == 200 and closed.json()["state"] == "UploadComplete"
    seen = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        info = api.get(f"/jobs/ingest/{job['id']}").json()
        if not seen or seen[-1] != info["state"]:
            seen.append(info["state"])
        if info["state"] in TERMINAL:
            return info, seen
        time.sleep(0.005)
    raise AssertionError(f"job stuck: {seen}")


def _csv(api: Any, job_id: str, kind: str) -> list[dict[str, str]]:
    response = api.get(f"/jobs/ingest/{job_id}/{kind}/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_update_job_lifecycle_and_results(api: Any, sf: SalesforceEmulator) -> None:
    ids = api.ids("Contact")
    grace, alan = ids["grace.hopper@example.com"], ids["alan.turing@example.com"]
    kate = ids["katherine.johnson@example.com"]
    api.patch(
        "/composite/sobjects",
        json={
            "records": [
                {
                    "attributes": {"type": "Contact"},
                    "id": alan,
                    "WalkMe_Segment__c": "keep",
                    "WalkMe_NPS_Comment__c": "wipe me",
                }
            ]
        },
    )
    data = (
        "Id,WalkMe_Segment__c,WalkMe_NPS_Comment__c,WalkMe_NPS_Score__c\n"
        f'{grace},"Gold, ""quoted""","line one\nline two",9\n'
        f"{alan},,#N/A,\n"
        f"{kate},x,,11\n"
        f"{kate},x,,seven\n"
        "003BAD,x,,\n"
    ).encode()
    sf.faults(bulk_delay_ms=300)  # long enough to watch the job move through its states
    job = _create(api)
    assert job["state"] == "Open"
    assert job["contentUrl"] == f"services/data/v67.0/jobs/ingest/{job['id']}/batches"
    assert job["id"].startswith("750")
    info, seen = _run(api, data)
    assert seen[-1] == "JobComplete"
    assert seen == ["UploadComplete", "InProgress", "JobComplete"]
    assert info["numberRecordsProcessed"] == 5
    assert info["numberRecordsFailed"] == 3
    assert info["jobType"] == "V2Ingest" and info["apiVersion"] == 67.0
    ok = _csv(api, info["id"], "successfulResults")
    assert [(r["sf__Id"], r["sf__Created"]) for r in ok] == [(grace, "false"), (alan, "false")]
    assert ok[0]["WalkMe_Segment__c"] == 'Gold, "quoted"'
    failed = _csv(api, info["id"], "failedResults")
    assert [r["sf__Error"].split(":")[0] for r in failed] == [
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "INVALID_FIELD",
        "MALFORMED_ID",
    ]
    assert failed[0]["sf__Error"] == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION:NPS score must be "
        "between 0 and 10.:WalkMe_NPS_Score__c --"
    )
    assert failed[0]["sf__Id"] == kate
    header = api.get(f"/jobs/ingest/{info['id']}/failedResults/").text.splitlines()[0]
    assert header.startswith('"sf__Id","sf__Error","Id"')
    rows = {r["Id"]: r for r in sf.records("Contact")}
    assert rows[grace]["WalkMe_Segment__c"] == 'Gold, "quoted"'
    assert rows[grace]["WalkMe_NPS_Comment__c"] == "line one\nline two"
    assert rows[alan]["WalkMe_Segment__c"] == "keep"  # empty cell leaves the field alone
    assert rows[alan]["WalkMe_NPS_Comment__c"] is None  # #N/A clears it
    assert _csv(api, info["id"], "unprocessedrecords") == []
    stats = sf.stats()
    assert stats["bulk_jobs"] == 2 and stats["records_updated"] == 3
    assert stats["requests_by_kind"]["bulk_ingest"] >= 6


def test_line_ending_mismatch_fails_the_job(api: Any) -> None:
    grace = api.ids("Contact")["grace.hopper@example.com"]
    info, _ = _run(api, f"Id,Title\r\n{grace},x\r\n".encode())
    assert info["state"] == "Failed"
    assert info["errorMessage"] == (
        "InvalidBatch : LineEnding is invalid on user data. Current LineEnding setting is LF"
    )
    crlf, _ = _run(api, f"Id,Title\r\n{grace},x\r\n".encode(), lineEnding="CRLF")
    assert crlf["state"] == "JobComplete" and crlf["numberRecordsFailed"] == 0


def test_unknown_column_fails_the_job(api: Any) -> None:
    grace = api.ids("Contact")["grace.hopper@example.com"]
    info, _ = _run(api, f"Id,Nope__c\n{grace},x\n".encode())
    assert info["state"] == "Failed"
    assert info["errorMessage"] == "InvalidBatch : Field name not found : Nope__c"
    unprocessed = _csv(api, info["id"], "unprocessedrecords")
    assert unprocessed == [{"Id": grace, "Nope__c": "x"}]


@pytest.mark.creates_records
def test_delimiter_insert_upsert_delete(api: Any, sf: SalesforceEmulator) -> None:
    info, _ = _run(
        api,
        b"LastName;Email\nNew;new.one@example.com\n",
        operation="insert",
        columnDelimiter="SEMICOLON",
    )
    assert info["state"] == "JobComplete" and info["numberRecordsFailed"] == 0
    created = _csv(api, info["id"], "successfulResults")
    assert created[0]["sf__Created"] == "true"
    new_id = created[0]["sf__Id"]
    upsert, _ = _run(
        api, f"Id,Title\n{new_id},Boss\n,\n".encode(), operation="upsert", externalIdFieldName="Id"
    )
    assert upsert["numberRecordsProcessed"] == 1  # blank rows are skipped
    removed, _ = _run(api, f"Id\n{new_id}\n".encode(), operation="delete")
    assert removed["numberRecordsFailed"] == 0
    rows = {r["Id"]: r for r in sf.records("Contact")}
    assert rows[new_id]["Title"] == "Boss" and rows[new_id]["IsDeleted"] is True
    stats = sf.stats()
    assert (stats["records_created"], stats["records_deleted"]) == (1, 1)


def test_abort_delete_and_state_errors(api: Any) -> None:
    job = _create(api)
    aborted = api.patch(f"/jobs/ingest/{job['id']}", json={"state": "Aborted"})
    assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
    late = api.put(
        f"/jobs/ingest/{job['id']}/batches", data=b"Id\n", headers={"Content-Type": "text/csv"}
    )
    assert late.status_code == 409
    assert late.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    assert api.delete(f"/jobs/ingest/{job['id']}").status_code == 204
    assert api.get(f"/jobs/ingest/{job['id']}").status_code == 404
    bad = api.post("/jobs/ingest", json={"object": "Nope", "operation": "update"})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALIDJOB"
    listing = api.get("/jobs/ingest").json()
    assert listing["done"] is True and isinstance(listing["records"], list)
