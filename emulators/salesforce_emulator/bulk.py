"""Bulk API 2.0 ingest jobs (``/services/data/vNN.0/jobs/ingest``).

A job is created ``Open``, receives CSV through ``PUT …/batches`` (header row of field API
names; RFC 4180 quoting; the job's ``columnDelimiter`` and ``lineEnding``), is closed with
``PATCH {"state": "UploadComplete"}`` and then processed by a background thread:
``UploadComplete`` → ``InProgress`` → ``JobComplete`` (or ``Failed`` for a whole-job problem such
as an unknown column or a line-ending mismatch, with ``errorMessage`` as Salesforce words it).
Cells: empty leaves the field alone, ``#N/A`` sets it to null. Results are CSV:
``successfulResults/`` (``sf__Id``, ``sf__Created``, original columns), ``failedResults/``
(``sf__Id``, ``sf__Error`` as ``CODE:message:fields --``, original columns) and
``unprocessedrecords/`` (original columns). Jobs live in memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import bulk_csv, bulk_upsert, ids, writes
from .bulk_job import (
    DELIMITERS,
    MAX_UPLOAD_BYTES,
    OPERATIONS,
    TERMINAL,
    Job,
    base64_size,
    bulk_errors,
    record_endings,
)
from .csv_out import quote_all
from .store import now_iso
from .value_conversion import converter
from .wire import ApiError, Request, Response, empty, json_response, not_found
from .write_errors import RecordError, TypeMismatch

if TYPE_CHECKING:
    from .org import Org
    from .users import User

_CHUNK = 10_000


class BulkJobs:
    """All ingest jobs of the org."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self._lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.delay = 0.1  # seconds spent in UploadComplete and InProgress, so polling sees them
        # The job timeline (configurable so clients' polling and timeouts are exercised):
        # extra seconds queued in UploadComplete, and records processed per second (0: as fast
        # as the emulator goes).
        self.queue_delay = 0.0
        self.records_per_second = 0.0
        self.batches_used = 0

    def clear(self) -> None:
        with self._lock:
            for job in self.jobs.values():
                job.abort.set()
            self.jobs.clear()

    def get(self, job_id: str, user: User) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    # -- endpoints -----------------------------------------------------------------------
    def create(self, req: Request, user: User, version: str) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        operation = body.get("operation")
        if operation not in OPERATIONS:
            raise ApiError(400, "INVALIDJOB", f"Invalid operation: {operation}")
        obj = self.org.object(str(body.get("object", "")))
        if obj is None or not user.can(obj.name, "read"):
            raise ApiError(400, "INVALIDJOB", f"Unable to find object: {body.get('object')}")
        content_type = body.get("contentType", "CSV")
        if content_type != "CSV":
            raise ApiError(400, "INVALIDJOB", f"Invalid content type: {content_type}")
        delimiter = body.get("columnDelimiter", "COMMA")
        if delimiter not in DELIMITERS:
            raise ApiError(400, "INVALIDJOB", f"Invalid column delimiter: {delimiter}")
        line_ending = body.get("lineEnding", "LF")
        if line_ending not in ("LF", "CRLF"):
            raise ApiError(400, "INVALIDJOB", f"Invalid line ending: {line_ending}")
        external_id = body.get("externalIdFieldName")
        if operation == "upsert":
            fdesc = obj.field(external_id or "")
            if fdesc is None or not (
                fdesc.get("externalId") or fdesc["name"] == "Id" or fdesc.get("idLookup")
            ):
                raise ApiError(400, "INVALIDJOB", f"Invalid external ID field: {external_id}")
            external_id = fdesc["name"]
        job_id = self.org.store.new_ids("750", 1)[0]
        job = Job(
            job_id, obj.name, operation, user.id, version, delimiter, line_ending, external_id
        )
        with self._lock:
            self.jobs[job_id] = job
        self.org.stats.add(jobs=1)
        return json_response(job.info(full=False))

    def upload(self, req: Request, user: User, job_id: str) -> Response:
        job = self.get(job_id, user)
        if job.state != "Open":
            raise ApiError(
                409,
                "INVALIDJOBSTATE",
                f"Job {job_id} is not in Open state; data can only be uploaded to an Open job",
            )
        total = sum(len(u) for u in job.uploads) + len(req.body)
        if base64_size(total) > MAX_UPLOAD_BYTES:
            raise ApiError(
                413,
                "EXCEEDED_QUOTA",
                "Upload size exceeds the maximum of 150 MB per job after base64 encoding "
                f"({base64_size(total)} bytes); split the data into several jobs of at most "
                "100 MB of CSV each",
            )
        if not req.body:
            raise ApiError(400, "INVALIDJOB", "Upload data is empty")
        job.uploads.append(req.body)
        job.modstamp = now_iso()
        self.batches_used += 1
        return empty(201)

    def patch(self, req: Request, user: User, job_id: str) -> Response:
        job = self.get(job_id, user)
        body = req.json()
        state = body.get("state") if isinstance(body, dict) else None
        if state == "UploadComplete":
            if job.state != "Open":
                raise ApiError(
                    409, "INVALIDJOBSTATE", f"Job {job_id} is not Open; it is {job.state}"
                )
            job.state = "UploadComplete"
            job.modstamp = now_iso()
            # The answer shows the job as closed, even if processing (no delay) ends first.
            answer = json_response(job.info(full=False))
            threading.Thread(
                target=self._run, args=(job,), daemon=True, name=f"bulk-{job_id}"
            ).start()
            return answer
        elif state == "Aborted":
            if job.state in TERMINAL:
                raise ApiError(409, "INVALIDJOBSTATE", f"Job {job_id} is already {job.state}")
            job.abort.set()
            job.state = "Aborted"
            job.modstamp = now_iso()
        else:
            raise ApiError(
                400, "INVALIDJOBSTATE", f"Invalid state: {state}; use UploadComplete or Aborted"
            )
        return json_response(job.info(full=False))

    def info(self, user: User, job_id: str) -> Response:
        return json_response(self.get(job_id, user).info(full=True))

    def list(self, user: User) -> Response:
        with self._lock:
            records = [j.info(full=False) for j in self.jobs.values()]
        return json_response({"done": True, "records": records, "nextRecordsUrl": None})

    def delete(self, user: User, job_id: str) -> Response:
        job = self.get(job_id, user)
        if job.state not in TERMINAL | {"UploadComplete"}:
            raise ApiError(
                409, "INVALIDJOBSTATE", f"Job {job_id} cannot be deleted while it is {job.state}"
            )
        job.abort.set()
        with self._lock:
            self.jobs.pop(job_id, None)
        return empty(204)

    def results(self, user: User, job_id: str, kind: str) -> Response:
        job = self.get(job_id, user)
        rows: list[Sequence[str]]
        if kind == "successfulResults":
            rows = [["sf__Id", "sf__Created", *job.header], *job.successes]
        elif kind == "failedResults":
            rows = [["sf__Id", "sf__Error", *job.header], *job.failures]
        else:
            rows = [job.header, *job.unprocessed] if job.header else job.unprocessed
        text = quote_all(rows, ",", "\n")
        return Response(200, text.encode("utf-8"), content_type="text/csv")

    # -- processing ----------------------------------------------------------------------
    def _fail(self, job: Job, message: str) -> None:
        job.error_message = message
        job.state = "Failed"
        job.modstamp = now_iso()

    def _run(self, job: Job) -> None:
        started = time.monotonic()
        if job.abort.wait(self.delay + self.queue_delay):
            return
        job.state = "InProgress"
        job.modstamp = now_iso()
        processing = time.monotonic()
        try:
            self._process(job)
        except Exception as exc:  # a bug must not leave the job InProgress forever
            self._fail(job, f"InternalServerError : {type(exc).__name__}")
        if self.records_per_second > 0 and job.state == "InProgress":
            # the last records' share of the paced timeline
            due = processing + job.processed / self.records_per_second
            job.abort.wait(max(0.0, due - time.monotonic()))
        job.processing_ms = int((time.monotonic() - started) * 1000)
        time.sleep(self.delay)
        if job.state == "InProgress":
            job.state = "JobComplete"
            job.modstamp = now_iso()

    def _rows(self, job: Job) -> tuple[list[str], list[list[str]]] | None:
        header: list[str] = []
        rows: list[list[str]] = []
        delimiter = DELIMITERS[job.column_delimiter]
        for data in job.uploads:
            crlf, lf = record_endings(data)
            if (job.line_ending == "LF" and crlf) or (job.line_ending == "CRLF" and lf != crlf):
                self._fail(
                    job,
                    "InvalidBatch : LineEnding is invalid on user data. Current "
                    f"LineEnding setting is {job.line_ending}",
                )
                return None
            text = data.decode("utf-8-sig", errors="replace")
            parsed = bulk_csv.split_records(text, delimiter, job.line_ending)
            if isinstance(parsed, str):
                self._fail(job, parsed)
                return None
            this_header, body = parsed.header, parsed.rows
            job.bad_rows.extend(parsed.bad)
            if header and this_header != header:
                self._fail(job, "InvalidBatch : All uploads of a job must have the same header")
                return None
            header = this_header
            rows.extend(body)
        if not header:
            self._fail(job, "InvalidBatch : No data uploaded for the job")
            return None
        return header, rows

    def _process(self, job: Job) -> None:
        parsed = self._rows(job)
        if parsed is None:
            return
        header, rows = parsed
        job.header = header
        obj = self.org.object(job.object)
        user = self.org.users.get(job.created_by)
        if obj is None or user is None:
            self._fail(job, "InvalidJob : the job's object or user no longer exists")
            return
        columns: list[dict[str, Any]] = []
        for name in header:
            fdesc = obj.field(name.strip())
            if fdesc is None:
                self._fail(job, f"InvalidBatch : Field name not found : {name}")
                job.unprocessed = rows
                return
            columns.append(fdesc)
        if job.operation in {"delete", "hardDelete"} and [c["name"] for c in columns] != ["Id"]:
            self._fail(job, "InvalidBatch : The 'delete' batch must contain only ids")
            job.unprocessed = rows
            return
        for raw in job.bad_rows:  # each malformed record fails alone ("Valid CSV Record Rows")
            job.failures.append(("", bulk_csv.ROW_ERROR, raw, *[""] * (len(header) - 1)))
            job.failed += 1
            job.processed += 1
        id_col = next((i for i, c in enumerate(columns) if c["name"] == "Id"), None)
        # (position, field name, converter) of every value column, worked out once per job.
        cells = [
            (pos, fdesc["name"], converter(fdesc))
            for pos, fdesc in enumerate(columns)
            if pos != id_col
        ]
        width = len(columns)
        header_width = len(header)
        rate = self.records_per_second
        # paced: a chunk every tenth of a second, so polling sees the count grow
        step = max(1, min(_CHUNK, int(rate / 10))) if rate > 0 else _CHUNK
        began = time.monotonic()
        successes, failures = job.successes, job.failures
        for start in range(0, len(rows), step):
            if rate > 0:  # pace: the first ``start`` records take start / rate seconds
                job.abort.wait(max(0.0, began + start / rate - time.monotonic()))
            if job.abort.is_set():
                job.unprocessed = rows[start:]
                return
            chunk = rows[start : start + step]
            pending = []
            for row in chunk:
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                values: dict[str, Any] = {}
                errors: list[RecordError] = []
                for pos, name, convert in cells:
                    cell = row[pos]
                    if cell == "":
                        continue
                    if cell == "#N/A":
                        values[name] = None
                        continue
                    try:
                        values[name] = convert(cell)
                    except TypeMismatch as exc:
                        errors.append(exc.bulk_error(pos + 1))
                raw_id = (row[id_col] or None) if id_col is not None else None
                pending.append(writes.Pending(raw_id, values, errors))
            outcomes = self._apply(job, obj, user, pending)
            failed = 0
            for row, item, out in zip(chunk, pending, outcomes, strict=False):
                # Result rows are tuples: the garbage collector stops tracking them.
                padded = row if len(row) >= header_width else row + [""] * (header_width - len(row))
                if not out.errors:
                    successes.append((out.id or "", "true" if out.created else "false", *padded))
                else:
                    norm = ids.normalize(item.raw_id) if item.raw_id else None
                    failures.append((out.id or norm or "", bulk_errors(out.errors), *padded))
                    failed += 1
            job.failed += failed
            job.processed += len(chunk)

    def _apply(
        self, job: Job, obj: Any, user: User, pending: list[writes.Pending]
    ) -> list[writes.Outcome]:
        if job.operation == "update":
            return writes.update(self.org, user, obj, pending)
        if job.operation in {"delete", "hardDelete"}:
            return writes.delete(self.org, user, obj, pending)
        if job.operation == "insert":
            for item in pending:
                if item.raw_id:
                    item.errors.append(
                        RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ("Id",))
                    )
            return writes.create(self.org, user, obj, pending)
        return bulk_upsert.upsert(self.org, user, obj, job.external_id or "Id", pending)
