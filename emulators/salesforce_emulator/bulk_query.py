"""Bulk API 2.0 query jobs (``/services/data/vNN.0/jobs/query``), the small subset clients use.

``POST`` creates a job from a SOQL statement (``operation`` query | queryAll); a background
thread runs it (UploadComplete → InProgress → JobComplete) and keeps the rows as a snapshot.
``GET …/{id}/results?maxRecords=&locator=`` returns CSV pages with ``Sforce-NumberOfRecords``
and ``Sforce-Locator`` (``null`` on the last page). As in Salesforce ("Get Results for a Query
Job"), a locator is an opaque string that names one set of results and stays valid while the
job exists (a set can be read again), and results must be read with the API version that
created the job (409 otherwise). ``PATCH {"state":"Aborted"}`` and ``DELETE`` are supported.
Jobs live in memory.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from . import soql
from .bulk_job import DELIMITERS
from .bulk_job_info import JobInfo
from .csv_out import quote_all
from .metadata import NUMBER_TYPES
from .store import now_iso
from .wire import ApiError, Request, Response, empty, json_response, not_found

if TYPE_CHECKING:
    from .org import Org
    from .users import User

_DEFAULT_PAGE = 50_000
_SLICE = 10_000  # rows of a results page formatted at a time


@dataclass
class QueryJob(JobInfo):
    id: str
    operation: str
    object: str
    query: str
    created_by: str
    api_version: str
    column_delimiter: str
    line_ending: str
    state: str = "UploadComplete"
    created: str = field(default_factory=now_iso)
    modstamp: str = field(default_factory=now_iso)
    fields: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    error_message: str | None = None
    processing_ms: int = 0

    JOB_TYPE: ClassVar[str] = "V2Query"

    def progress(self) -> dict[str, Any]:
        return {
            "numberRecordsProcessed": len(self.rows),
            "retries": 0,
            "totalProcessingTime": self.processing_ms,
        }


def _locator(offset: int) -> str:
    """An opaque locator for the set starting at ``offset`` (clients must not build one)."""
    return base64.b32encode(f"set-{offset}".encode()).decode().rstrip("=")


def _offset(locator: str) -> int:
    padded = locator + "=" * (-len(locator) % 8)
    try:
        text = base64.b32decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith("set-") or not text[4:].isdigit():
        raise ApiError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}")
    return int(text[4:])


def _cell(value: Any, sf_type: str) -> str:
    if value is None:
        return ""
    if sf_type == "boolean":
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text_cell(value: Any) -> str:
    """:func:`_cell` for a text column (stored as TEXT: a str or None)."""
    if value is None:
        return ""
    return value if type(value) is str else _cell(value, "string")


def _column_cells(values: Sequence[Any], sf_type: str) -> Sequence[str]:
    """The CSV cells of one column of a page (``_cell`` of each value).

    A text column is mostly ``str`` already. Any other column (numbers, booleans) repeats its
    values, so each distinct value is formatted once; values that compare equal (``1`` and
    ``1.0``, ``0.0`` and ``-0.0``) format alike, so keying by value is exact."""
    if sf_type not in NUMBER_TYPES and sf_type not in {"boolean", "int", "long"}:
        return [v if type(v) is str else _text_cell(v) for v in values]
    formatted = {v: _cell(v, sf_type) for v in set(values)}
    return list(map(formatted.__getitem__, values))


def _page_text(
    fields: list[str], page: Sequence[tuple[Any, ...]], types: list[str], delimiter: str, end: str
) -> str:
    """A results page as CSV: the header, then the rows, formatted column by column in
    slices of :data:`_SLICE` rows (the columns of a slice are all that is held besides the
    text)."""
    parts = [quote_all([fields], delimiter, end)]
    for start in range(0, len(page), _SLICE):
        columns = zip(*page[start : start + _SLICE], strict=True)
        cells = [_column_cells(col, t) for col, t in zip(columns, types, strict=True)]
        parts.append(quote_all(zip(*cells, strict=True), delimiter, end))
    return "".join(parts)


class BulkQueryJobs:
    """All query jobs of the org."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self._lock = threading.Lock()
        self.jobs: dict[str, QueryJob] = {}

    def clear(self) -> None:
        with self._lock:
            self.jobs.clear()

    def _get(self, job_id: str) -> QueryJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def create(self, req: Request, user: User, version: str) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        operation = body.get("operation", "query")
        if operation not in ("query", "queryAll"):
            raise ApiError(400, "INVALIDJOB", f"Invalid operation: {operation}")
        delimiter = body.get("columnDelimiter", "COMMA")
        line_ending = body.get("lineEnding", "LF")
        if delimiter not in DELIMITERS or line_ending not in ("LF", "CRLF"):
            raise ApiError(400, "INVALIDJOB", "Invalid columnDelimiter or lineEnding")
        text = str(body.get("query", ""))
        try:
            parsed = soql.parse(text)
            obj = self.org.object(parsed.object_name)
            if obj is None or not user.can(obj.name, "read"):
                raise soql.invalid_type_error(parsed)
            schema = soql.ObjectSchema(obj.name, obj.types())
            sql, params = soql.to_sql(parsed, schema, include_deleted=operation == "queryAll")
            fields = soql.canonical_fields(parsed, schema)
        except soql.SoqlError as exc:
            raise ApiError(400, exc.error_code, exc.message) from None
        if parsed.is_count:
            raise ApiError(400, "INVALIDJOB", "COUNT() is not supported in Bulk API 2.0 query")
        job = QueryJob(
            self.org.store.new_ids("750", 1)[0],
            operation,
            obj.name,
            text,
            user.id,
            version,
            delimiter,
            line_ending,
            fields=fields,
            types=[obj.fields[f]["type"] for f in fields],
        )
        with self._lock:
            self.jobs[job.id] = job
        self.org.stats.add(jobs=1)
        threading.Thread(target=self._run, args=(job, sql, params), daemon=True).start()
        return json_response(job.info(full=False))

    def _run(self, job: QueryJob, sql: str, params: list[Any]) -> None:
        started = time.monotonic()
        time.sleep(self.org.bulk.delay)
        if job.state == "Aborted":
            return
        job.state = "InProgress"
        if self.org.faults.bulk_query_fails():
            time.sleep(self.org.bulk.delay)
            job.error_message = "InternalServerError : the query job failed (injected fault)"
            job.state = "Failed"
            job.modstamp = now_iso()
            return
        with self.org.store.locked() as conn:
            cursor = conn.execute(sql, params)
            cols = [d[0] for d in cursor.description]
            positions = [cols.index(f) for f in job.fields]
            if positions == list(range(len(cols))):  # the usual case: rows as fetched
                job.rows = cursor.fetchall()
            else:
                job.rows = [tuple(row[p] for p in positions) for row in cursor.fetchall()]
        time.sleep(self.org.bulk.delay)
        job.processing_ms = int((time.monotonic() - started) * 1000)
        if job.state == "InProgress":
            job.state = "JobComplete"
            job.modstamp = now_iso()

    def info(self, job_id: str) -> Response:
        return json_response(self._get(job_id).info(full=True))

    def patch(self, req: Request, job_id: str) -> Response:
        job = self._get(job_id)
        body = req.json()
        if not isinstance(body, dict) or body.get("state") != "Aborted":
            raise ApiError(400, "INVALIDJOBSTATE", 'Only {"state": "Aborted"} is allowed')
        if job.state in ("JobComplete", "Failed", "Aborted"):
            raise ApiError(409, "INVALIDJOBSTATE", f"Job {job_id} is already {job.state}")
        job.state = "Aborted"
        return json_response(job.info(full=False))

    def delete(self, job_id: str) -> Response:
        job = self._get(job_id)
        if job.state not in ("JobComplete", "Failed", "Aborted"):
            raise ApiError(409, "INVALIDJOBSTATE", f"Job {job_id} is {job.state}")
        with self._lock:
            self.jobs.pop(job_id, None)
        return empty(204)

    def results(self, req: Request, job_id: str, version: str) -> Response:
        job = self._get(job_id)
        if version != job.api_version:
            raise ApiError(
                409,
                "INVALIDJOBSTATE",
                f"Job {job_id} was created with API version {job.api_version}: read its "
                f"results with the same version (not {version})",
            )
        if job.state != "JobComplete":
            raise ApiError(
                400,
                "INVALIDJOBSTATE",
                f"Results are available once the job is JobComplete (it is {job.state})",
            )
        locator = req.arg("locator") or ""
        start = _offset(locator) if locator else 0
        try:
            size = int(req.arg("maxRecords") or _DEFAULT_PAGE)
        except ValueError:
            size = 0
        if size <= 0:
            raise ApiError(400, "INVALIDPARAMETER", "maxRecords must be a positive integer")
        page = job.rows[start : start + size]
        text = _page_text(
            job.fields,
            page,
            job.types,
            DELIMITERS[job.column_delimiter],
            "\r\n" if job.line_ending == "CRLF" else "\n",
        )
        nxt = start + size
        headers = {
            "Sforce-NumberOfRecords": str(len(page)),
            "Sforce-Locator": _locator(nxt) if nxt < len(job.rows) else "null",
        }
        return Response(200, text.encode("utf-8"), content_type="text/csv", headers=headers)
