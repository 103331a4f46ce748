"""What decides how a value is written to a Salesforce field: the field types this target
knows, :class:`FieldSpec` (the parts of a field describe that matter), and
:class:`CoercionError`, raised with a reason a user can act on when a value does not fit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .exceptions import TargetSalesforceUpdateError

#: Salesforce field types whose values are plain text.
TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
        "id",
        "reference",
    },
)
#: Salesforce field types holding numbers stored with a fixed scale.
DECIMAL_TYPES = frozenset({"double", "currency", "percent"})
#: Every field type :func:`coerce` knows how to produce.
SUPPORTED_TYPES = (
    TEXT_TYPES | DECIMAL_TYPES | {"boolean", "int", "long", "date", "datetime", "time"}
)

#: Field types holding record Ids (the record's own ``Id`` and lookups such as ``OwnerId``).
ID_TYPES = frozenset({"id", "reference"})


class CoercionError(TargetSalesforceUpdateError, ValueError):
    """A source value cannot be written to a Salesforce field; the message says why."""


@dataclass(frozen=True)
class FieldSpec:
    """The parts of a Salesforce field describe that decide how values are written.

    Built with :meth:`from_describe` from one entry of ``describe()["fields"]``.
    """

    name: str
    type: str
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    updateable: bool = True
    filterable: bool = True
    nillable: bool = True
    calculated: bool = False
    unique: bool = False
    external_id: bool = False
    id_lookup: bool = False
    case_sensitive: bool = False
    restricted_picklist: bool = False
    picklist_values: tuple[str, ...] = field(default=())

    @classmethod
    def from_describe(cls, raw: Mapping[str, Any]) -> FieldSpec:
        """Build a spec from a field describe dict (missing keys take Salesforce defaults)."""
        picklist = tuple(
            str(entry["value"])
            for entry in raw.get("picklistValues") or ()
            if entry.get("active", True) and entry.get("value") is not None
        )
        return cls(
            name=str(raw["name"]),
            type=str(raw.get("type", "string")).lower(),
            label=str(raw.get("label") or raw["name"]),
            length=int(raw.get("length") or 0),
            precision=int(raw.get("precision") or 0),
            scale=int(raw.get("scale") or 0),
            digits=int(raw.get("digits") or 0),
            updateable=bool(raw.get("updateable", False)),
            filterable=bool(raw.get("filterable", True)),
            nillable=bool(raw.get("nillable", True)),
            calculated=bool(raw.get("calculated", False)),
            unique=bool(raw.get("unique", False)),
            external_id=bool(raw.get("externalId", False)),
            id_lookup=bool(raw.get("idLookup", False)),
            case_sensitive=bool(raw.get("caseSensitive", False)),
            restricted_picklist=bool(raw.get("restrictedPicklist", False)),
            picklist_values=picklist,
        )

    def __hash__(self) -> int:
        """Hash a few identifying fields: specs key the coercion cache, hashed on every call."""
        return hash((self.name, self.type, self.length, self.scale))

    @property
    def is_text(self) -> bool:
        """True for fields whose values are text (compared case-insensitively unless marked)."""
        return self.type in TEXT_TYPES


def is_empty(value: Any) -> bool:
    """True for values the null policy applies to: ``None`` and blank strings."""
    return value is None or (isinstance(value, str) and not value.strip())


def short(value: Any) -> str:
    """``repr(value)``, cut to 60 characters, for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
