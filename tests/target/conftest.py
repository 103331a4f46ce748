"""Fixtures for the target's tests."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

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


# Salesforce emulator (real HTTP, a subprocess); run helpers live in target_harness.py.


def _default_seed() -> dict:
    from importlib import resources

    text = resources.files("salesforce_emulator.seeds").joinpath("default.json").read_text()
    return json.loads(text)


@pytest.fixture(scope="session")
def emulator_session():
    """One Salesforce emulator for the whole session (reset before each test that uses it)."""
    from salesforce_emulator.testing import SalesforceEmulator

    with SalesforceEmulator() as emulator:
        yield emulator


@pytest.fixture
def sf(emulator_session):
    """The emulator, reset to the default seed with faults cleared."""
    emulator_session.reset()
    emulator_session.faults(clear=True)
    return emulator_session


@pytest.fixture(autouse=True)
def _never_creates_records(request):
    """Every test that talks to the emulator ends with zero records created."""
    emulator = request.getfixturevalue("sf") if "sf" in request.fixturenames else None
    yield
    if emulator is not None:
        stats = emulator.stats()
        assert stats["records_created"] == 0, f"the target created records: {stats}"


def _credentials(seed: dict, *, restricted: bool = False) -> dict:
    users = seed["users"]
    admin = next((u for u in users if u.get("modify_all_data")), users[0])
    user = next((u for u in users if not u.get("modify_all_data")), admin) if restricted else admin
    app = seed["connected_apps"][0]
    return {
        "auth_flow": "password",
        "username": user["username"],
        "password": user["password"] + (user.get("security_token") or ""),
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }


@pytest.fixture
def base_config(sf, tmp_path) -> Callable[..., dict]:
    """Build a target config for the emulator: connection + a Contact integration + overrides."""
    seed = _default_seed()

    def build(*, restricted: bool = False, **overrides) -> dict:
        config = {
            "login_url": sf.url,
            **_credentials(seed, restricted=restricted),
            "retry_backoff_base": 0.01,
            "results_dir": str(tmp_path / "results"),
            "sobject": "Contact",
            "match_property": "email",
            "match_field": "Email",
            "field_mapping": {
                "progress": "WalkMe_Onboarding_Progress__c",
                "completed": "WalkMe_Onboarding_Completed__c",
                "last_seen": "WalkMe_Last_Seen__c",
                "segment": "WalkMe_Segment__c",
            },
        }
        config.update(overrides)
        return config

    return build
