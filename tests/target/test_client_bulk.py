"""Bulk API 2.0 updates against the emulator: results in input order, null vs absent, splits,
whole-job failures."""

from __future__ import annotations

import logging

import pytest
from client_fixtures import (
    _client_tests_never_create_records,  # noqa: F401 - autouse fixture
    live_records,
    make_client,
    seed_contacts,
)
from target_salesforce_update.exceptions import BulkJobError


def test_bulk_update_maps_results_back_to_input_order(sf) -> None:
    contacts = seed_contacts(sf, 60, "bulk")
    deleted = next(r for r in sf.records("Contact") if r.get("IsDeleted"))
    records: list[dict] = []
    for i, contact in enumerate(reversed(contacts)):
        # 15-character Ids on some rows: results come back with 18 and must still join
        record_id = contact["Id"][:15] if i % 3 == 0 else contact["Id"]
        value = "y" * 81 if i % 10 == 4 else f"bulk {i}"
        records.append({"Id": record_id, "WalkMe_Segment__c": value})
    records.insert(5, {"Id": "003000000000000AAA", "WalkMe_Segment__c": "ghost"})
    records.insert(20, {"Id": deleted["Id"], "WalkMe_Segment__c": "gone"})
    with make_client(sf) as client:
        results = client.bulk_update("Contact", records)
    assert len(results) == len(records)
    stored = {r["Id"]: r["WalkMe_Segment__c"] for r in sf.records("Contact")}
    for record, result in zip(records, results, strict=True):
        assert result.id == record["Id"]
        value = record["WalkMe_Segment__c"]
        if value in {"ghost", "gone"} or len(value) > 80:
            assert not result.success, (record, result)
            assert result.errors and result.errors[0].status_code != "NO_RESULT"
        else:
            assert result.success, (record, result)
            full_id = next(k for k in stored if k.startswith(record["Id"]))
            assert stored[full_id] == value
    too_long = next(
        r for rec, r in zip(records, results, strict=True) if len(rec["WalkMe_Segment__c"]) > 80
    )
    assert too_long.errors[0].status_code == "STRING_TOO_LONG"
    assert too_long.errors[0].fields == ("WalkMe_Segment__c",)
    ghost = results[5]
    assert ghost.errors[0].status_code in {"INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID"}
    assert results[20].errors[0].status_code == "ENTITY_IS_DELETED"


def test_bulk_null_clears_absent_leaves_alone(sf) -> None:
    a, b = seed_contacts(sf, 2, "bulknull")
    with make_client(sf) as client:
        first = client.bulk_update(
            "Contact",
            [
                {
                    "Id": a["Id"],
                    "WalkMe_Segment__c": "keep",
                    "WalkMe_NPS_Comment__c": 'hi, "there"',
                },
                {
                    "Id": b["Id"],
                    "WalkMe_Segment__c": "keep",
                    "WalkMe_NPS_Comment__c": "line1\nline2",
                },
            ],
        )
        second = client.bulk_update(
            "Contact",
            [
                {"Id": a["Id"], "WalkMe_NPS_Comment__c": None},  # Segment absent → empty cell
                {"Id": b["Id"], "WalkMe_Segment__c": "changed"},  # Comment absent → empty cell
            ],
        )
    assert all(r.success for r in first + second)
    stored = {r["Id"]: r for r in live_records(sf)}
    assert stored[a["Id"]]["WalkMe_Segment__c"] == "keep"
    assert stored[a["Id"]]["WalkMe_NPS_Comment__c"] is None
    assert stored[b["Id"]]["WalkMe_Segment__c"] == "changed"
    assert stored[b["Id"]]["WalkMe_NPS_Comment__c"] == "line1\nline2"


