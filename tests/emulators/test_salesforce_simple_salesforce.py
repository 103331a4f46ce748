"""Conformance: drive the emulator with simple-salesforce, an independent client, over HTTPS
with certificate verification on."""

from __future__ import annotations

import csv
import io

import certifi
import pytest
import requests
from salesforce_emulator.testing import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLIENT_ID,
    CLIENT_SECRET,
    SalesforceEmulator,
)
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

VERSION = "67.0"


@pytest.fixture(autouse=True)
def _trust_emulator_ca(sf_tls: SalesforceEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust the emulator's CA the way a user would: REQUESTS_CA_BUNDLE (requests lets the
    environment override ``session.verify``, so the variable is the reliable switch)."""
    assert sf_tls.ca_bundle, "the TLS emulator must print its certificate"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sf_tls.ca_bundle)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def _session(emulator: SalesforceEmulator) -> requests.Session:
    session = requests.Session()
    session.verify = emulator.ca_bundle
    return session


def _instance(emulator: SalesforceEmulator) -> str:
    return emulator.url.removeprefix("https://")


def _session_id_client(emulator: SalesforceEmulator) -> Salesforce:
    token = emulator.access_token()
    return Salesforce(
        instance=_instance(emulator), session_id=token, version=VERSION, session=_session(emulator)
    )


def test_certificate_is_verified_not_ignored(sf_tls: SalesforceEmulator) -> None:
    assert sf_tls.url.startswith("https://127.0.0.1:")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sf_tls.url + "/services/data/", timeout=10, verify=certifi.where())
    ok = requests.get(sf_tls.url + "/services/data/", timeout=10, verify=sf_tls.ca_bundle)
    assert ok.status_code == 200


def test_oauth_password_login(sf_tls: SalesforceEmulator) -> None:
    # simple-salesforce builds https://{domain}.salesforce.com/...; the fragment trick points
    # that URL at the emulator without touching the client.
    domain = f"{_instance(sf_tls)}/services/oauth2/token#"
    client = Salesforce(
        username=ADMIN_USERNAME,
        password=ADMIN_PASSWORD,
        consumer_key=CLIENT_ID,
        consumer_secret=CLIENT_SECRET,
        domain=domain,
        version=VERSION,
        session=_session(sf_tls),
    )
    assert client.sf_instance == _instance(sf_tls)
    result = client.query("SELECT Id FROM User")
    assert result["totalSize"] == 2


def test_oauth_client_credentials_login(sf_tls: SalesforceEmulator) -> None:
    domain = f"{_instance(sf_tls)}/services/oauth2/token#"
    client = Salesforce(
        consumer_key=CLIENT_ID,
        consumer_secret=CLIENT_SECRET,
        domain=domain,
        version=VERSION,
        session=_session(sf_tls),
    )
    assert client.query("SELECT COUNT() FROM Contact")["totalSize"] == 5


def test_describe(sf_tls: SalesforceEmulator) -> None:
    client = _session_id_client(sf_tls)
    names = {o["name"] for o in client.describe()["sobjects"]}
    assert {"Account", "Contact", "Lead", "User"} <= names
    describe = client.Contact.describe()
    fields = {f["name"]: f for f in describe["fields"]}
    assert fields["Email"]["type"] == "email"
    assert fields["Email"]["unique"] is False
    assert fields["WalkMe_Feature_Adoption__c"]["restrictedPicklist"] is True
    assert [p["value"] for p in fields["WalkMe_Feature_Adoption__c"]["picklistValues"]] == [
        "Low",
        "Medium",
        "High",
    ]
    assert fields["WalkMe_NPS_Score__c"]["updateable"] is True
    assert describe["keyPrefix"] == "003"


def test_describe_reflects_running_user(sf_tls: SalesforceEmulator) -> None:
    token = sf_tls.access_token("integration@walkme-demo.example")
    client = Salesforce(
        instance=_instance(sf_tls), session_id=token, version=VERSION, session=_session(sf_tls)
    )
    fields = {f["name"]: f for f in client.Contact.describe()["fields"]}
    assert fields["WalkMe_NPS_Score__c"]["updateable"] is False
    assert fields["WalkMe_Segment__c"]["updateable"] is True
    account = client.Account.describe()
    assert account["updateable"] is False
    assert not any(f["updateable"] for f in account["fields"])


def test_query_paging_and_awkward_literals(sf_tls: SalesforceEmulator) -> None:
    awkward = [
        "o'brien@example.com",
        "back\\slash@example.com",
        'quote"d@example.com',
        "tab\there@example.com",
        "Ünïcödé@Example.com",
    ]
    records = [{"LastName": f"Bulk{i}", "Email": f"page{i}@example.com"} for i in range(4500)]
    records += [{"LastName": "Awkward", "Email": e} for e in awkward]
    sf_tls.seed({"records": {"Contact": records}})
    client = _session_id_client(sf_tls)
    result = client.query_all("SELECT Id, Email FROM Contact WHERE Email LIKE 'page%'")
    assert result["totalSize"] == 4500
    assert len(result["records"]) == 4500
    assert len({r["Id"] for r in result["records"]}) == 4500
    first_page = client.query("SELECT Id FROM Contact WHERE Email LIKE 'page%'")
    assert first_page["done"] is False
    assert len(first_page["records"]) == 2000
    assert "/query/01g" in first_page["nextRecordsUrl"]

    def escape(value: str) -> str:
        return (
            value.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"').replace("\t", "\\t")
        )

    for email in awkward:
        found = client.query(f"SELECT Email FROM Contact WHERE Email = '{escape(email)}'")
        assert [r["Email"] for r in found["records"]] == [email]
    # case-insensitive, as Salesforce compares strings
    found = client.query("SELECT Email FROM Contact WHERE Email = 'ÜNÏCÖDÉ@example.COM'")
    assert found["totalSize"] == 1
    with pytest.raises(SalesforceMalformedRequest) as err:
        client.query("SELECT Id FROM Contact WHERE Email = 'bad\\escape'")
    assert err.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_collections_update_via_restful(sf_tls: SalesforceEmulator) -> None:
    client = _session_id_client(sf_tls)
    contacts = client.query("SELECT Id, Email FROM Contact ORDER BY Email")["records"]
    body = {
        "allOrNone": False,
        "records": [
            {
                "attributes": {"type": "Contact"},
                "id": contacts[0]["Id"],
                "WalkMe_Segment__c": "Gold",
                "WalkMe_NPS_Score__c": 9,
            },
            {
                "attributes": {"type": "Contact"},
                "id": contacts[1]["Id"],
                "WalkMe_Feature_Adoption__c": "Enormous",
            },
        ],
    }
    results = client.restful("composite/sobjects", method="PATCH", json=body)
    assert results[0] == {"id": contacts[0]["Id"], "success": True, "errors": []}
    assert results[1]["success"] is False
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    row = client.Contact.get(contacts[0]["Id"])
    assert row["WalkMe_Segment__c"] == "Gold"
    assert row["WalkMe_NPS_Score__c"] == 9.0


def test_bulk2_update_with_result_helpers(sf_tls: SalesforceEmulator) -> None:
    client = _session_id_client(sf_tls)
    contacts = client.query("SELECT Id, Email FROM Contact ORDER BY Email")["records"]
    rows = [{"Id": c["Id"], "WalkMe_Segment__c": f"Seg {i}"} for i, c in enumerate(contacts)]
    rows.append({"Id": "003000000000000", "WalkMe_Segment__c": "nobody"})
    rows.append({"Id": contacts[0]["Id"][:15], "WalkMe_Segment__c": "x" * 81})
    results = client.bulk2.Contact.update(records=rows, wait=0.1)
    assert results[0]["numberRecordsProcessed"] == len(rows)
    assert results[0]["numberRecordsFailed"] == 2
    job_id = results[0]["job_id"]
    ok = list(csv.DictReader(io.StringIO(client.bulk2.Contact.get_successful_records(job_id))))
    failed = list(csv.DictReader(io.StringIO(client.bulk2.Contact.get_failed_records(job_id))))
    assert len(ok) == len(contacts)
    assert {r["sf__Created"] for r in ok} == {"false"}
    assert {r["sf__Id"] for r in ok} == {c["Id"] for c in contacts}
    errors = sorted(r["sf__Error"] for r in failed)
    assert errors[0].startswith("INVALID_CROSS_REFERENCE_KEY:")
    assert errors[1].startswith("STRING_TOO_LONG:WalkMe Segment: data value too large:")
    assert errors[1].endswith(":WalkMe_Segment__c --")
    segments = {r["Email"]: r["WalkMe_Segment__c"] for r in sf_tls.records("Contact")}
    assert segments[contacts[1]["Email"]] == "Seg 1"


def test_limits_and_api_usage(sf_tls: SalesforceEmulator) -> None:
    client = _session_id_client(sf_tls)
    limits = client.limits()
    assert limits["DailyApiRequests"]["Max"] == 100000
    assert limits["DailyApiRequests"]["Remaining"] == 100000 - 1
    client.query("SELECT Id FROM Contact")
    usage = client.api_usage["api-usage"]
    assert (usage.used, usage.total) == (2, 100000)


def test_bulk2_query(sf_tls: SalesforceEmulator) -> None:
    sf_tls.seed(
        {
            "records": {
                "Contact": [
                    {"LastName": f"Q{i}", "Email": f"bq{i}@example.com", "DoNotCall": i % 2 == 0}
                    for i in range(25)
                ]
            }
        }
    )
    client = _session_id_client(sf_tls)
    pages = list(
        client.bulk2.Contact.query(
            "SELECT Id, Email, DoNotCall, WalkMe_NPS_Score__c FROM Contact WHERE Email LIKE 'bq%'",
            max_records=10,
            wait=0.1,
        )
    )
    assert len(pages) == 3
    rows = [r for page in pages for r in csv.DictReader(io.StringIO(page))]
    assert len(rows) == 25
    assert set(rows[0]) == {"Id", "Email", "DoNotCall", "WalkMe_NPS_Score__c"}
    assert {r["DoNotCall"] for r in rows} == {"true", "false"}
    assert {r["WalkMe_NPS_Score__c"] for r in rows} == {""}
