"""sObject Collections update: SaveResults, per-record error codes, allOrNone, limits."""

from __future__ import annotations

from typing import Any

import pytest
from salesforce_emulator.testing import SalesforceEmulator


def _rec(record_id: str, obj: str = "Contact", **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": obj}, "id": record_id, **fields}


def _patch(api: Any, records: list[dict[str, Any]], all_or_none: bool = False) -> Any:
    response = api.patch("/composite/sobjects", json={"allOrNone": all_or_none, "records": records})
    return response


@pytest.fixture
def ids(api: Any) -> dict[str, str]:
    everything = api.get("/queryAll", params={"q": "SELECT Id, Email FROM Contact"}).json()
    out = {r["Email"]: r["Id"] for r in everything["records"]}
    leads = api.get("/queryAll", params={"q": "SELECT Id, Email FROM Lead"}).json()
    out.update({r["Email"]: r["Id"] for r in leads["records"]})
    return out


def test_every_error_code_in_request_order(
    api: Any, ids: dict[str, str], sf: SalesforceEmulator
) -> None:
    grace, alan = ids["grace.hopper@example.com"], ids["alan.turing@example.com"]
    records = [
        _rec(grace, WalkMe_Segment__c="Gold", WalkMe_NPS_Comment__c=None),
        _rec(alan, WalkMe_Segment__c="s" * 81),
        _rec(alan, Email="no-at-sign"),
        _rec(alan, WalkMe_Feature_Adoption__c="Huge"),
        _rec(ids["deleted.contact@example.com"], WalkMe_Segment__c="x"),
        _rec("003BAD", WalkMe_Segment__c="x"),
        _rec(ids["linus.lead@example.com"], WalkMe_Segment__c="x"),  # a Lead Id as a Contact
        _rec(ids["converted.lead@example.com"], "Lead", WalkMe_Segment__c="x"),
        _rec(alan, WalkMe_NPS_Score__c=11),
        _rec(alan, Name="Renamed"),
        _rec("003000000000000AAA", WalkMe_Segment__c="x"),
        _rec(alan, LastName=None),
    ]
    response = _patch(api, records)
    assert response.status_code == 200
    results = response.json()
    assert len(results) == len(records)
    assert results[0] == {"id": grace, "success": True, "errors": []}
    codes = [r["errors"][0]["statusCode"] for r in results[1:]]
    assert codes == [
        "STRING_TOO_LONG",
        "INVALID_EMAIL_ADDRESS",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "ENTITY_IS_DELETED",
        "MALFORMED_ID",
        "MALFORMED_ID",
        "CANNOT_UPDATE_CONVERTED_LEAD",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "INVALID_CROSS_REFERENCE_KEY",
        "REQUIRED_FIELD_MISSING",
    ]
    assert results[1]["errors"][0] == {
        "statusCode": "STRING_TOO_LONG",
        "message": f"WalkMe Segment: data value too large: {'s' * 81} (max length=80)",
        "fields": ["WalkMe_Segment__c"],
    }
    assert results[5]["errors"][0]["message"] == "Contact ID: id value of incorrect type: 003BAD"
    assert results[8]["errors"][0] == {
        "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "message": "NPS score must be between 0 and 10.",
        "fields": ["WalkMe_NPS_Score__c"],
    }
    assert all("errorCode" not in e for r in results for e in r["errors"])
    assert all("id" not in r for r in results[1:])
    rows = {r["Id"]: r for r in sf.records("Contact")}
    assert rows[grace]["WalkMe_Segment__c"] == "Gold"
    assert rows[alan]["WalkMe_Segment__c"] is None
    assert sf.stats()["records_updated"] == 1


def test_all_or_none_rolls_back(api: Any, ids: dict[str, str], sf: SalesforceEmulator) -> None:
    grace, alan = ids["grace.hopper@example.com"], ids["alan.turing@example.com"]
    results = _patch(
        api,
        [_rec(grace, WalkMe_Segment__c="A"), _rec(alan, WalkMe_Feature_Adoption__c="Nope")],
        all_or_none=True,
    )
    body = results.json()
    assert body[0] == {
        "id": grace,  # REST "Update Records Using sObject Collections": rolled back, id kept
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
    assert body[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert {r["Id"]: r for r in sf.records("Contact")}[grace]["WalkMe_Segment__c"] is None
    ok = _patch(
        api,
        [_rec(grace, WalkMe_Segment__c="A"), _rec(alan, WalkMe_Segment__c="B")],
        all_or_none=True,
    )
    assert [r["success"] for r in ok.json()] == [True, True]


def test_null_clears_and_omitted_is_untouched(
    api: Any, ids: dict[str, str], sf: SalesforceEmulator
) -> None:
    grace = ids["grace.hopper@example.com"]
    _patch(
        api,
        [
            _rec(
                grace,
                WalkMe_Segment__c="A",
                WalkMe_NPS_Score__c=7,
                WalkMe_NPS_Survey_Date__c="2024-02-29",
                WalkMe_Avg_Session_Minutes__c=12.345,
            )
        ],
    )
    _patch(api, [_rec(grace, WalkMe_Segment__c=None)])
    row = {r["Id"]: r for r in sf.records("Contact")}[grace]
    assert row["WalkMe_Segment__c"] is None
    assert row["WalkMe_NPS_Score__c"] == 7.0
    assert row["WalkMe_NPS_Survey_Date__c"] == "2024-02-29"
    assert row["WalkMe_Avg_Session_Minutes__c"] == 12.35  # rounded to the field's scale


def test_over_200_records(api: Any, ids: dict[str, str]) -> None:
    grace = ids["grace.hopper@example.com"]
    response = _patch(api, [_rec(grace, WalkMe_Segment__c=str(i)) for i in range(201)])
    assert response.status_code == 400
    assert response.json() == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]


def test_whole_request_errors(api: Any, ids: dict[str, str]) -> None:
    grace = ids["grace.hopper@example.com"]
    unknown = _patch(api, [_rec(grace, Not_A_Field__c=1)])
    assert unknown.status_code == 400
    assert unknown.json() == [
        {
            "message": "No such column 'Not_A_Field__c' on sobject of type Contact",
            "errorCode": "INVALID_FIELD",
        }
    ]
    wrong_type = _patch(api, [_rec(grace, WalkMe_NPS_Score__c="seven")])
    assert wrong_type.status_code == 400
    assert wrong_type.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert (
        "Cannot deserialize instance of double from VALUE_STRING value seven"
        in wrong_type.json()[0]["message"]
    )
    bad_date = _patch(api, [_rec(grace, WalkMe_NPS_Survey_Date__c="2024-13-45")])
    assert bad_date.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    not_json = api.patch(
        "/composite/sobjects", data="{nope", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_restricted_user_field_and_object(
    sf: SalesforceEmulator, make_api: Any, ids: dict[str, str]
) -> None:
    api = make_api(sf, sf.access_token("integration@walkme-demo.example"))
    grace = ids["grace.hopper@example.com"]
    results = _patch(
        api,
        [
            _rec(grace, WalkMe_NPS_Score__c=5, WalkMe_Segment__c="x"),
            _rec(grace, WalkMe_Segment__c="ok"),
        ],
    ).json()
    assert results[0]["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert results[0]["errors"][0]["fields"] == ["WalkMe_NPS_Score__c"]
    assert results[1]["success"] is True
