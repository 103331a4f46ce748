"""A report's layout: its columns, their property names and types, and the key column.

Pure functions shared by discovery (schema from the header and a sample of rows) and sync
(mapping the header of the export being read onto the catalog's properties).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tap_walkme_insights.errors import TapWalkMeInsightsError
from tap_walkme_insights.inference import infer_types, json_schema_for
from tap_walkme_insights.naming import property_names


class LayoutError(TapWalkMeInsightsError, ValueError):
    """The export's header does not fit the configuration (e.g. the key column is missing)."""


def _columns_list(headers: Sequence[str]) -> str:
    return ", ".join(repr(header) for header in headers)


def find_column(headers: Sequence[str], wanted: str, *, setting: str, label: str) -> int:
    """Index of the column ``wanted`` names: header as written, case-insensitively, or by
    its property name. Raises :class:`LayoutError` listing the columns that exist."""
    names = property_names(headers)
    for matches in (
        lambda h, _n: h == wanted,
        lambda h, _n: h.strip().casefold() == wanted.strip().casefold(),
        lambda _h, n: n == wanted.strip(),
    ):
        found = [i for i, (h, n) in enumerate(zip(headers, names, strict=True)) if matches(h, n)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            msg = f"{label}: {setting} {wanted!r} matches several columns; the header repeats it."
            raise LayoutError(msg)
    msg = (
        f"{label}: {setting} {wanted!r} is not a column of the export. "
        f"Columns: {_columns_list(headers)}."
    )
    raise LayoutError(msg)


@dataclass(frozen=True)
class ReportLayout:
    """Columns of one export and how they become Singer properties."""

    headers: list[str]
    properties: list[str]
    types: list[str]
    key_index: int

    @property
    def key_property(self) -> str:
        """The stream's primary key property."""
        return self.properties[self.key_index]

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the stream (original header as each property's title)."""
        properties = {
            name: json_schema_for(column_type, title=header)
            for header, name, column_type in zip(
                self.headers, self.properties, self.types, strict=True
            )
        }
        properties[self.key_property]["type"] = [
            t for t in properties[self.key_property]["type"] if t != "null"
        ] or ["string"]
        return {
            "type": "object",
            "properties": properties,
            "required": [self.key_property],
        }


def build_layout(
    headers: Sequence[str],
    sample_rows: Iterable[Sequence[str]],
    *,
    key_column: str,
    column_types: Mapping[str, str],
    label: str,
) -> ReportLayout:
    """Infer a layout from a header and a (bounded) sample of rows.

    The key column is a ``string`` unless ``column_types`` says otherwise, so identifiers are
    kept exactly as written. ``column_types`` keys may be headers or property names.
    """
    headers = list(headers)
    key_index = find_column(headers, key_column, setting="key_column", label=label)
    types = infer_types(sample_rows, len(headers))
    types[key_index] = "string"
    for column, column_type in column_types.items():
        index = find_column(headers, column, setting="column_types entry", label=label)
        types[index] = column_type
    return ReportLayout(
        headers=headers,
        properties=property_names(headers),
        types=types,
        key_index=key_index,
    )
