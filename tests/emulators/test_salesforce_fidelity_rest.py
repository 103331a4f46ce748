"""Fidelity of the REST side of the Salesforce emulator, each behaviour checked against the
Salesforce documentation page named in the test's docstring (see the fidelity table in
emulators/README.md)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import requests
from salesforce_emulator.testing import SalesforceEmulator

Api = Any  # the conftest's Api session helper
OBJECT_REFERENCE = (
    "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/"
)
STANDARD = (
    "Account",
    "Contact",
    "Lead",
    "Opportunity",
    "Case",
    "Campaign",
    "CampaignMember",
    "User",
    "Task",
    "Event",
)


def _fields(api: Api, obj: str) -> dict[str, dict[str, Any]]:
    response = api.get(f"/sobjects/{obj}/describe")
    assert response.status_code == 200, response.text
    return {f["name"]: f for f in response.json()["fields"]}


def _rec(record_id: str, obj: str = "Contact", **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": obj}, "id": record_id, **fields}


def _collections(api: Api, records: list[dict[str, Any]], all_or_none: bool = False) -> Any:
    response = api.patch("/composite/sobjects", json={"allOrNone": all_or_none, "records": records})
    assert response.status_code == 200, response.text
    return response.json()


# -- 1. standard objects ---------------------------------------------------------------------
def test_standard_objects_come_from_one_data_file_that_names_its_source() -> None:
    """Object Reference for the Salesforce Platform (API 67.0), one page per object, e.g.
    "Account" (…/sforce_api_objects_account.htm): the metadata is data, not code."""
    text = (
        resources.files("salesforce_emulator")
        .joinpath("data", "standard_objects.json")
        .read_text("utf-8")
    )
    data = json.loads(text)
    assert "Object Reference" in data["source"] and "67.0" in data["source"]
    assert [o["name"] for o in data["objects"]] == list(STANDARD)
    for obj in data["objects"]:
        assert obj["doc"].startswith(OBJECT_REFERENCE)
        for field in obj["fields"]:
            assert {"updateable", "createable", "filterable", "nillable"} <= field.keys(), field


def test_describe_carries_documented_standard_fields(api: Api) -> None:
    """Object Reference: "Account" (AccountNumber string(40), Rating picklist), "Opportunity"
    (StageName and CloseDate required), "Case" (CaseNumber auto number, read-only), "Task"
    (Status/Priority required, defaulted), "CampaignMember" (CampaignId create-only)."""
    names = {o["name"] for o in api.get("/sobjects").json()["sobjects"]}
    assert set(STANDARD) <= names
    account = _fields(api, "Account")
    assert account["AccountNumber"]["type"] == "string"
    assert account["AccountNumber"]["length"] == 40
    assert account["AccountNumber"]["filterable"] and account["AccountNumber"]["updateable"]
    assert [p["value"] for p in account["Rating"]["picklistValues"]] == ["Hot", "Warm", "Cold"]
    opportunity = _fields(api, "Opportunity")
    assert not opportunity["StageName"]["nillable"] and not opportunity["CloseDate"]["nillable"]
    assert opportunity["Amount"]["type"] == "currency" and opportunity["Amount"]["scale"] == 2
    case = _fields(api, "Case")
    assert case["CaseNumber"]["autoNumber"] and not case["CaseNumber"]["updateable"]
    task = _fields(api, "Task")
    assert task["WhoId"]["referenceTo"] == ["Contact", "Lead"]
    status = task["Status"]
    assert not status["nillable"] and status["defaultedOnCreate"]
    assert [p["value"] for p in status["picklistValues"] if p["defaultValue"]] == ["Not Started"]
    member = _fields(api, "CampaignMember")
    assert member["CampaignId"]["createable"] and not member["CampaignId"]["updateable"]
    assert _fields(api, "Event")["DurationInMinutes"]["type"] == "int"
    # The default seed's custom fields are still there.
    assert _fields(api, "Contact")["WalkMe_Segment__c"]["length"] == 80


def test_compound_fields_are_described_as_salesforce_does(api: Api) -> None:
    """Object Reference, "Compound Fields" (…/compound_fields.htm): address and name compound
    fields are read-only as a whole; each component names it in ``compoundFieldName``."""
    contact = _fields(api, "Contact")
    assert not contact["Name"]["updateable"] and not contact["Name"]["createable"]
    for part in ("FirstName", "LastName", "Salutation"):
        assert contact[part]["compoundFieldName"] == "Name" and contact[part]["updateable"]
    address = contact["MailingAddress"]
    assert address["type"] == "address" and not address["updateable"]
    for part in ("MailingStreet", "MailingCity", "MailingPostalCode", "MailingLatitude"):
        assert contact[part]["compoundFieldName"] == "MailingAddress"
    account = _fields(api, "Account")
    assert account["BillingCity"]["compoundFieldName"] == "BillingAddress"
    assert account["Name"]["updateable"] and account["Name"]["compoundFieldName"] is None
    alan = api.ids("Contact")["alan.turing@example.com"]
    result = _collections(api, [_rec(alan, Name="A. Turing"), _rec(alan, MailingAddress=None)])
    assert [r["errors"][0]["statusCode"] for r in result] == ["INVALID_FIELD_FOR_INSERT_UPDATE"] * 2


# -- 2. reference and Id fields --------------------------------------------------------------
def test_reference_fields_take_only_well_formed_ids_of_an_allowed_existing_record(
    api: Api, sf: SalesforceEmulator
) -> None:
    """REST "Update Records Using sObject Collections" SaveResults with the SOAP API "Core Data
    Types Used in API Calls" (reference = ID of an allowed object): a malformed Id →
    MALFORMED_ID, an Id of another object → FIELD_INTEGRITY_EXCEPTION, an Id naming no record →
    INVALID_CROSS_REFERENCE_KEY; a 15-character Id is stored in its 18-character form."""
    contacts = api.ids("Contact")
    alan, grace = contacts["alan.turing@example.com"], contacts["grace.hopper@example.com"]
    lead = api.ids("Lead")["linus.lead@example.com"]
    account = sf.records("Account")[0]["Id"]
    results = _collections(
        api,
        [
            _rec(alan, AccountId="S"),
            _rec(alan, AccountId=lead),
            _rec(alan, AccountId="001000000000000AAA"),
            _rec(alan, OwnerId="005000000000000AAA"),
            _rec(grace, AccountId=account[:15]),
        ],
    )
    errors = [r["errors"][0] if r["errors"] else None for r in results]
    assert errors[0] == {
        "statusCode": "MALFORMED_ID",
        "message": "Account ID: id value of incorrect type: S",
        "fields": ["AccountId"],
    }
    assert errors[1] is not None and errors[1]["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert errors[1]["fields"] == ["AccountId"]
    assert errors[2] == {
        "statusCode": "INVALID_CROSS_REFERENCE_KEY",
        "message": "invalid cross reference id",
        "fields": ["AccountId"],
    }
    assert errors[3] is not None and errors[3]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert results[4] == {"id": grace, "success": True, "errors": []}
    rows = {r["Id"]: r for r in sf.records("Contact")}
    assert rows[alan]["AccountId"] is None
    assert rows[grace]["AccountId"] == account  # 18-character form
    single = api.patch(f"/sobjects/Contact/{alan}", json={"AccountId": "S"})
    assert single.status_code == 400 and single.json()[0]["errorCode"] == "MALFORMED_ID"


# -- 3. trimmed text -------------------------------------------------------------------------
def test_text_values_are_trimmed_on_save(api: Api, sf: SalesforceEmulator) -> None:
    """SOAP API Developer Guide, "update()" → "String Values": leading and trailing white space
    is removed when a text value is stored (' ABC Company ' → 'ABC Company'); the REST save
    path is the same. Chosen: every text type (string, textarea, email, phone, url, picklist,
    multipicklist, combobox) is trimmed of characters up to U+0020 (Java's ``String.trim``);
    a value of white space only is stored as null."""
    alan = api.ids("Contact")["alan.turing@example.com"]
    patched = api.patch(
        f"/sobjects/Contact/{alan}",
        json={"Title": "  VP Sales \t", "Email": " alan.turing@example.com ", "Phone": "   "},
    )
    assert patched.status_code == 204, patched.text
    results = _collections(api, [_rec(alan, WalkMe_Segment__c="\n Gold ")])
    assert results[0]["success"]
    row = next(r for r in sf.records("Contact") if r["Id"] == alan)
    assert (row["Title"], row["Email"], row["Phone"]) == (
        "VP Sales",
        "alan.turing@example.com",
        None,
    )
    assert row["WalkMe_Segment__c"] == "Gold"


# -- 4. SOQL escapes -------------------------------------------------------------------------
def test_upper_case_soql_escapes_are_accepted(api: Api) -> None:
    """SOQL and SOSL Reference, "Quoted String Escape Sequences": \\n or \\N, \\r or \\R, \\t or
    \\T, \\b or \\B, \\f or \\F; any other backslash sequence is an error."""
    alan = api.ids("Contact")["alan.turing@example.com"]
    assert api.patch(f"/sobjects/Contact/{alan}", json={"Title": "a\nb\tc"}).status_code == 204
    upper = api.query("SELECT Id FROM Contact WHERE Title = 'a\\Nb\\Tc'")
    assert upper.status_code == 200, upper.text
    assert [r["Id"] for r in upper.json()["records"]] == [alan]
    for escape in ("\\R", "\\B", "\\F"):
        assert api.query(f"SELECT Id FROM Contact WHERE Title = '{escape}'").status_code == 200
    bad = api.query("SELECT Id FROM Contact WHERE Title = '\\X'")
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "MALFORMED_QUERY"


# -- 5. request-line limit -------------------------------------------------------------------
def test_uri_plus_headers_over_16384_bytes_is_431_and_a_long_uri_alone_is_414(
    api: Api, sf: SalesforceEmulator
) -> None:
    """REST API Developer Guide, "Status Codes and Error Responses": 414 "The length of the URI
    exceeds the 16,384 byte limit"; 431 "The combined length of the URI and headers exceeds the
    16,384 byte limit" — so a URI within the limit fails when the headers push it over."""
    soql = "SELECT Id FROM Contact WHERE " + " OR ".join(["LastName = '" + "x" * 3_900 + "'"] * 4)
    assert 15_000 < len(soql) < 16_000
    assert api.query(soql).status_code == 200
    combined = api.get("/query", params={"q": soql}, headers={"X-Filler": "y" * 1_500})
    assert combined.status_code == 431
    long_uri = api.query("SELECT Id FROM Contact WHERE LastName = '" + "x" * 16_400 + "'")
    assert long_uri.status_code == 414
    headers = {f"X-Filler-{i}": "y" * 1000 for i in range(17)}
    assert requests.get(sf.url + "/services/data/", headers=headers, timeout=10).status_code == 431


# -- 6. sObject Collections ------------------------------------------------------------------
def test_all_or_none_rolls_back_across_object_types_and_keeps_ids(
    api: Api, sf: SalesforceEmulator
) -> None:
    """REST "Update Records Using sObject Collections": with allOrNone the *entire request* is
    rolled back when any record fails, across object types (records of several types are
    allowed in one list); the example response shows each rolled-back record with its id."""
    grace = api.ids("Contact")["grace.hopper@example.com"]
    lead = api.ids("Lead")["linus.lead@example.com"]
    results = _collections(
        api,
        [_rec(grace, WalkMe_Segment__c="A"), _rec(lead, "Lead", WalkMe_Feature_Adoption__c="No")],
        all_or_none=True,
    )
    assert results[0] == {
        "id": grace,
        "success": False,
        "errors": [
            {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the "
                "request was using AllOrNone header",
                "fields": [],
            }
        ],
    }
    assert "id" not in results[1]
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert next(r for r in sf.records("Contact") if r["Id"] == grace)["WalkMe_Segment__c"] is None
    assert sf.stats()["records_updated"] == 0
    ok = _collections(
        api,
        [_rec(grace, WalkMe_Segment__c="A"), _rec(lead, "Lead", WalkMe_Segment__c="B")],
        all_or_none=True,
    )
    assert [r["success"] for r in ok] == [True, True]
    assert sf.stats()["records_updated"] == 2


def test_more_than_twelve_duplicate_ids_fail_after_the_twelfth(
    api: Api, sf: SalesforceEmulator
) -> None:
    """SOAP API Developer Guide, "update()": duplicate Ids in one call — the first 12 are
    processed, later duplicates fail ("Maximum number of duplicate updates in one batch (12
    allowed)"). REST Collections use the same save path."""
    grace = api.ids("Contact")["grace.hopper@example.com"]
    results = _collections(api, [_rec(grace, WalkMe_Segment__c=f"v{i}") for i in range(14)])
    assert [r["success"] for r in results] == [True] * 12 + [False] * 2
    assert results[12]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert "(12 allowed)" in results[12]["errors"][0]["message"]
    assert next(r for r in sf.records("Contact") if r["Id"] == grace)["WalkMe_Segment__c"] == "v11"


def test_collections_limit_is_200_records(api: Api) -> None:
    """REST "Update Records Using sObject Collections": the list can contain up to 200
    objects."""
    grace = api.ids("Contact")["grace.hopper@example.com"]
    records = [_rec(grace, WalkMe_Segment__c="x")] * 201
    response = api.patch("/composite/sobjects", json={"allOrNone": False, "records": records})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


# -- 9. Sforce-Limit-Info --------------------------------------------------------------------
def test_sforce_limit_info_on_every_data_api_response(api: Api, sf: SalesforceEmulator) -> None:
    """REST API Developer Guide, "Limits Info Header": the response to every REST request
    carries ``Sforce-Limit-Info`` — errors included (unknown resource, wrong method, bad
    session, unknown version)."""
    responses = [
        api.get("/limits"),
        api.get("/no/such/resource"),
        api.post("/limits"),
        api.get("/sobjects/Nope/describe"),
        requests.get(api.base + "/limits", headers={"Authorization": "Bearer nope"}, timeout=10),
        api.session.get(f"{sf.url}/services/data/v30.0/limits", timeout=10),
    ]
    assert [r.status_code for r in responses] == [200, 404, 405, 404, 401, 404]
    for response in responses:
        assert response.headers["Sforce-Limit-Info"].startswith("api-usage="), response.url
