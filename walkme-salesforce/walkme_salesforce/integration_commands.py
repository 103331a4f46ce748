"""`add`, `edit`, `remove` and `list`: manage integrations in meltano.yml, validated first.

`add`/`edit` read the report's columns with the tap's discovery, describe the Salesforce object
through `SalesforceClient`, take the key pair and mappings from flags or prompts, and validate
the result with the target's preflight before writing the inherited plugins, the job and its
09:00 UTC schedule (see `integrations`). `remove` deletes all of those.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from target_salesforce_update.exceptions import NotFoundError, SalesforceError
from target_salesforce_update.salesforce import SalesforceClient

from . import report_columns
from .errors import SetupError
from .integration_state import clear_saved_state, describe_cleared
from .integrations import (
    TAP,
    Integration,
    check_name,
    job_name,
    list_integrations,
    read_integration,
    remove_integration,
    schedule_name,
    tap_name,
    target_name,
    write_integration,
)
from .mapping import choose_mappings, choose_match_field, interactive, parse_maps, validate
from .meltano_cli import plugin_config
from .project import Project
from .report_columns import ReportColumns
from .report_source import resolve_source, shown_source, store_source


@dataclass
class IntegrationOptions:
    """Flags of `add` / `edit` (None = not given)."""

    name: str
    report: str | None = None
    key: str | None = None
    sobject: str | None = None
    match_field: str | None = None
    maps: list[str] = field(default_factory=list)
    unmap: list[str] = field(default_factory=list)
    replace_mappings: bool = False
    columns: str | None = None
    report_name: str | None = None
    multiple_matches: str | None = None
    null_values: str | None = None


#: What `add` writes when not told otherwise: updating every record a key matches silently is
#: unsafe (the target's own default is update_all), so a new integration skips such keys.
ADD_DEFAULTS = {"multiple_matches": "skip", "null_values": "skip"}


def _policies(options: IntegrationOptions, *, create: bool) -> dict[str, str]:
    given = {"multiple_matches": options.multiple_matches, "null_values": options.null_values}
    chosen = {key: value for key, value in given.items() if value}
    return {**ADD_DEFAULTS, **chosen} if create else chosen


def _prompt(question: str) -> str:
    print(question, end="", flush=True)
    line = sys.stdin.readline()
    if not line:
        raise SetupError("Input ended before all answers were given.")
    return line.rstrip("\n")


def _need(value: str | None, flag: str, question: str, default: str | None = None) -> str:
    if value:
        return value
    if interactive():
        suffix = f" [{default}]" if default else ""
        answer = _prompt(f"{question}{suffix}: ").strip() or (default or "")
        if answer:
            return answer
    if default:
        return default
    raise SetupError(f"Missing {flag}: {question.lower()}.")


def read_columns(
    project: Project,
    options: IntegrationOptions,
    *,
    stream: str,
    source: str,
    key: str,
    tap_config: Mapping[str, Any] | None,
) -> ReportColumns:
    """The report's columns: --columns, else the tap's discovery."""
    if options.columns:
        return report_columns.from_columns_flag(stream, options.columns, key)
    base = (
        tap_config
        if tap_config is not None
        else plugin_config(project.root, project.environment, TAP)
    )
    return report_columns.discover(project.root, base, stream=stream, source=source, key_column=key)


def describe_object(client: SalesforceClient, sobject: str) -> dict[str, Any] | None:
    """The object's describe, or None when it does not exist for this user."""
    try:
        return client.describe(sobject)
    except NotFoundError:
        return None


def _print_columns(columns: ReportColumns, key: str) -> None:
    print(f"Report {columns.stream!r} columns (property ← header : type):")
    for prop in columns.properties:
        mark = "  (key)" if prop == key else ""
        print(f"  {prop} ← {columns.headers.get(prop, prop)} : {columns.type_of(prop)}{mark}")


def _definition(project: Project, item: Integration) -> tuple[Any, ...]:
    """What decides which values a run writes (a change → the export is re-read)."""
    return (
        resolve_source(item.source, project.dotenv_path),
        item.key_column,
        item.stream,
        item.sobject,
        item.match_property,
        item.match_field,
        dict(item.field_mapping),
        dict(item.target_extra),
    )


