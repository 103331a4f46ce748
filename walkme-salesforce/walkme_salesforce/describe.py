"""`describe`: what the wizard's drop-downs show — the org's objects, and one object's fields.

For each field: API name, label, type, whether this user may update it, whether it can be used in
a WHERE clause (filterable), and unique / id lookup / external id. Two verdicts follow from those:

- **match**: the field can be the Salesforce side of the key pair — it is filterable and of a
  type preflight accepts for matching (text-like, id, or number). Unique or id-lookup fields are the
  safest choice; others (like `Email`) may match several records.
- **target**: the field can receive a report column — updateable for this user, not a formula,
  and of a type the target can write.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from target_salesforce_update.salesforce import SalesforceClient

from .mapping import can_match, can_target


def _uniqueness(field: Mapping[str, Any]) -> str:
    marks = [
        label
        for key, label in (("unique", "unique"), ("idLookup", "idLookup"), ("externalId", "extId"))
        if field.get(key)
    ]
    return ",".join(marks) or "-"


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
        for row in rows
    )
    return "\n".join(lines)


def _yes(value: Any) -> str:
    return "yes" if value else "-"


def listed_objects(client: SalesforceClient, *, show_all: bool = False) -> list[dict[str, Any]]:
    """The org's objects sorted by name; by default only those the user can query and update."""
    objects = client.describe_global().get("sobjects", [])
    if not show_all:
        objects = [o for o in objects if o.get("queryable") and o.get("updateable")]
    return sorted(objects, key=lambda o: str(o.get("name")))


def describe_objects(client: SalesforceClient, *, show_all: bool, as_json: bool) -> str:
    """The org's objects; by default only those the user can query and update."""
    objects = listed_objects(client, show_all=show_all)
    if as_json:
        keys = ("name", "label", "custom", "queryable", "updateable")
        return json.dumps([{k: o.get(k) for k in keys} for o in objects], indent=2)
    rows = [
        [o.get("name", ""), o.get("label", ""), _yes(o.get("custom")), _yes(o.get("updateable"))]
        for o in objects
    ]
    footer = "" if show_all else "\n(objects you can query and update; --all lists every object)"
    return _table(rows, ["OBJECT", "LABEL", "CUSTOM", "UPDATEABLE"]) + footer


def field_rows(described: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One dict per field with the wizard's columns and the match/target verdicts."""
    rows = []
    for field in sorted(described.get("fields", []), key=lambda f: str(f.get("name"))):
        rows.append(
            {
                "name": field.get("name"),
                "label": field.get("label"),
                "type": field.get("type"),
                "length": field.get("length"),
                "updateable": bool(field.get("updateable")),
                "filterable": bool(field.get("filterable")),
                "unique": bool(field.get("unique")),
                "idLookup": bool(field.get("idLookup")),
                "externalId": bool(field.get("externalId")),
                "match": can_match(field),
                "target": can_target(field),
                "picklistValues": [
                    p.get("value") for p in field.get("picklistValues") or () if p.get("active")
                ],
            }
        )
    return rows


def describe_object(
    client: SalesforceClient, sobject: str, *, as_json: bool, only: str | None = None
) -> str:
    """One object's fields; `only` = "match" or "target" keeps just those candidates."""
    described = client.describe(sobject)
    rows = field_rows(described)
    if only:
        rows = [r for r in rows if r[only]]
    if as_json:
        return json.dumps(
            {"name": described.get("name"), "label": described.get("label"), "fields": rows},
            indent=2,
        )
    table_rows = []
    for r in rows:
        type_text = str(r["type"])
        if r["type"] in {"string", "textarea", "email", "phone", "url"} and r["length"]:
            type_text += f"({r['length']})"
        table_rows.append(
            [
                r["name"],
                type_text,
                _yes(r["updateable"]),
                _yes(r["filterable"]),
                _uniqueness(r),
                _yes(r["match"]),
                _yes(r["target"]),
                r["label"] or "",
            ]
        )
    header = (
        f"{described.get('name')} ({described.get('label')}): "
        f"updateable={_yes(described.get('updateable'))} "
        f"queryable={_yes(described.get('queryable'))}\n"
    )
    legend = (
        "\nMATCH = can be the key pair's Salesforce field (filterable; unique/idLookup is "
        "safest). TARGET = can receive a report column (updateable by you)."
    )
    headers = [
        "FIELD",
        "TYPE",
        "UPDATEABLE",
        "FILTERABLE",
        "UNIQUE",
        "MATCH",
        "TARGET",
        "LABEL",
    ]
    return header + _table(table_rows, headers) + legend
