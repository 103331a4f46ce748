"""What the benchmark configures: the onboarding report's key column, the target's field
mapping and settings for the emulator's demo admin, and the config files handed to each run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

KEY_COLUMN = "End User ID"
FIELD_MAPPING = {
    "onboarding_progress_pct": "WalkMe_Onboarding_Progress__c",
    "onboarding_completed": "WalkMe_Onboarding_Completed__c",
    "first_seen_timestamp": "WalkMe_First_Seen__c",
    "last_seen_timestamp": "WalkMe_Last_Seen__c",
    "total_sessions": "WalkMe_Total_Sessions__c",
    "average_session_duration_min": "WalkMe_Avg_Session_Minutes__c",
    "feature_adoption": "WalkMe_Feature_Adoption__c",
}
#: The fields the target's match queries select with this mapping (for the minimum-calls formula).
SELECT_FIELDS = [
    "Id",
    "Email",
    "WalkMe_Onboarding_Progress__c",
    "WalkMe_Onboarding_Completed__c",
    "WalkMe_First_Seen__c",
    "WalkMe_Last_Seen__c",
    "WalkMe_Total_Sessions__c",
    "WalkMe_Avg_Session_Minutes__c",
    "WalkMe_Feature_Adoption__c",
]


def target_config(url: str, results_dir: Path, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The target's settings for the emulator's built-in demo admin and the onboarding report."""
    from salesforce_emulator import testing

    return {
        "login_url": url,
        "auth_flow": "password",
        "client_id": testing.CLIENT_ID,
        "client_secret": testing.CLIENT_SECRET,
        "username": testing.ADMIN_USERNAME,
        "password": testing.ADMIN_PASSWORD + testing.ADMIN_SECURITY_TOKEN,
        "sobject": "Contact",
        "match_property": "end_user_id",
        "match_field": "Email",
        "multiple_matches": "skip",
        "field_mapping": FIELD_MAPPING,
        "results_dir": str(results_dir),
        "progress_interval": 3600,
        **extra,
    }


def write_config(path: Path, data: Mapping[str, Any]) -> Path:
    """Write a config file readable by its owner only (it holds the demo admin's password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    path.chmod(0o600)
    return path
