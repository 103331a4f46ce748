"""Preflight: check an integration against the org's describe before anything is written.

Pure: it takes the integration, the object's describe result (or ``None`` when the object is
missing) and the stream's JSON schema, and returns a :class:`Plan` or raises
:class:`PreflightError` listing every problem with its fix. This is the single place where
integration settings are validated against Salesforce, so setup commands can reuse it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .coercion import DECIMAL_TYPES, ID_TYPES, SUPPORTED_TYPES, TEXT_TYPES, FieldSpec
from .exceptions import TargetSalesforceUpdateError
from .integration import Integration

#: Field types a match field may have.
MATCHABLE_TYPES = (TEXT_TYPES - {"multipicklist", "encryptedstring"}) | {"int", "long", "double"}
_NUMBER_TYPES = DECIMAL_TYPES | {"int", "long"}
#: Field types that are compound as a whole (their parts are separate fields).
COMPOUND_TYPES = frozenset({"address", "location"})


class PreflightError(TargetSalesforceUpdateError):
    """The integration cannot run against this org; ``problems`` lists each reason and fix."""

    def __init__(self, stream: str, sobject: str, problems: list[str]) -> None:
        self.stream = stream
        self.sobject = sobject
        self.problems = list(problems)
        text = "; ".join(problems)
        super().__init__(f"Preflight failed for stream '{stream}' → {sobject}: {text}")


@dataclass(frozen=True)
class Plan:
    """A checked integration: canonical names and the field specs to coerce and compare with."""

    integration: Integration
    sobject: str
    match: FieldSpec
    fields: dict[str, FieldSpec]
    extra_filter: str = ""
    warnings: tuple[str, ...] = ()
    key_prefix: str = ""
    """The object's Id prefix (e.g. ``003``): keys matched on ``Id`` must start with it."""

    @functools.cached_property
    def specs_by_field(self) -> dict[str, FieldSpec]:
        """Mapped field specs keyed by Salesforce field name."""
        return {spec.name: spec for spec in self.fields.values()}

    @property
    def select_fields(self) -> list[str]:
        """Fields the match query reads, each once: Id, the match field and every mapped
        field (SOQL refuses a field selected twice: ``duplicate field selected: Id``)."""
        names = ["Id"]
        for name in (self.match.name, *(spec.name for spec in self.fields.values())):
            if name.lower() not in {seen.lower() for seen in names}:
                names.append(name)
        return names


def schema_kinds(prop: Mapping[str, Any] | None) -> tuple[set[str], str]:
    """JSON-schema types (without null) and string format of one property."""
    if not prop:
        return set(), ""
    kinds: set[str] = set()
    fmt = str(prop.get("format") or "")
    raw = prop.get("type")
    if isinstance(raw, str):
        kinds.add(raw)
    elif isinstance(raw, list):
        kinds.update(str(item) for item in raw)
    for variant in list(prop.get("anyOf") or ()) + list(prop.get("oneOf") or ()):
        sub_kinds, sub_fmt = schema_kinds(variant)
        kinds |= sub_kinds
        fmt = fmt or sub_fmt
    kinds.discard("null")
    return kinds, fmt


def type_problem(prop: Mapping[str, Any] | None, spec: FieldSpec) -> str | None:
    """Why values of this JSON-schema property can never fit ``spec`` (None when they can).

    Strings are always accepted (reports carry text; values are coerced row by row); other
    JSON types are checked against the Salesforce type.
    """
    kinds, fmt = schema_kinds(prop)
    if not kinds:
        return None
    sf_type = spec.type
    ok: set[str] = set()
    for kind in kinds:
        if kind == "string":
            if fmt in {"date-time", "date"} and sf_type not in {"date", "datetime"} | TEXT_TYPES:
                continue
            ok.add(kind)
        elif kind == "boolean":
            if sf_type == "boolean" or sf_type in TEXT_TYPES:
                ok.add(kind)
        elif kind == "integer":
            if sf_type in _NUMBER_TYPES | {"boolean"} or sf_type in TEXT_TYPES:
                ok.add(kind)
        elif kind == "number":
            if sf_type in _NUMBER_TYPES or sf_type in TEXT_TYPES:
                ok.add(kind)
        elif kind == "array" and sf_type in {"multipicklist", "string", "textarea"}:
            ok.add(kind)
    if ok:
        return None
    shown = "/".join(sorted(kinds)) + (f" ({fmt})" if fmt else "")
    return f"is {shown} in the stream schema, which {spec.name} ({sf_type}) cannot accept"


