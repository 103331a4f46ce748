"""What the write path takes and gives back: :class:`Pending` records (field values already in
stored form) and :class:`Outcome` (one SaveResult per record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .write_errors import RecordError

ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
)


@dataclass
class Pending:
    """One record to write: its Id (update/delete) and converted field values."""

    raw_id: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)


@dataclass
class Outcome:
    """The result of one record (a SaveResult)."""

    id: str | None
    errors: list[RecordError] = field(default_factory=list)
    created: bool = False

    @property
    def success(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        if self.success:
            return {"id": self.id, "success": True, "errors": []}
        out: dict[str, Any] = {"success": False, "errors": [e.to_json() for e in self.errors]}
        if self.id and self.errors == [ROLLED_BACK]:
            # REST "Update Records Using sObject Collections": a rolled-back record keeps its id.
            out = {"id": self.id, **out}
        return out
