"""The two kinds of write failure, because Salesforce reports them differently:

* :class:`TypeMismatch` — a value that cannot become the field's type (``"abc"`` for a double).
  Over REST this fails the whole request with ``JSON_PARSER_ERROR`` (the JSON deserializer
  rejects it); in a Bulk job it fails that row.
* :class:`RecordError` — a per-record failure (``STRING_TOO_LONG``, ``INVALID_EMAIL_ADDRESS``,
  ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, ``FIELD_CUSTOM_VALIDATION_EXCEPTION`` …) that
  becomes one SaveResult ``errors`` entry (or a Bulk ``sf__Error`` cell).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordError:
    """One error of one record, as Salesforce reports it in a SaveResult."""

    status_code: str
    message: str
    fields: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "statusCode": self.status_code,
            "message": self.message,
            "fields": list(self.fields),
        }

    def to_bulk(self) -> str:
        """The ``sf__Error`` cell of Bulk API 2.0 failed results."""
        return f"{self.status_code}:{self.message}:{','.join(self.fields)} --"


@dataclass
class TypeMismatch(Exception):
    """A value that cannot be converted to the field's type."""

    field_name: str
    sf_type: str
    value: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def json_message(self) -> str:
        kind = {
            "double": "double",
            "currency": "double",
            "percent": "double",
            "int": "int",
            "boolean": "boolean",
            "date": "date",
            "datetime": "datetime",
        }.get(self.sf_type, "String")
        token = (
            "VALUE_STRING"
            if isinstance(self.value, str)
            else (
                "VALUE_NUMBER_INT"
                if isinstance(self.value, int)
                else "START_OBJECT"
                if isinstance(self.value, dict)
                else "START_ARRAY"
                if isinstance(self.value, list)
                else "VALUE_TRUE"
                if self.value is True
                else "VALUE_FALSE"
                if self.value is False
                else "VALUE_NUMBER_FLOAT"
            )
        )
        return (
            f"Cannot deserialize instance of {kind} from {token} value {self.value} or "
            f"request may be missing a required field"
        )

    def bulk_error(self, column_number: int) -> RecordError:
        xsd = {
            "double": "xsd:double",
            "currency": "xsd:double",
            "percent": "xsd:double",
            "int": "xsd:int",
            "boolean": "xsd:boolean",
            "date": "xsd:date",
            "datetime": "xsd:dateTime",
            "time": "xsd:time",
        }.get(self.sf_type, "xsd:string")
        return RecordError(
            "INVALID_FIELD",
            f"Failed to deserialize field at col {column_number}. Due to, '{self.value}' is not "
            f"a valid value for the type {xsd}",
            (self.field_name,),
        )
