"""Values a new record gets for the fields it does not set (seeds and creates)."""

from __future__ import annotations

from typing import Any

from .metadata import ObjectDef


def default_values(obj: ObjectDef, now: str, user_id: str) -> dict[str, Any]:
    """Values a new record gets for fields it does not set: false booleans, system stamps,
    owner/creator, default picklist values."""
    out: dict[str, Any] = {}
    for fname, fdesc in obj.fields.items():
        if fdesc["type"] == "boolean":
            out[fname] = 0
        elif fname in {"CreatedDate", "LastModifiedDate", "SystemModstamp"}:
            out[fname] = now
        elif fname in {"CreatedById", "LastModifiedById", "OwnerId"}:
            out[fname] = user_id
        elif fdesc.get("defaultedOnCreate") and fdesc.get("picklistValues"):
            defaults = [p["value"] for p in fdesc["picklistValues"] if p["defaultValue"]]
            if defaults:
                out[fname] = defaults[0]
    return out