def _field_index(describe: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(f["name"]).lower(): f for f in describe.get("fields") or ()}


def compound_components(describe: Mapping[str, Any], name: str) -> list[str]:
    """The fields whose ``compoundFieldName`` is ``name`` (a compound field's parts, e.g.
    FirstName, LastName, Salutation for Contact.Name), in describe order."""
    return [
        str(f["name"])
        for f in describe.get("fields") or ()
        if str(f.get("compoundFieldName") or "").lower() == name.lower()
    ]


def _compound_problem(source: str, spec: FieldSpec, describe: Mapping[str, Any]) -> str | None:
    """The advice for a mapping onto a compound field (None when ``spec`` is not one)."""
    parts = compound_components(describe, spec.name)
    if not parts and spec.type not in COMPOUND_TYPES:
        return None
    index = _field_index(describe)
    editable = [p for p in parts if index[p.lower()].get("updateable", False)] or parts
    shown = ", ".join(editable) if editable else "its component fields"
    return (
        f"field_mapping {source} → {spec.name}: {spec.name} is a compound field (it combines "
        f"{', '.join(parts) or 'several fields'}); Salesforce never updates it as a whole and no "
        f"permission changes that. Fix: map the report column to one of its component fields "
        f"instead: {shown}"
    )


def _id_key_problem(
    match_property: str, prop: Mapping[str, Any] | None, spec: FieldSpec
) -> str | None:
    """Why a key property can never hold Ids for an Id or reference match field."""
    kinds, _ = schema_kinds(prop)
    if spec.type not in ID_TYPES or not kinds or "string" in kinds:
        return None
    return (
        f"match_field {spec.name} holds Salesforce Ids (15 or 18 letters and digits) but "
        f"match_property '{match_property}' is {'/'.join(sorted(kinds))} in the stream schema. "
        "Fix: match on a report column that holds the record Ids, or on another field"
    )


