"""What a write tells about each record: :class:`SaveResult` and its :class:`RecordError` s.

Shared by the Collections path (:mod:`.rest`) and the Bulk path (:mod:`.bulk2`), and by the
writer that decides which failed records are sent again (:func:`is_retryable`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "RETRYABLE_RECORD_CODES",
    "TRANSIENT_CODES",
    "RecordError",
    "SaveResult",
    "is_retryable",
    "record_errors",
]

#: ``errorCode`` s Salesforce documents as transient: a request answered with one is retried.
TRANSIENT_CODES = frozenset(
    {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"}
)
#: Per-record failures worth sending again (bounded by ``max_retries``, with backoff): row
#: locks and busy servers, which Salesforce documents as transient, and Bulk rows the job
#: never processed. An update sends the same values again, so a retry is harmless.
RETRYABLE_RECORD_CODES = frozenset({*TRANSIENT_CODES, "UNPROCESSED"})


@dataclass(frozen=True)
class RecordError:
    """One error Salesforce reported for one record (``statusCode`` in its JSON)."""

    status_code: str
    message: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class SaveResult:
    """The outcome of updating one record; ``id`` is the record's Id when known."""

    id: str | None
    success: bool
    errors: tuple[RecordError, ...] = ()


def is_retryable(errors: Sequence[RecordError]) -> bool:
    """Whether a record's errors are all transient (so the record should be sent again)."""
    return bool(errors) and all(e.status_code in RETRYABLE_RECORD_CODES for e in errors)


def record_errors(raw: Any) -> tuple[RecordError, ...]:
    """The ``errors`` list of one Collections result as :class:`RecordError` s."""
    errors = []
    for item in raw or ():
        if not isinstance(item, Mapping):
            errors.append(RecordError("UNKNOWN_ERROR", str(item)))
            continue
        errors.append(
            RecordError(
                status_code=str(item.get("statusCode") or item.get("errorCode") or "UNKNOWN"),
                message=str(item.get("message") or ""),
                fields=tuple(str(f) for f in item.get("fields") or ()),
            )
        )
    return tuple(errors)
