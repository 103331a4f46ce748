"""An integration = one report → one Salesforce object, as Meltano plugins, a job and a schedule.

WalkMe's wizard saves an integration as "this report, this object, this key pair, these field
mappings, run daily". In the Meltano project that is:

- an inherited extractor `tap-walkme-insights--<name>` that reads the report,
- an inherited loader `target-salesforce-update--<name>` that holds the object, key pair and
  field mapping,
- a job `walkme-<name>-to-salesforce` running the pair, and
- a schedule `walkme-<name>-to-salesforce-daily` running the job at 09:00 UTC (`0 9 * * *`),
  after WalkMe's daily report refresh.

This module reads and writes those entries in a loaded `meltano.yml` (see `meltano_yml`); it does
no validation against Salesforce (the commands call the target's preflight for that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .errors import SetupError
from .meltano_yml import MeltanoYml, attach_trailer, detach_trailer

TAP = "tap-walkme-insights"
TARGET = "target-salesforce-update"
DAILY_AT_NINE_UTC = "0 9 * * *"
#: Loader settings `add`/`edit` set with flags (`--multiple-matches`, `--null-values`).
TARGET_POLICIES = ("multiple_matches", "null_values")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def tap_name(name: str) -> str:
    """The inherited extractor of an integration."""
    return f"{TAP}--{name}"


def target_name(name: str) -> str:
    """The inherited loader of an integration."""
    return f"{TARGET}--{name}"


def job_name(name: str) -> str:
    """The Meltano job of an integration."""
    return f"walkme-{name}-to-salesforce"


def schedule_name(name: str) -> str:
    """The Meltano schedule of an integration."""
    return f"{job_name(name)}-daily"


def check_name(name: str) -> str:
    """Return `name` if it is usable inside plugin, job and env var names, else explain."""
    if not _NAME.match(name):
        raise SetupError(
            f"Integration name {name!r} is not allowed: use lowercase letters, digits, '-' or "
            "'_', starting with a letter or digit (e.g. onboarding, nps-leads)."
        )
    return name


@dataclass
class Integration:
    """What one integration moves: a report's rows onto one Salesforce object."""

    name: str
    source: str
    key_column: str
    sobject: str
    match_property: str
    match_field: str
    field_mapping: dict[str, str] = field(default_factory=dict)
    report_name: str | None = None
    tap_extra: dict[str, Any] = field(default_factory=dict)
    target_extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stream(self) -> str:
        """The Singer stream name the tap emits for this report."""
        return self.report_name or self.name

    def tap_config(self) -> dict[str, Any]:
        """Config of the inherited extractor (one report in the tap's flat settings)."""
        return {
            "report_name": self.stream,
            "source": self.source,
            "key_column": self.key_column,
            **self.tap_extra,
        }

    def target_config(self) -> dict[str, Any]:
        """Config of the inherited loader: object, key pair and field mapping."""
        return {
            "sobject": self.sobject,
            "match_property": self.match_property,
            "match_field": self.match_field,
            "field_mapping": dict(self.field_mapping),
            **self.target_extra,
        }


def _set_config(plugin: CommentedMap, values: dict[str, Any]) -> None:
    """Update a plugin's `config:` in place (existing keys keep their position and comments)."""
    config = plugin.get("config")
    if config is None:
        config = plugin["config"] = CommentedMap()
    for key, value in values.items():
        if isinstance(value, dict):
            mapping = CommentedMap()
            mapping.update(value)
            # Keep what followed the old block (e.g. the blank line before `jobs:`).
            attach_trailer(mapping, detach_trailer(config.get(key)))
            value = mapping
        config[key] = value


def list_integrations(project: MeltanoYml) -> list[str]:
    """Names of the integrations in the project (loaders named `target-salesforce-update--*`)."""
    prefix = f"{TARGET}--"
    return [
        str(p["name"])[len(prefix) :]
        for p in project.iter_plugins("loaders")
        if str(p.get("name", "")).startswith(prefix)
    ]


