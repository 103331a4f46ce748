"""A Bulk API 2.0 ingest job: its limits and options, its state as the job info shows it,
and the CSV helpers for its upload and results (processing is in :mod:`bulk`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .bulk_job_info import JobInfo
from .store import now_iso
from .write_errors import RecordError

MAX_UPLOAD_BYTES = 150 * 1024 * 1024
"""Upload data per job, measured after base64 encoding ("Prepare CSV Files": files are
converted to base64 when received, which adds about 50 %; the limit is 150 MB after it)."""


def base64_size(raw_bytes: int) -> int:
    """Size of ``raw_bytes`` bytes once base64-encoded."""
    return 4 * ((raw_bytes + 2) // 3)


DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
OPERATIONS = {"insert", "update", "upsert", "delete", "hardDelete"}
TERMINAL = {"JobComplete", "Failed", "Aborted"}


@dataclass
class Job(JobInfo):
    id: str
    object: str
    operation: str
    created_by: str
    api_version: str
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    external_id: str | None = None
    state: str = "Open"
    created: str = field(default_factory=now_iso)
    modstamp: str = field(default_factory=now_iso)
    uploads: list[bytes] = field(default_factory=list)
    error_message: str | None = None
    processed: int = 0
    failed: int = 0
    header: list[str] = field(default_factory=list)
    successes: list[tuple[str, ...]] = field(default_factory=list)
    failures: list[tuple[str, ...]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)
    processing_ms: int = 0
    bad_rows: list[str] = field(default_factory=list)  # malformed CSV records (raw text)
    abort: threading.Event = field(default_factory=threading.Event)

    JOB_TYPE: ClassVar[str] = "V2Ingest"

    def external_id_field(self) -> str | None:
        return self.external_id

    def content_url(self) -> str:
        return f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches"

    def progress(self) -> dict[str, Any]:
        return {
            "retries": 0,
            "totalProcessingTime": self.processing_ms,
            "apiActiveProcessingTime": self.processing_ms,
            "apexProcessingTime": 0,
            "numberRecordsProcessed": self.processed,
            "numberRecordsFailed": self.failed,
        }


def record_endings(data: bytes) -> tuple[int, int]:
    """``(CRLF, LF)`` line endings that end records: those outside quoted fields (RFC 4180).

    A CR or LF inside quotes is part of the value, whatever the job's ``lineEnding``.
    """
    if b'"' not in data:
        return data.count(b"\r\n"), data.count(b"\n")
    crlf = lf = 0
    for index, part in enumerate(data.split(b'"')):
        if index % 2 == 0:  # outside quotes (a doubled quote is an empty quoted stretch)
            crlf += part.count(b"\r\n")
            lf += part.count(b"\n")
    return crlf, lf


def bulk_errors(errors: list[RecordError]) -> str:
    return " ".join(e.to_bulk() for e in errors)