def check_integration(
    integration: Integration,
    describe: Mapping[str, Any] | None,
    schema: Mapping[str, Any] | None = None,
) -> Plan:
    """Validate ``integration`` against the object's describe and the stream schema.

    Args:
        integration: Resolved settings for the stream.
        describe: ``GET sobjects/{object}/describe`` result, or None when the object is
            unknown to this user.
        schema: The stream's JSON schema; when given, mapped properties must exist in it and
            have types the target fields accept.

    Raises:
        PreflightError: every problem found, each with how to fix it.
    """
    sobject = integration.sobject
    problems: list[str] = []
    warnings: list[str] = []
    if describe is None:
        raise PreflightError(
            integration.stream,
            sobject,
            [
                f"object '{sobject}' does not exist or this user cannot see it. Fix: check the "
                "API name in Setup > Object Manager (custom objects end in __c) and give the "
                "user Read access to it"
            ],
        )
    sobject = str(describe.get("name") or sobject)
    if not describe.get("queryable", True):
        problems.append(
            f"object {sobject} is not queryable for this user. Fix: grant Read on {sobject} "
            "in the user's profile or a permission set"
        )
    if not describe.get("updateable", False):
        problems.append(
            f"object {sobject} is not updateable for this user. Fix: grant Edit on {sobject} "
            "in the user's profile or a permission set"
        )
    index = _field_index(describe)
    properties: Mapping[str, Any] = (schema or {}).get("properties") or {}
    check_schema = schema is not None

    if check_schema and integration.match_property not in properties:
        problems.append(
            f"match_property '{integration.match_property}' is not a property of the stream "
            f"(properties: {', '.join(sorted(properties)[:20]) or 'none'}). Fix: set "
            "match_property to the report column that holds the key"
        )

    match_raw = index.get(integration.match_field.lower())
    match_spec: FieldSpec | None = None
    if match_raw is None:
        problems.append(
            f"match_field '{integration.match_field}' does not exist on {sobject} or is hidden "
            "from this user by field-level security. Fix: use the field's API name and grant "
            "Read access to it"
        )
    else:
        match_spec = FieldSpec.from_describe(match_raw)
        if not match_spec.filterable:
            problems.append(
                f"match_field {match_spec.name} cannot be used in a SOQL WHERE clause "
                "(not filterable). Fix: match on a filterable field such as Email or an "
                "External ID field"
            )
        elif match_spec.type not in MATCHABLE_TYPES:
            problems.append(
                f"match_field {match_spec.name} has type {match_spec.type}; matching supports "
                "text, e-mail, phone, picklist, Id and number fields"
            )
        if check_schema and integration.match_property in properties:
            reason = _id_key_problem(
                integration.match_property, properties[integration.match_property], match_spec
            )
            if reason:
                problems.append(reason)
        if not (match_spec.unique or match_spec.id_lookup or match_spec.external_id):
            warnings.append(
                f"match_field {match_spec.name} is neither unique nor an Id lookup field, so "
                f"one key may match several {sobject} records; multiple_matches="
                f"{integration.multiple_matches} decides what happens"
            )

    fields: dict[str, FieldSpec] = {}
    targets_seen: dict[str, str] = {}
    for source, target in integration.field_mapping.items():
        raw = index.get(target.lower())
        if raw is None:
            problems.append(
                f"field_mapping {source} → {target}: {target} does not exist on {sobject} or "
                "is hidden from this user by field-level security. Fix: use the field's API "
                "name (custom fields end in __c) and grant access to it"
            )
            continue
        spec = FieldSpec.from_describe(raw)
        if spec.name.lower() in targets_seen:
            problems.append(
                f"field {spec.name} is mapped twice (from {targets_seen[spec.name.lower()]} and "
                f"{source}). Fix: map each Salesforce field from one property only"
            )
            continue
        targets_seen[spec.name.lower()] = source
        if match_spec is not None and spec.name == match_spec.name:
            problems.append(
                f"field {spec.name} is the match field and also a mapping target (from "
                f"{source}). Fix: remove it from field_mapping; the target never changes the key"
            )
            continue
        compound = _compound_problem(source, spec, describe)
        if compound:
            problems.append(compound)
            continue
        if spec.name == "Id" or spec.calculated or not spec.updateable:
            reason = (
                "a formula or system field"
                if spec.calculated or spec.name == "Id"
                else ("not editable for this user")
            )
            problems.append(
                f"field_mapping {source} → {spec.name}: {spec.name} is {reason}. Fix: grant "
                f"Edit access to {spec.name} through field-level security, or map another field"
            )
            continue
        if spec.type not in SUPPORTED_TYPES:
            problems.append(
                f"field_mapping {source} → {spec.name}: type {spec.type} is not supported; map "
                "a text, number, boolean, date, date-time or picklist field"
            )
            continue
        if check_schema:
            if source not in properties:
                problems.append(
                    f"field_mapping {source} → {spec.name}: the stream has no property "
                    f"'{source}'. Fix: use one of its properties "
                    f"({', '.join(sorted(properties)[:20]) or 'none'})"
                )
                continue
            reason = type_problem(properties[source], spec)
            if reason:
                problems.append(f"field_mapping {source} → {spec.name}: {source} {reason}")
                continue
        fields[source] = spec

    if problems or match_spec is None:
        raise PreflightError(integration.stream, sobject, problems)
    extra = "IsConverted = false" if sobject == "Lead" and "isconverted" in index else ""
    return Plan(
        integration=integration,
        sobject=sobject,
        match=match_spec,
        fields=fields,
        extra_filter=extra,
        warnings=tuple(warnings),
        key_prefix=str(describe.get("keyPrefix") or "") if match_spec.type == "id" else "",
    )