def read_integration(project: MeltanoYml, name: str) -> Integration:
    """Load an existing integration's settings from meltano.yml."""
    tap = project.plugin("extractors", tap_name(name))
    target = project.plugin("loaders", target_name(name))
    if tap is None or target is None:
        known = ", ".join(list_integrations(project)) or "none"
        raise SetupError(
            f"No integration named {name!r} in {project.path} (integrations: {known}). "
            "Create it with `add`."
        )
    tap_config = dict(tap.get("config") or {})
    target_config = dict(target.get("config") or {})
    return Integration(
        name=name,
        source=str(tap_config.get("source", "")),
        key_column=str(tap_config.get("key_column", "")),
        report_name=tap_config.get("report_name"),
        sobject=str(target_config.get("sobject", "")),
        match_property=str(target_config.get("match_property", "")),
        match_field=str(target_config.get("match_field", "Email")),
        field_mapping={
            str(k): str(v) for k, v in (target_config.get("field_mapping") or {}).items()
        },
        target_extra={key: target_config[key] for key in TARGET_POLICIES if key in target_config},
    )


def write_integration(project: MeltanoYml, integration: Integration, *, create: bool) -> None:
    """Add (`create=True`) or update an integration's plugins, job and schedule.

    Why not Meltano's own `meltano add --inherit-from`, `meltano config <plugin> set`,
    `meltano job add` and `meltano schedule add`: an integration is written as one unit — two
    inherited plugins with their config, a job and a schedule — that must appear together or
    not at all. Through the CLI that is six or more Meltano processes (≈ 0.7 s each just to
    start on the build machine), a failure midway leaves half an integration in the file, and
    an edit would also need `config unset` for every mapping removed. Here the project file is
    rewritten once, atomically, keeping its comments (`meltano_yml.py`); the tests check that
    Meltano reads the result (`meltano schedule list`, `meltano run`).
    """
    name = check_name(integration.name)
    tap = project.plugin("extractors", tap_name(name))
    target = project.plugin("loaders", target_name(name))
    if create and (tap is not None or target is not None):
        raise SetupError(
            f"Integration {name!r} already exists in {project.path}; change it with `edit` "
            "or choose another name."
        )
    if not create and (tap is None or target is None):
        raise SetupError(f"No integration named {name!r}; create it with `add`.")
    if project.plugin("extractors", TAP) is None or project.plugin("loaders", TARGET) is None:
        raise SetupError(
            f"{project.path} does not define the base plugins {TAP!r} and {TARGET!r}; "
            "add them (see the project README) before adding integrations."
        )
    if tap is None:
        tap = CommentedMap(name=tap_name(name), inherit_from=TAP)
        project.append(project.plugins("extractors"), tap)
    if target is None:
        target = CommentedMap(name=target_name(name), inherit_from=TARGET)
        project.append(project.plugins("loaders"), target)
    _set_config(tap, integration.tap_config())
    # field_mapping is replaced as a whole, so an edit drops properties the user unmapped.
    _set_config(target, integration.target_config())

    jobs = project.seq(project.data, "jobs")
    assert jobs is not None
    if project.find_named(jobs, job_name(name)) is None:
        tasks = CommentedSeq([f"{tap_name(name)} {target_name(name)}"])
        project.append(jobs, CommentedMap(name=job_name(name), tasks=tasks))
    schedules = project.seq(project.data, "schedules")
    assert schedules is not None
    if project.find_named(schedules, schedule_name(name)) is None:
        schedule = CommentedMap(
            name=schedule_name(name), interval=DAILY_AT_NINE_UTC, job=job_name(name)
        )
        project.append(schedules, schedule)


def remove_integration(project: MeltanoYml, name: str) -> list[str]:
    """Delete an integration's plugins, job and schedule; return what was removed."""
    removed: list[str] = []
    plugins = project.data.get("plugins") or {}
    if project.remove_named(plugins.get("extractors"), tap_name(name)):
        removed.append(f"extractor {tap_name(name)}")
    if project.remove_named(plugins.get("loaders"), target_name(name)):
        removed.append(f"loader {target_name(name)}")
    schedules = project.data.get("schedules")
    for schedule in list(schedules or ()):
        if isinstance(schedule, dict) and schedule.get("job") == job_name(name):
            project.remove_named(schedules, str(schedule.get("name")))
            removed.append(f"schedule {schedule.get('name')}")
    if project.remove_named(project.data.get("jobs"), job_name(name)):
        removed.append(f"job {job_name(name)}")
    if not removed:
        known = ", ".join(list_integrations(project)) or "none"
        raise SetupError(f"No integration named {name!r} to remove (integrations: {known}).")
    return removed