def test_bulk_typed_values(sf) -> None:
    [contact] = seed_contacts(sf, 1, "bulktyped")
    with make_client(sf) as client:
        [result] = client.bulk_update(
            "Contact",
            [
                {
                    "Id": contact["Id"],
                    "WalkMe_Onboarding_Completed__c": True,
                    "WalkMe_Total_Sessions__c": 42,
                    "WalkMe_Onboarding_Progress__c": 12.5,
                    "WalkMe_NPS_Survey_Date__c": "2024-03-01",
                    "WalkMe_Last_Seen__c": "2024-03-01T10:20:30.000Z",
                }
            ],
        )
    assert result.success, result
    stored = next(r for r in live_records(sf) if r["Id"] == contact["Id"])
    assert stored["WalkMe_Onboarding_Completed__c"] in (True, 1)
    assert stored["WalkMe_Total_Sessions__c"] == 42
    assert stored["WalkMe_Onboarding_Progress__c"] == 12.5
    assert stored["WalkMe_NPS_Survey_Date__c"] == "2024-03-01"
    assert stored["WalkMe_Last_Seen__c"].startswith("2024-03-01T10:20:30")


def test_bulk_splits_uploads_into_several_jobs(sf, caplog) -> None:
    contacts = seed_contacts(sf, 30, "bulksplit")
    records = [{"Id": c["Id"], "WalkMe_Segment__c": f"part {i}"} for i, c in enumerate(contacts)]
    with make_client(sf) as client, caplog.at_level(logging.INFO):
        client.bulk_max_upload_bytes = 400  # ~12 rows per job
        jobs_before = sf.stats()["bulk_jobs"]
        results = client.bulk_update("Contact", records)
    jobs = sf.stats()["bulk_jobs"] - jobs_before
    assert jobs >= 3
    assert all(r.success for r in results)
    assert [r.id for r in results] == [c["Id"] for c in contacts]
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(info) == 1 and f"in {jobs} job(s)" in info[0]


def test_bulk_unknown_column_fails_the_job(sf) -> None:
    [contact] = seed_contacts(sf, 1, "bulkbad")
    with make_client(sf) as client, pytest.raises(BulkJobError, match="Field name not found"):
        client.bulk_update("Contact", [{"Id": contact["Id"], "No_Such_Field__c": "x"}])


def test_bulk_refuses_records_without_id(sf) -> None:
    with make_client(sf) as client:
        with pytest.raises(ValueError, match="never creates"):
            client.bulk_update("Contact", [{"Email": "new@example.com", "LastName": "New"}])
        assert client.api_calls == 0
        assert client.bulk_update("Contact", []) == []


def test_bulk_survives_transient_faults(sf) -> None:
    contacts = seed_contacts(sf, 20, "bulkflaky")
    sf.faults(seed=11, error_rate=0.25, error_status=502)
    with make_client(sf, max_retries=10) as client:
        results = client.bulk_update(
            "Contact", [{"Id": c["Id"], "WalkMe_Segment__c": "bulk ok"} for c in contacts]
        )
    sf.faults(clear=True)
    assert all(r.success for r in results)


def test_bulk_update_sends_a_literal_na_through_collections(sf) -> None:
    """``#N/A`` is Bulk's null marker: a record holding it as text is written by Collections
    (results still in input order), the others by the Bulk job."""
    contacts = seed_contacts(sf, 4, "bulkna")
    values = ["#N/A", "plain", None, "#N/A"]
    records = [
        {"Id": c["Id"], "WalkMe_Segment__c": v} for c, v in zip(contacts, values, strict=True)
    ]
    before = sf.stats()["requests_by_kind"]
    with make_client(sf) as client:
        results = client.bulk_update("Contact", records)
    after = sf.stats()["requests_by_kind"]
    assert [r.success for r in results] == [True] * 4
    assert [r.id for r in results] == [c["Id"] for c in contacts]
    stored = {r["Id"]: r.get("WalkMe_Segment__c") for r in sf.records("Contact")}
    assert [stored[c["Id"]] for c in contacts] == ["#N/A", "plain", None, "#N/A"]
    assert after.get("collections_update", 0) - before.get("collections_update", 0) == 1
    assert after.get("bulk_ingest", 0) > before.get("bulk_ingest", 0)
