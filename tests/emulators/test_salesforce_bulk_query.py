"""Fidelity of Bulk API 2.0 query jobs: results read set by set with locators, checked against
the Salesforce documentation page named in each docstring."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from salesforce_emulator.testing import SalesforceEmulator


def _complete_job(api: Any, soql: str) -> str:
    created = api.post("/jobs/query", json={"operation": "query", "query": soql})
    assert created.status_code == 200, created.text
    assert created.json()["state"] == "UploadComplete"
    job_id = str(created.json()["id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = api.get(f"/jobs/query/{job_id}").json()["state"]
        if state == "JobComplete":
            return job_id
        assert state in ("UploadComplete", "InProgress"), state
        time.sleep(0.01)
    raise AssertionError("query job did not complete")


def _seed(sf: SalesforceEmulator, n: int) -> None:
    sf.seed(
        {
            "records": {
                "Contact": [
                    {"LastName": f"q{i}", "Email": f"q{i}@bulkquery.example.com"} for i in range(n)
                ]
                + [{"LastName": "gone", "Email": "gone@bulkquery.example.com", "IsDeleted": True}]
            }
        }
    )


def test_results_are_read_set_by_set_with_opaque_locators(api: Any, sf: SalesforceEmulator):
    """Bulk API 2.0 Developer Guide, "Get Results for a Query Job"
    (https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/
    query_get_job_results.htm): ``maxRecords`` is the most records per set; each response carries
    ``Sforce-NumberOfRecords`` (records in this set) and ``Sforce-Locator`` (the string naming
    the next set, ``null`` when there are no more); omitting ``locator`` returns the first set;
    a locator stays valid while the job exists, so a set can be read again; operation ``query``
    leaves deleted records out."""
    _seed(sf, 23)
    job_id = _complete_job(
        api, "SELECT Id, Email FROM Contact WHERE Email LIKE '%@bulkquery.example.com'"
    )
    emails: list[str] = []
    counts: list[int] = []
    locators: list[str] = []
    locator = ""
    while True:
        params = {"maxRecords": "10", **({"locator": locator} if locator else {})}
        page = api.get(f"/jobs/query/{job_id}/results", params=params)
        assert page.status_code == 200, page.text
        assert page.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(page.text)))
        assert int(page.headers["Sforce-NumberOfRecords"]) == len(rows)
        counts.append(len(rows))
        emails += [row["Email"] for row in rows]
        locator = page.headers["Sforce-Locator"]
        if locator == "null":
            break
        assert not locator.isdigit()  # opaque: a client follows it, never computes one
        locators.append(locator)
    assert counts == [10, 10, 3]
    assert sorted(emails) == sorted(f"q{i}@bulkquery.example.com" for i in range(23))
    again = api.get(
        f"/jobs/query/{job_id}/results", params={"maxRecords": "10", "locator": locators[0]}
    )
    assert [r["Email"] for r in csv.DictReader(io.StringIO(again.text))] == emails[10:20]
    bad = api.get(f"/jobs/query/{job_id}/results", params={"locator": "not-a-locator"})
    assert bad.status_code == 400


def test_results_need_the_api_version_that_created_the_job(
    api: Any, sf: SalesforceEmulator
) -> None:
    """Bulk API 2.0 Developer Guide, "Get Results for a Query Job"
    (https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/
    query_get_job_results.htm): "Use the same API version to get query results that you
    used to create the query. Otherwise, the call returns a 409 error." """
    job_id = _complete_job(api, "SELECT Id FROM Contact")
    other = api.base.replace("/v67.0", "/v66.0")
    assert api.get(f"{other}/jobs/query/{job_id}/results").status_code == 409
    assert api.get(f"/jobs/query/{job_id}/results").status_code == 200
