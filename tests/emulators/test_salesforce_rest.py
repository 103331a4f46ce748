"""REST resources and their error shapes, over HTTP."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests
from salesforce_emulator.testing import SalesforceEmulator

Api = Any  # the conftest's Api session helper


def test_versions_list_is_public_and_uncounted(sf: SalesforceEmulator) -> None:
    response = requests.get(sf.url + "/services/data/", timeout=10)
    assert response.status_code == 200
    versions = response.json()
    assert versions[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    assert versions[-1]["version"] == "67.0"
    assert "Sforce-Limit-Info" not in response.headers
    assert sf.stats()["api_calls"] == 0


def test_any_supported_version(api: Api) -> None:
    for version in ("50.0", "58.0", "67.0"):
        url = f"{api.emulator.url}/services/data/v{version}/limits"
        assert api.session.get(url, timeout=10).status_code == 200
    assert api.session.get(f"{api.emulator.url}/services/data/v31.0/limits").status_code == 200
    missing = api.session.get(f"{api.emulator.url}/services/data/v30.0/limits", timeout=10)
    assert missing.status_code == 404
    assert missing.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_invalid_session(sf: SalesforceEmulator) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = requests.get(sf.api_base + "/sobjects", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json() == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]


def test_global_and_object_describe(api: Api) -> None:
    body = api.get("/sobjects").json()
    assert body["maxBatchSize"] == 200 and body["encoding"] == "UTF-8"
    contact = next(o for o in body["sobjects"] if o["name"] == "Contact")
    assert contact["keyPrefix"] == "003" and contact["updateable"] is True
    describe = api.get("/sobjects/contact/describe").json()  # names are case-insensitive
    assert describe["name"] == "Contact"
    fields = {f["name"]: f for f in describe["fields"]}
    assert fields["Id"]["type"] == "id" and fields["Id"]["updateable"] is False
    assert fields["LastName"]["nillable"] is False
    assert fields["WalkMe_Onboarding_Progress__c"]["type"] == "percent"
    assert (
        fields["WalkMe_Onboarding_Progress__c"]["precision"],
        fields["WalkMe_Onboarding_Progress__c"]["scale"],
    ) == (5, 2)
    assert fields["WalkMe_NPS_Comment__c"]["length"] == 1000
    assert fields["Email"]["idLookup"] is True and fields["Email"]["filterable"] is True
    lead = {f["name"]: f for f in api.get("/sobjects/Lead/describe").json()["fields"]}
    assert lead["IsConverted"]["updateable"] is False
    assert api.get("/sobjects/Nope__c/describe").status_code == 404


def test_query_errors(api: Api) -> None:
    malformed = api.query("SELECT Id FROM Contact WHERE Email = 'a\\qb'")
    assert malformed.status_code == 400
    assert malformed.json()[0]["errorCode"] == "MALFORMED_QUERY"
    field = api.query("SELECT Id, Emial FROM Contact")
    assert field.status_code == 400 and field.json()[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Emial' on entity 'Contact'" in field.json()[0]["message"]
    obj = api.query("SELECT Id FROM Nope")
    assert obj.status_code == 400 and obj.json()[0]["errorCode"] == "INVALID_TYPE"
    assert "Sforce-Limit-Info" in obj.headers  # counted even when it fails
    # Over GET a statement near the 100,000-character limit is stopped earlier, by the
    # 16,384-byte request line limit.
    too_long = api.query("SELECT Id FROM Contact WHERE LastName = 'x'" + " " * 100_000)
    assert too_long.status_code == 414


def test_request_line_over_16k_is_rejected(api: Api) -> None:
    soql = (
        "SELECT Id FROM Contact WHERE Email IN ("
        + ",".join(f"'user{i}@example.com'" for i in range(800))
        + ")"
    )
    response = api.query(soql)
    assert response.status_code == 414


def test_header_block_over_16k_is_rejected(sf: SalesforceEmulator) -> None:
    headers = {f"X-Filler-{i}": "y" * 1000 for i in range(20)}
    response = requests.get(sf.url + "/services/data/", headers=headers, timeout=10)
    assert response.status_code == 431


def test_query_semantics(api: Api) -> None:
    emails = [
        r["Email"]
        for r in api.query(
            "SELECT Email FROM Contact WHERE Email IN ('GRACE.HOPPER@example.com', "
            "'katherine.johnson@example.com') ORDER BY Email"
        ).json()["records"]
    ]
    assert emails == ["grace.hopper@example.com", "Katherine.Johnson@Example.com"]
    live = api.query("SELECT Id FROM Contact WHERE Email = 'deleted.contact@example.com'")
    assert live.json()["totalSize"] == 0
    every = api.get(
        "/queryAll",
        params={
            "q": "SELECT Id, IsDeleted FROM Contact WHERE Email = 'deleted.contact@example.com'"
        },
    )
    assert every.json()["records"][0]["IsDeleted"] is True
    leads = api.query("SELECT Email, IsConverted FROM Lead WHERE IsConverted = false").json()
    assert [r["Email"] for r in leads["records"]] == ["linus.lead@example.com"]
    record = api.query("SELECT Id, Name FROM Contact WHERE Email = 'alan.turing@example.com'")
    rec = record.json()["records"][0]
    assert rec["attributes"] == {
        "type": "Contact",
        "url": f"/services/data/v67.0/sobjects/Contact/{rec['Id']}",
    }
    assert rec["Name"] == "Alan Turing"
    count = api.query("SELECT COUNT() FROM Contact WHERE Email = 'shared.inbox@example.com'")
    assert count.json() == {"totalSize": 2, "done": True, "records": []}
    bad_locator = api.get("/query/01g000000000000-2000")
    assert bad_locator.status_code == 400
    assert bad_locator.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_single_record_get_patch_delete(api: Api, sf: SalesforceEmulator) -> None:
    ids = api.ids("Contact")
    grace = ids["grace.hopper@example.com"]
    before = api.get(f"/sobjects/Contact/{grace}").json()
    assert before["Email"] == "grace.hopper@example.com" and before["IsDeleted"] is False
    short = api.get(f"/sobjects/Contact/{grace[:15]}", params={"fields": "Email,Name"}).json()
    assert set(short) == {"attributes", "Email", "Name"}
    patch = api.patch(
        f"/sobjects/Contact/{grace}",
        json={
            "WalkMe_Last_Seen__c": "2024-05-01T12:00:00.000Z",
            "WalkMe_Onboarding_Completed__c": True,
        },
    )
    assert patch.status_code == 204 and patch.text == ""
    after = api.get(f"/sobjects/Contact/{grace}").json()
    assert after["WalkMe_Last_Seen__c"] == "2024-05-01T12:00:00.000+0000"
    assert after["WalkMe_Onboarding_Completed__c"] is True
    assert after["LastModifiedDate"] >= before["LastModifiedDate"]
    assert after["SystemModstamp"] == after["LastModifiedDate"]
    bad = api.patch(f"/sobjects/Contact/{grace}", json={"Email": "not-an-email"})
    assert bad.status_code == 400
    assert bad.json() == [
        {
            "message": "Email: invalid email address: not-an-email",
            "errorCode": "INVALID_EMAIL_ADDRESS",
            "fields": ["Email"],
        }
    ]
    assert api.delete(f"/sobjects/Contact/{grace}").status_code == 204
    gone = api.get(f"/sobjects/Contact/{grace}")
    assert gone.status_code == 404 and gone.json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    again = api.patch(f"/sobjects/Contact/{grace}", json={"Title": "x"})
    assert again.status_code == 404 and again.json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    rows = {r["Id"]: r for r in sf.records("Contact")}
    assert rows[grace]["IsDeleted"] is True
    missing = api.get("/sobjects/Contact/003000000000000AAA")
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"
    stats = sf.stats()
    assert stats["records_updated"] == 1 and stats["records_deleted"] == 1
    assert stats["requests_by_kind"]["sobject_update"] == 3


@pytest.mark.creates_records
def test_record_creation_works_and_is_counted_separately(api: Api, sf: SalesforceEmulator) -> None:
    created = api.post("/sobjects/Contact", json={"LastName": "New", "Email": "new@example.com"})
    assert created.status_code == 201
    body = created.json()
    assert body["success"] is True and body["id"].startswith("003") and len(body["id"]) == 18
    missing = api.post("/sobjects/Contact", json={"Email": "x@example.com"})
    assert missing.status_code == 400
    assert missing.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    collection = api.post(
        "/composite/sobjects",
        json={
            "allOrNone": False,
            "records": [{"attributes": {"type": "Lead"}, "LastName": "L", "Company": "C"}],
        },
    )
    assert collection.status_code == 200 and collection.json()[0]["success"] is True
    stats = sf.stats()
    assert stats["records_created"] == 2
    assert stats["requests_by_kind"]["sobject_create"] == 2
    assert stats["requests_by_kind"]["collections_create"] == 1


def test_restricted_user_cannot_edit(sf: SalesforceEmulator, make_api: Any) -> None:
    api = make_api(sf, sf.access_token("integration@walkme-demo.example"))
    contact = api.ids("Contact")["alan.turing@example.com"]
    denied = api.patch(f"/sobjects/Contact/{contact}", json={"WalkMe_NPS_Score__c": 5})
    assert denied.status_code == 400
    error = denied.json()[0]
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error["message"].startswith("Unable to create/update fields: WalkMe_NPS_Score__c.")
    assert error["fields"] == ["WalkMe_NPS_Score__c"]
    account = api.query("SELECT Id FROM Account").json()["records"][0]["Id"]
    no_edit = api.patch(f"/sobjects/Account/{account}", json={"Name": "X"})
    assert no_edit.status_code == 400
    assert no_edit.json()[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"


def test_concurrent_requests_are_served_concurrently() -> None:
    import threading
    import time

    with SalesforceEmulator(latency_ms=300) as sf:
        token = sf.access_token()
        statuses: list[int] = []

        def call() -> None:
            statuses.append(
                requests.get(
                    sf.api_base + "/limits",
                    timeout=10,
                    headers={"Authorization": f"Bearer {token}"},
                ).status_code
            )

        started = time.monotonic()
        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        assert statuses == [200] * 8
        assert time.monotonic() - started < 1.5  # 8 calls of 300 ms serially would be 2.4 s


def test_binds_loopback_by_default(sf: SalesforceEmulator) -> None:
    host = sf.url.split("//")[1].rsplit(":", 1)[0]
    assert host == "127.0.0.1"
    port = int(sf.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
