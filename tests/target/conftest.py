"""Fixtures for the target's tests."""

from __future__ import annotations

import copy

import pytest

_CONTACT_FIELDS = [
    {
        "name": "Id",
        "type": "id",
        "length": 18,
        "updateable": False,
        "filterable": True,
        "idLookup": True,
    },
    {"name": "IsDeleted", "type": "boolean", "updateable": False},
    {"name": "LastName", "type": "string", "length": 80, "updateable": True},
    {"name": "Email", "type": "email", "length": 80, "updateable": True, "filterable": True},
    {
        "name": "WalkMe_Onboarding_Progress__c",
        "type": "percent",
        "precision": 5,
        "scale": 2,
        "updateable": True,
    },
    {"name": "WalkMe_Onboarding_Completed__c", "type": "boolean", "updateable": True},
    {"name": "WalkMe_First_Seen__c", "type": "datetime", "updateable": True},
    {"name": "WalkMe_Last_Seen__c", "type": "datetime", "updateable": True},
    {
        "name": "WalkMe_Total_Sessions__c",
        "type": "double",
        "precision": 18,
        "scale": 0,
        "updateable": True,
    },
    {
        "name": "WalkMe_Avg_Session_Minutes__c",
        "type": "double",
        "precision": 8,
        "scale": 2,
        "updateable": True,
    },
    {
        "name": "WalkMe_Feature_Adoption__c",
        "type": "picklist",
        "restrictedPicklist": True,
        "picklistValues": [{"value": v, "active": True} for v in ("Low", "Medium", "High")],
        "updateable": True,
    },
    {
        "name": "WalkMe_NPS_Score__c",
        "type": "double",
        "precision": 2,
        "scale": 0,
        "updateable": True,
    },
    {
        "name": "WalkMe_NPS_Comment__c",
        "type": "textarea",
        "length": 1000,
        "updateable": True,
        "filterable": False,
    },
    {"name": "WalkMe_NPS_Survey_Date__c", "type": "date", "updateable": True},
    {"name": "WalkMe_Segment__c", "type": "string", "length": 80, "updateable": True},
]


@pytest.fixture
def contact_describe() -> dict:
    """A describe result shaped like Salesforce's for Contact with the demo fields."""
    return {
        "name": "Contact",
        "queryable": True,
        "updateable": True,
        "fields": copy.deepcopy(_CONTACT_FIELDS),
    }
