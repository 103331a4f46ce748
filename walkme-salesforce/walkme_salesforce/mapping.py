"""Choose an integration's key pair and field mappings, and validate them with preflight.

What WalkMe's wizard offers, on the command line:

- the key pair: the report's unique identifier column ↔ one Salesforce field that can match it
  (filterable, of a type the key fits);
- mappings: for each other report column, the Salesforce fields it fits — updateable for this
  user, of a type the column's values can be coerced to, and neither the match field nor a field
  already chosen for another column.

Scripts give everything with flags; people are prompted for what is missing (only when stdin is
a terminal). Whatever the route, the result is checked by the target's own preflight
(`preflight.check_integration`) — the same validation a run does — before anything is saved.

Types are not enough: a text column may hold values longer than a field allows, or words a
restricted picklist does not have. So a sample of the report's values (the first records the
tap reads, see `report_columns`) is put through the target's own coercion
(`coercion.coerce`, what a run does to every value) for every mapped field: a mapping whose
sample does not fit is refused with the column, the field, the problem and the fix, and the
choice lists offer only fields the sample fits. A value is never quoted when it is long.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from target_salesforce_update.coercion import SUPPORTED_TYPES, CoercionError, FieldSpec, coerce
from target_salesforce_update.integration import IntegrationConfigError, resolve_integration
from target_salesforce_update.preflight import (
    MATCHABLE_TYPES,
    PreflightError,
    check_integration,
    type_problem,
)

from .errors import SetupError
from .integrations import Integration
from .report_columns import ReportColumns

Prompt = Callable[[str], str]


def can_match(field: Mapping[str, Any]) -> bool:
    """Can this field be the Salesforce side of the key pair (filterable, matchable type)?"""
    return bool(field.get("filterable")) and field.get("type") in MATCHABLE_TYPES


def can_target(field: Mapping[str, Any]) -> bool:
    """Can a report column be written into this field by this user?"""
    return (
        bool(field.get("updateable"))
        and not field.get("calculated")
        and field.get("name") != "Id"
        and field.get("type") in SUPPORTED_TYPES
    )


def fits(prop_schema: Mapping[str, Any] | None, field: Mapping[str, Any]) -> bool:
    """Can the column's values be coerced to the field's type (preflight's own rule)?"""
    return type_problem(prop_schema, FieldSpec.from_describe(field)) is None


#: Sample values up to this length may appear in a problem message; longer ones never do.
_QUOTABLE_LENGTH = 40


def sample_problem(values: list[Any] | None, field: Mapping[str, Any]) -> str | None:
    """Why the first sample value that does not fit the field fails, or None when all fit.

    The message names the sample row (1 = the export's first record) and the problem as the
    target's coercion states it; a value longer than 40 characters is described by its length
    only, never quoted.
    """
    if not values:
        return None
    spec = FieldSpec.from_describe(field)
    for number, value in enumerate(values, 1):
        try:
            coerce(value, spec)
        except CoercionError as error:
            text = str(error)
            if len(str(value)) > _QUOTABLE_LENGTH:
                shown = repr(value)
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                text = text.replace(shown, f"a {len(str(value))}-character value")
                text = text.replace(repr(value), f"a {len(str(value))}-character value")
            return f"sample row {number}: {text}"
    return None


def _fix_for(problem: str, field: Mapping[str, Any]) -> str:
    kind = str(field.get("type") or "")
    if "longer than" in problem:
        return (
            "map the column to a longer text field (e.g. a Long Text Area), raise the field's "
            "length in Salesforce, or shorten the values in the WalkMe report"
        )
    if "picklist" in problem:
        return (
            f"add the value to {field.get('name')}'s picklist in Salesforce, or map the column "
            "to a text field"
        )
    return f"map the column to a field whose type fits its values (this one is {kind})"


def match_candidates(columns: ReportColumns, key: str, described: Mapping[str, Any]) -> list[str]:
    """Fields that can match the key column, unique / id-lookup fields first."""
    prop = columns.properties.get(key)
    found = [
        f for f in described.get("fields") or () if can_match(f) and (prop is None or fits(prop, f))
    ]
    found.sort(key=lambda f: (not (f.get("unique") or f.get("idLookup")), str(f.get("name"))))
    return [str(f["name"]) for f in found]


def target_candidates(
    columns: ReportColumns,
    prop: str,
    described: Mapping[str, Any],
    taken: set[str],
) -> list[str]:
    """Fields a column may be mapped to: updateable, type fits, not the key, not used yet."""
    schema = columns.properties.get(prop)
    taken_lower = {t.lower() for t in taken}
    sample = columns.samples.get(prop)
    return sorted(
        str(f["name"])
        for f in described.get("fields") or ()
        if can_target(f)
        and fits(schema, f)
        and str(f["name"]).lower() not in taken_lower
        and sample_problem(sample, f) is None
    )


def parse_maps(values: list[str], columns: ReportColumns) -> dict[str, str]:
    """`--map "Total sessions=WalkMe_Total_Sessions__c"` (column as header or property)."""
    mapping: dict[str, str] = {}
    for value in values:
        source, sep, target = value.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise SetupError(f"--map {value!r} is not COLUMN=SalesforceField.")
        mapping[columns.resolve(source.strip())] = target.strip()
    return mapping


def _ask(prompt: Prompt, question: str, options: list[str], default: str | None) -> str | None:
    """Ask until the answer is empty (→ default) or one of `options` (case-insensitive)."""
    by_lower = {o.lower(): o for o in options}
    for _ in range(5):
        answer = prompt(question).strip()
        if not answer:
            return default
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return options[int(answer) - 1]
        if answer.lower() in by_lower:
            return by_lower[answer.lower()]
        if answer == "-":
            return None
        print(f"  {answer!r} is not offered here; choose one of the listed fields.", flush=True)
    raise SetupError("Too many invalid answers; run the command again.")


def interactive() -> bool:
    """Prompt only when a person is at the terminal."""
    return sys.stdin.isatty()


def choose_match_field(
    columns: ReportColumns,
    key: str,
    described: Mapping[str, Any],
    given: str | None,
    prompt: Prompt | None,
    default: str = "Email",
) -> str:
    """The Salesforce field of the key pair: the flag, else a prompt, else the default."""
    if given:
        return given
    options = match_candidates(columns, key, described)
    if prompt is None:
        return default
    print(f"Salesforce fields of {described.get('name')} that can match {key}:", flush=True)
    for number, name in enumerate(options, 1):
        print(f"  {number:>3}. {name}", flush=True)
    chosen = _ask(prompt, f"Match field [{default}]: ", options, default)
    return chosen or default


def choose_mappings(
    columns: ReportColumns,
    key: str,
    match_field: str,
    described: Mapping[str, Any],
    current: Mapping[str, str],
    prompt: Prompt,
) -> dict[str, str]:
    """Prompt column by column; Enter keeps the current mapping, '-' leaves it unmapped."""
    mapping: dict[str, str] = {}
    taken = {match_field}
    for prop in columns.properties:
        if prop == key:
            continue
        options = target_candidates(columns, prop, described, taken)
        now = current.get(prop)
        if now and now not in options:
            options.append(now)
        if not options:
            continue
        header = columns.headers.get(prop, prop)
        print(f"\n{prop} ({header}; {columns.type_of(prop)}) fits: {', '.join(options)}")
        hint = f"Enter keeps {now}, '-' unmaps" if now else "Enter skips"
        chosen = _ask(prompt, f"Salesforce field for {prop} [{hint}]: ", options, now)
        if chosen:
            mapping[prop] = chosen
            taken.add(chosen)
    return mapping


def validate(
    integration: Integration,
    described: Mapping[str, Any] | None,
    columns: ReportColumns,
    base_target_config: Mapping[str, Any] | None = None,
) -> list[str]:
    """Run the target's own checks on the integration; return preflight's warnings."""
    config = {**(base_target_config or {}), **integration.target_config()}
    config.pop("streams", None)
    try:
        resolved = resolve_integration(config, integration.stream)
        plan = check_integration(resolved, described, columns.schema)
    except IntegrationConfigError as exc:
        raise SetupError(str(exc)) from None
    except PreflightError as exc:
        raise SetupError(
            f"The integration would fail the target's preflight on {exc.sobject}:\n  - "
            + "\n  - ".join(exc.problems)
        ) from None
    check_samples(integration, described, columns)
    warnings = list(plan.warnings)
    if columns.sample_error and integration.field_mapping:
        warnings.append(
            f"the report's values could not be sampled ({columns.sample_error}); they were "
            "not checked against the fields — run `walkme-salesforce preview` before the "
            "first run"
        )
    return warnings


def check_samples(
    integration: Integration, described: Mapping[str, Any] | None, columns: ReportColumns
) -> None:
    """Refuse mappings whose sampled values do not fit their field (one line per mapping)."""
    if not described or not columns.samples:
        return
    fields = {str(f.get("name", "")).lower(): f for f in described.get("fields") or ()}
    sobject = described.get("name") or integration.sobject
    problems = []
    for prop, target in integration.field_mapping.items():
        field = fields.get(target.lower())
        if field is None:
            continue
        problem = sample_problem(columns.samples.get(prop), field)
        if problem is None:
            continue
        header = columns.headers.get(prop, prop)
        taken = {integration.match_field, *integration.field_mapping.values()} - {target}
        fitting = target_candidates(columns, prop, described, taken)
        offer = (
            f" Fields this column's sample fits: {', '.join(fitting[:10])}."
            if fitting
            else " No updateable field of this object fits its sample."
        )
        problems.append(
            f"column {header!r} ({prop}) → {sobject}.{field.get('name')}: {problem}. Fix: "
            f"{_fix_for(problem, field)}.{offer}"
        )
    if problems:
        raise SetupError(
            "The report's values do not fit these mappings (checked on a sample of "
            f"{max(len(v) for v in columns.samples.values())} row(s); nothing was saved):\n  - "
            + "\n  - ".join(problems)
        )