def save_integration(
    project: Project,
    options: IntegrationOptions,
    connection: Mapping[str, Any],
    tap_config: Mapping[str, Any] | None,
    *,
    create: bool,
) -> int:
    """Build, validate and write an integration (shared by `add` and `edit`)."""
    name = check_name(options.name)
    document = project.load()
    existing: Integration | None = None
    if create:
        if name in list_integrations(document):
            raise SetupError(f"Integration {name!r} already exists; change it with `edit`.")
    else:
        existing = read_integration(document, name)

    stream = options.report_name or (existing.stream if existing else name)
    source = options.report or (existing.source if existing else None)
    source = _need(source, "--report", "Report export to read (path, URL or s3://… of the CSV)")
    key = options.key or (existing.key_column if existing else None)
    key = _need(key, "--key", "Report column holding the unique identifier (e.g. End User ID)")
    columns = read_columns(
        project,
        options,
        stream=stream,
        source=resolve_source(source, project.dotenv_path),
        key=key,
        tap_config=tap_config,
    )
    key_property = columns.resolve(key)
    sobject = options.sobject or (existing.sobject if existing else None)
    sobject = _need(sobject, "--object", "Salesforce object to update", "Contact")

    prompt = _prompt if interactive() else None
    try:
        with SalesforceClient(connection) as client:
            described = describe_object(client, sobject)
    except SalesforceError as exc:
        raise SetupError(f"Could not describe {sobject}: {exc}") from None
    if described is None:
        raise SetupError(
            f"Object {sobject!r} does not exist or this user cannot see it; list the objects "
            "with `describe` and check the API name (custom objects end in __c)."
        )
    sobject = str(described.get("name") or sobject)
    if prompt:
        _print_columns(columns, key_property)
    current_match = existing.match_field if existing and not options.match_field else None
    match_field = choose_match_field(
        columns,
        key_property,
        described,
        options.match_field or current_match,
        prompt if not current_match else None,
    )

    mapping: dict[str, str] = {}
    if existing and not options.replace_mappings:
        mapping.update(existing.field_mapping)
    for column in options.unmap:
        mapping.pop(columns.resolve(column) if column not in mapping else column, None)
    mapping.update(parse_maps(options.maps, columns))
    if prompt and not (options.maps or options.unmap):
        mapping = choose_mappings(columns, key_property, match_field, described, mapping, prompt)
    if not mapping:
        raise SetupError(
            "No field mappings: give at least one --map COLUMN=SalesforceField (see "
            f"`describe {sobject}` for the fields that can be targets)."
        )

    integration = Integration(
        name=name,
        source=source,
        key_column=key,
        report_name=stream if (options.report_name or existing) else None,
        sobject=sobject,
        match_property=key_property,
        match_field=match_field,
        field_mapping=mapping,
        target_extra={
            **(existing.target_extra if existing else {}),
            **_policies(options, create=create),
        },
    )
    notes: list[str] = []
    warnings = store_integration(
        project, integration, described, columns, create=create, notes=notes
    )
    verb = "Added" if create else "Updated"
    print(f"{verb} integration {name!r}: report {stream!r} → {sobject}")
    print(f"  key pair: {key_property} ↔ {match_field}")
    for prop, target in mapping.items():
        print(f"  {prop} → {target}")
    for warning in warnings:
        print(f"  warning: {warning}")
    print(f"  plugins: {tap_name(name)}, {target_name(name)}")
    print(f"  job: {job_name(name)}; schedule: {schedule_name(name)} at 0 9 * * * (UTC)")
    for key_name, value in integration.target_extra.items():
        print(f"  {key_name}: {value}")
    for note in notes:
        print(f"  {note}")
    print(next_steps(name, project.environment, create=create))
    return 0


def store_integration(
    project: Project,
    integration: Integration,
    described: Mapping[str, Any],
    columns: ReportColumns,
    *,
    create: bool,
    notes: list[str] | None = None,
) -> list[str]:
    """Validate with the target's preflight, then write to meltano.yml; return the warnings.

    The one way an integration is saved: `add`/`edit` and the web console's wizard call it.
    A signed report link is kept in `.env` (:mod:`.report_source`). When what the run writes
    changed (always for a new integration), the integration's saved Meltano state is cleared so
    the next run re-reads the newest export (:mod:`.integration_state`). What was done is
    appended to `notes` (lines for people).
    """
    notes = notes if notes is not None else []
    warnings = validate(integration, described, columns, None)
    document = project.load()
    existing = None if create else read_integration(document, integration.name)
    changed = existing is None or _definition(project, existing) != _definition(
        project, integration
    )
    stored = store_source(integration.name, integration.source, project.dotenv_path)
    if stored != integration.source:
        integration.source = stored
        notes.append(f"source: a signed link, kept in .env and referenced as {stored}")
    write_integration(document, integration, create=create)
    document.save()
    if changed:
        notes.append(
            describe_cleared(integration.name, clear_saved_state(project.root, integration.name))
        )
    return warnings


def next_steps(name: str, environment: str | None, *, create: bool) -> str:
    """The "Next:" hint after add/edit, in the environment the command worked on."""
    env = f" -e {environment}" if environment else ""
    run = f"meltano{f' --environment {environment}' if environment else ''} run {job_name(name)}"
    if create:
        return f"Next: preview it: walkme-salesforce preview {name}{env}; run it now: {run}"
    return (
        f"Next: preview the change: walkme-salesforce preview {name}{env}; run it now: {run} "
        "(the next run re-reads the export)"
    )


def remove(project: Project, name: str, *, assume_yes: bool) -> int:
    """Delete an integration's plugins, job and schedule from meltano.yml."""
    document = project.load()
    if name not in list_integrations(document):
        known = ", ".join(list_integrations(document)) or "none"
        raise SetupError(f"No integration named {name!r} (integrations: {known}).")
    if interactive() and not assume_yes:
        answer = _prompt(f"Remove integration {name!r}, its job and its schedule? [y/N]: ")
        if answer.strip().lower() not in {"y", "yes"}:
            print("Nothing removed.")
            return 1
    removed = remove_integration(document, name)
    document.save()
    print(f"Removed integration {name!r}: " + "; ".join(removed) + ".")
    print("  " + describe_cleared(name, clear_saved_state(project.root, name)))
    return 0


def list_all(project: Project) -> int:
    """Print every integration with its report, object, key pair and mapping count."""
    document = project.load()
    names = list_integrations(document)
    if not names:
        print("No integrations yet; add one with `add`.")
        return 0
    for name in names:
        try:
            item = read_integration(document, name)
        except SetupError as exc:
            print(f"{name}: {exc}")
            continue
        print(
            f"{name}: report {item.stream!r} ({shown_source(item.source)}) → {item.sobject}; key "
            f"{item.match_property} ↔ {item.match_field}; {len(item.field_mapping)} mapped "
            f"field(s); job {job_name(name)}"
        )
    return 0
