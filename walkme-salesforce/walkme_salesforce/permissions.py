"""Check that a connected user can do what the integrations need, naming what is missing.

The target reads object metadata (describe), queries records to match keys, and updates the
mapped fields. In Salesforce terms the user needs: "API Enabled"; Read and Edit on each target
object; Edit access (field-level security) on each mapped field. This module asks the org through
`SalesforceClient` and turns every gap into a sentence an admin can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from target_salesforce_update.exceptions import SalesforceError
from target_salesforce_update.salesforce import SalesforceClient


@dataclass
class AccessReport:
    """What the check found: who is connected, what works and what is missing."""

    username: str = ""
    organization_id: str = ""
    checked: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def check_access(
    client: SalesforceClient,
    objects: Iterable[str],
    mapped_fields: Mapping[str, Iterable[str]] | None = None,
) -> AccessReport:
    """Verify metadata read and record update rights on `objects` (and on mapped fields)."""
    report = AccessReport()
    info = client.userinfo()
    report.username = str(
        info.get("preferred_username") or info.get("username") or info.get("email") or ""
    )
    report.organization_id = str(info.get("organization_id") or "")
    try:
        listed = {o["name"].lower(): o for o in client.describe_global().get("sobjects", [])}
    except SalesforceError as exc:
        report.missing.append(
            f"reading object metadata failed ({exc.error_code or exc.status}): give the user "
            "the 'API Enabled' and 'View Setup and Configuration' permissions"
        )
        return report
    mapped_fields = mapped_fields or {}
    for sobject in dict.fromkeys(objects):
        if sobject.lower() not in listed:
            report.missing.append(
                f"object {sobject} is not visible to {report.username or 'this user'}: grant "
                f"Read and Edit on {sobject} (profile or permission set), or check its API name"
            )
            continue
        try:
            described = client.describe(sobject)
        except SalesforceError as exc:
            report.missing.append(f"describe {sobject} failed: {exc}")
            continue
        name = described.get("name", sobject)
        if not described.get("queryable", False):
            report.missing.append(f"Read on {name}: needed to find records by their key")
        if not described.get("updateable", False):
            report.missing.append(f"Edit on {name}: needed to update records")
        fields = {f["name"].lower(): f for f in described.get("fields", [])}
        for field_name in mapped_fields.get(sobject, ()):
            found = fields.get(field_name.lower())
            if found is None:
                report.missing.append(
                    f"field {name}.{field_name} does not exist or is hidden by field-level "
                    "security: grant Read/Edit access to it"
                )
            elif not found.get("updateable", False):
                report.missing.append(
                    f"Edit access to field {name}.{field_name} (field-level security)"
                )
        report.checked.append(name)
    return report
