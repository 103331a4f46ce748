"""The /__emulator/ inspection API and the start contract."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from salesforce_emulator.testing import EmulatorError, SalesforceEmulator


def test_stats_shape(api: Any, sf: SalesforceEmulator) -> None:
    api.query("SELECT Id FROM Contact")
    stats = sf.stats()
    assert set(stats) == {
        "api_calls",
        "requests_by_kind",
        "records_created",
        "records_updated",
        "records_deleted",
        "bulk_jobs",
        "faults_served",
        "peak_concurrent_requests",
    }
    assert stats["faults_served"] == {}
    assert stats["peak_concurrent_requests"] == 1  # one call at a time
    assert stats["api_calls"] == 1
    assert stats["requests_by_kind"] == {"oauth": 1, "query": 1}


def test_records_include_deleted_and_system_fields(sf: SalesforceEmulator) -> None:
    leads = sf.records("Lead")
    assert len(leads) == 3
    by_email = {r["Email"]: r for r in leads}
    assert by_email["deleted.lead@example.com"]["IsDeleted"] is True
    assert by_email["converted.lead@example.com"]["IsConverted"] is True
    assert {"CreatedDate", "SystemModstamp", "LastModifiedById"} <= set(leads[0])
    assert len(leads[0]["Id"]) == 18 and leads[0]["Id"].startswith("00Q")


def test_seed_custom_object_and_reset(sf: SalesforceEmulator, api: Any) -> None:
    applied = sf.seed(
        {
            "objects": [
                {
                    "name": "Survey__c",
                    "label": "Survey",
                    "keyPrefix": "a05",
                    "fields": [
                        {
                            "name": "Score__c",
                            "type": "double",
                            "label": "Score",
                            "precision": 3,
                            "scale": 0,
                        }
                    ],
                }
            ],
            "records": {"Survey__c": [{"Name": "S1", "Score__c": 5}]},
        }
    )
    assert applied["applied"]["objects"] == 1 and applied["applied"]["records"] == 1
    rows = api.query("SELECT Id, Name, Score__c FROM Survey__c").json()["records"]
    assert rows[0]["Id"].startswith("a05") and rows[0]["Score__c"] == 5.0
    sf.reset()
    assert api.query("SELECT Id FROM Survey__c").status_code == 400  # gone with the reset
    assert len(sf.records("Contact")) == 6
    bad = requests.post(sf.url + "/__emulator/seed", json={"records": {"Nope": [{}]}}, timeout=10)
    assert bad.status_code == 400 and "unknown object 'Nope'" in bad.json()[0]["message"]


def test_db_file_can_be_inspected_afterwards(tmp_path: Path) -> None:
    db = tmp_path / "org.db"
    with SalesforceEmulator(db=db) as sf:
        token = sf.access_token()
        contact = sf.records("Contact")[0]["Id"]
        response = requests.patch(
            f"{sf.api_base}/sobjects/Contact/{contact}",
            timeout=10,
            json={"WalkMe_Segment__c": "Stored"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 204
    with sqlite3.connect(db) as conn:
        value = conn.execute(
            'SELECT "WalkMe_Segment__c" FROM "Contact" WHERE "Id" = ?', (contact,)
        ).fetchone()[0]
    assert value == "Stored"
    with SalesforceEmulator(db=db) as again:  # reopened as is
        assert {r["Id"]: r for r in again.records("Contact")}[contact][
            "WalkMe_Segment__c"
        ] == "Stored"


def test_start_failures_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"records": {"Contact": [{"Nope": 1}]}}')
    with pytest.raises(EmulatorError, match="no field 'Nope' on Contact"):
        SalesforceEmulator(seeds=("default", str(bad))).start()
    result = subprocess.run(
        [sys.executable, "-m", "salesforce_emulator", "serve", "--seed", "missing"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "no built-in seed named 'missing'" in result.stderr
