"""The settings table (target_salesforce_update.settings) is the one place settings are declared.

The schema the target reports, the keys a ``streams.<name>`` override accepts, the ``Integration``
defaults, the defaults the client falls back to and the README's settings tables all follow it.
meltano.yml and ``--about`` are compared with it in tests/e2e/test_project_config.py.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from target_salesforce_update import integration
from target_salesforce_update.integration import (
    INTEGRATION_KEYS,
    Integration,
    IntegrationConfigError,
    resolve_integration,
)
from target_salesforce_update.salesforce import SalesforceClient
from target_salesforce_update.settings import SETTINGS, STREAM_KEYS, config_schema
from target_salesforce_update.target import TargetSalesforceUpdate

README = Path(__file__).resolve().parents[2] / "target-salesforce-update" / "README.md"
PACKAGE = README.parent / "target_salesforce_update"

_JSON_TYPES = {
    "string": "string",
    "options": "string",
    "integer": "integer",
    "decimal": "number",
    "boolean": "boolean",
    "object": "object",
}


def _type(prop: dict) -> str:
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    (kind,) = [t for t in types if t != "null"]
    return kind


def test_the_target_schema_is_the_table() -> None:
    properties = TargetSalesforceUpdate.config_jsonschema["properties"]
    # (singer-sdk appends its own settings to this schema once the CLI has run)
    assert [name for name in properties if name in SETTINGS] == list(SETTINGS)
    assert list(config_schema()["properties"]) == list(SETTINGS)
    for name, setting in SETTINGS.items():
        prop = properties[name]
        assert _type(prop) == _JSON_TYPES[setting.kind], name
        assert prop.get("default") == setting.schema_default, name
        assert prop.get("enum", []) == list(setting.choices), name
        assert bool(prop.get("secret")) == setting.secret, name
        assert prop["description"] == setting.description, name
        assert (setting.kind == "options") == bool(setting.choices), name


def test_stream_overrides_accept_exactly_the_stream_settings_without_defaults() -> None:
    streams = config_schema()["properties"]["streams"]
    override = streams["additionalProperties"]
    assert override["additionalProperties"] is False
    assert list(override["properties"]) == list(STREAM_KEYS) == list(INTEGRATION_KEYS)
    for name, prop in override["properties"].items():
        # a default here would be filled into every override and hide the top-level value
        assert "default" not in prop, name
        assert prop.get("enum", []) == list(SETTINGS[name].choices), name
    assert {s.scope for s in SETTINGS.values()} == {"connection", "run", "stream"}


def test_integration_defaults_are_the_tables() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(Integration)}
    for name, value in fields.items():
        if name in SETTINGS and SETTINGS[name].default is not None:
            assert value == SETTINGS[name].default, name
    resolved = resolve_integration(
        {"sobject": "Contact", "match_property": "email", "field_mapping": {"a": "B__c"}}, "s"
    )
    for name in (*STREAM_KEYS, "results_dir"):
        if hasattr(resolved, name) and SETTINGS[name].default is not None:
            assert getattr(resolved, name) == SETTINGS[name].default, name
    assert SETTINGS["multiple_matches"].choices is integration.MULTIPLE_MATCH_POLICIES
    with pytest.raises(IntegrationConfigError, match="use one of update_all, skip, fail"):
        resolve_integration(
            {
                "sobject": "Contact",
                "match_property": "email",
                "field_mapping": {"a": "B__c"},
                "multiple_matches": "first",
            },
            "s",
        )


def test_the_client_falls_back_to_the_tables_defaults() -> None:
    client = SalesforceClient(
        {"access_token": "t", "instance_url": "https://acme.my.salesforce.com"}
    )
    try:
        for name in (
            "api_version",
            "request_timeout",
            "max_retries",
            "max_concurrency",
            "max_daily_api_usage_percent",
            "retry_backoff_base",
            "bulk_poll_timeout",
        ):
            assert getattr(client, name) == SETTINGS[name].default, name
    finally:
        client.close()


def test_every_setting_the_code_reads_is_declared() -> None:
    """`config.get("x")`, `config["x"]` or `f(config, "x")` anywhere in the package names a
    declared setting (retry_backoff_base and bulk_poll_timeout were read but not declared)."""
    read: set[str] = set()
    pattern = re.compile(r"""\bconfig(?:\.get\(|\[|,)\s*["']([a-z_]+)["']""")
    for path in PACKAGE.rglob("*.py"):
        read |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert {"retry_backoff_base", "bulk_poll_timeout", "progress_interval"} <= read
    assert read - set(SETTINGS) == set()


def test_defaults_written_in_descriptions_are_the_defaults() -> None:
    """A description that says "(default X" or "Default: `X`" names the table's default."""
    said = re.compile(r"\(default:? `?([^\s`);,:]+)|[Dd]efault: `([^`]+)`")
    checked = 0
    for setting in SETTINGS.values():
        for text in (setting.description, setting.meltano_description):
            for match in said.finditer(text):
                value = match.group(1) or match.group(2)
                assert value == _shown(setting.default), (setting.name, text)
                checked += 1
    assert checked >= 8


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _readme_rows() -> dict[str, str]:
    """setting name → the README settings tables' default cell."""
    section = README.read_text(encoding="utf-8").split("## Settings", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) < 3:
            continue
        for name in re.findall(r"`([a-z_]+)`", cells[0]):
            rows[name] = cells[1]
    return rows


def test_the_readme_lists_every_setting_with_its_default() -> None:
    rows = _readme_rows()
    missing = [name for name in SETTINGS if name not in rows]
    assert missing == [], f"README settings tables lack {missing}"
    for name, setting in SETTINGS.items():
        if setting.default is not None:
            assert rows[name] == f"`{_shown(setting.default)}`", name
