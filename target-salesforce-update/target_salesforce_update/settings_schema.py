"""The JSON schemas generated from the settings table (:mod:`.settings`): the top-level config
schema (what ``--about`` prints) and the schema of one ``streams.<name>`` override.

This module imports only :mod:`.setting_spec` from the package; :mod:`.settings` calls it with
its table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from singer_sdk import typing as th

from .setting_spec import Setting

__all__ = ["config_schema", "stream_override_schema"]

_MAPPING = th.ObjectType(additional_properties=th.StringType)
_SIMPLE_TYPES: dict[str, type[th.JSONTypeHelper]] = {
    "string": th.StringType,
    "options": th.StringType,
    "integer": th.IntegerType,
    "decimal": th.NumberType,
    "boolean": th.BooleanType,
}


def _type(
    setting: Setting, table: Sequence[Setting]
) -> th.JSONTypeHelper | type[th.JSONTypeHelper]:
    if setting.name == "field_mapping":
        return _MAPPING
    if setting.name == "streams":
        return th.ObjectType(additional_properties=stream_override_schema(table))
    return _SIMPLE_TYPES[setting.kind]


def _property(setting: Setting, table: Sequence[Setting], *, override: bool = False) -> th.Property:
    return th.Property(
        setting.name,
        _type(setting, table),
        # an override has no defaults: the SDK fills schema defaults into the config, and a
        # filled-in default would hide the top-level value the override falls back to
        default=None if override else setting.schema_default,
        allowed_values=list(setting.choices) or None,
        secret=setting.secret or None,
        description=None if override else setting.description,
    )


def stream_override_schema(table: Sequence[Setting]) -> th.ObjectType:
    """The schema of one ``streams.<name>`` entry: ``table``'s ``stream`` settings, no
    defaults."""
    return th.ObjectType(
        *(_property(s, table, override=True) for s in table if s.scope == "stream"),
        additional_properties=False,
    )


def config_schema(table: Sequence[Setting]) -> dict[str, Any]:
    """The top-level config JSON schema of ``table`` (descriptions double as ``--about``
    docs)."""
    return th.PropertiesList(*(_property(s, table) for s in table)).to_dict()
