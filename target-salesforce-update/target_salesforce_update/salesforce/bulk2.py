"""Bulk API 2.0 ``update`` jobs: create → upload CSV → UploadComplete → poll → results.

Used by :meth:`SalesforceClient.bulk_update` / ``bulk_update_file`` for large batches, on top of
the :class:`.transport.Transport`; the job lifecycle and polling are :mod:`.bulk_jobs`', the CSV
dialect (cells, ``#N/A``, quoting, chunks, ``sf__Error``) is :mod:`.bulk_csv`'s (re-exported
here). Only the ``update`` operation is ever created: this module cannot insert, upsert or delete.
A record holding a literal ``#N/A`` text value is sent with sObject Collections instead
(:func:`needs_collections`; the spool does the same).

Every job is written to the caller's :class:`.job_journal.JobJournal` from its creation until
its results are collected. Uploads are split so each job's CSV stays at or under
``bulk_max_upload_bytes`` (100 MB by default, below Salesforce's 150 MB cap); one job per upload.
Results come back in no particular order; they are joined to the input by Id (first 15
characters, so 15- and 18-character Ids match) and returned in input order.
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from ..exceptions import BulkJobError, SalesforceError
from .bulk_csv import (
    LINE_ENDING,
    NULL_CELL,
    csv_cell,
    csv_chunks,
    csv_columns,
    csv_record_line,
    csv_row,
    id_key,
    needs_collections,
    parse_bulk_error,
    record_id,
)
from .bulk_jobs import BulkJobs, PollSchedule
from .save_results import RecordError, SaveResult
from .transport import Transport

if TYPE_CHECKING:
    from ..job_journal import JobJournal

#: Writes records with sObject Collections (``Rest.update_records``).
UpdateRecords = Callable[[str, Sequence[Mapping]], list[SaveResult]]

__all__ = [
    "LINE_ENDING",
    "NULL_CELL",
    "bulk_update",
    "bulk_update_file",
    "csv_cell",
    "csv_record_line",
    "csv_row",
    "needs_collections",
    "parse_bulk_error",
    "result_rows",
    "wait_for_job",
]

#: First poll 0.25 s + 1 s per 20,000 records (see :mod:`.bulk_jobs`).
POLL_SCHEDULE = PollSchedule(first_seconds=0.25, records_per_second=20_000)
_TIMEOUT_ADVICE = (
    "it may still finish in Salesforce (see Setup → Bulk Data Load Jobs); raise "
    "bulk_poll_timeout for very large loads"
)


def _jobs(transport: Transport) -> BulkJobs:
    return BulkJobs(transport, "ingest", "Bulk API 2.0 job")


def bulk_update(
    transport: Transport,
    sobject: str,
    records: Sequence[Mapping],
    *,
    update_records: UpdateRecords,
    journal: JobJournal | None = None,
) -> list[SaveResult]:
    """Run Bulk API 2.0 update job(s) for ``records``; ``result[i]`` is ``records[i]``'s.

    A record holding a literal ``#N/A`` text value is written with sObject Collections (Bulk
    would clear the field instead) through ``update_records``.
    """
    if not records:
        return []
    direct = [i for i, record in enumerate(records) if needs_collections(record)]
    results: list[SaveResult | None] = [None] * len(records)
    if direct:
        for index, result in zip(
            direct, update_records(sobject, [records[i] for i in direct]), strict=True
        ):
            results[index] = result
        if len(direct) == len(records):
            return [r for r in results if r is not None]
    taken = set(direct)
    bulk_indices = [i for i in range(len(records)) if i not in taken]
    bulk_records = [records[i] for i in bulk_indices]
    started = time.monotonic()
    calls_before = transport.api_calls
    columns = csv_columns(bulk_records)
    jobs = 0
    max_bytes = transport.tuning.bulk_max_upload_bytes
    for indices, payload in csv_chunks(bulk_records, columns, max_bytes):
        jobs += 1
        chunk_ids = [record_id(bulk_records[i]) for i in indices]
        for index, result in zip(
            indices, _run_job(transport, sobject, payload, chunk_ids, journal), strict=True
        ):
            results[bulk_indices[index]] = result
    final = [r for r in results if r is not None]
    failed = sum(1 for r in final if not r.success)
    transport.logger.info(
        "Updated %s via Bulk API 2.0: %d records in %d job(s), %d succeeded, %d failed, "
        "%d API calls, %.1fs",
        sobject,
        len(final),
        jobs,
        len(final) - failed,
        failed,
        transport.api_calls - calls_before,
        time.monotonic() - started,
    )
    return final


def _run_job(
    transport: Transport,
    sobject: str,
    payload: bytes,
    ids: list[str],
    journal: JobJournal | None,
) -> list[SaveResult]:
    job_id = _complete_job(transport, sobject, payload, len(ids), journal)[0]
    results = _collect_results(transport, job_id, ids)
    if journal is not None:
        journal.job_collected(job_id)
    return results


def bulk_update_file(
    transport: Transport,
    sobject: str,
    upload: IO[bytes],
    count: int,
    *,
    journal: JobJournal | None = None,
) -> dict[str, tuple[RecordError, ...]]:
    """Run one Bulk API 2.0 update job on a ready CSV file of ``count`` records.

    Returns the errors of the records that failed, keyed by the first 15 characters of their
    Id; every other record of the file succeeded. The file is streamed, never read into
    memory. ``successfulResults`` is never downloaded: when the job reports every record
    processed, ``failedResults`` alone tells the outcome (and is skipped too when the job
    reports no failure); otherwise the unprocessed records are read as well, and a record
    with no result at all is reported as such.
    """
    started = time.monotonic()
    calls_before = transport.api_calls
    job_id, info = _complete_job(transport, sobject, upload, count, journal)
    processed = _count(info, "numberRecordsProcessed")
    failed_count = _count(info, "numberRecordsFailed")
    failures: dict[str, tuple[RecordError, ...]] = {}
    if failed_count != 0:
        for row in result_rows(transport, job_id, "failedResults/"):
            row_id = row.get("sf__Id") or row.get("Id") or ""
            failures[id_key(row_id)] = parse_bulk_error(row.get("sf__Error", ""))
    if processed is None or processed < count:
        unprocessed = (
            RecordError(
                "UNPROCESSED",
                "Salesforce did not process this record (the job stopped early); send it again",
            ),
        )
        skipped = 0
        for row in result_rows(transport, job_id, "unprocessedrecords/"):
            failures.setdefault(id_key(row.get("Id") or ""), unprocessed)
            skipped += 1
        if processed is None or processed + skipped < count:
            succeeded = {
                id_key(row.get("sf__Id") or row.get("Id") or "")
                for row in result_rows(transport, job_id, "successfulResults/")
            }
            missing = (
                RecordError(
                    "NO_RESULT", f"Bulk API 2.0 job {job_id} returned no result for this record"
                ),
            )
            upload.seek(0)
            for row in csv.DictReader(io.TextIOWrapper(upload, encoding="utf-8", newline="")):
                key = id_key(row.get("Id"))
                if key not in succeeded:
                    failures.setdefault(key, missing)
    if journal is not None:
        journal.job_collected(job_id)
    transport.logger.info(
        "Updated %s via Bulk API 2.0: %d records in 1 job, %d succeeded, %d failed, "
        "%d API calls, %.1fs",
        sobject,
        count,
        count - len(failures),
        len(failures),
        transport.api_calls - calls_before,
        time.monotonic() - started,
    )
    return failures


def _count(info: Mapping[str, Any], name: str) -> int | None:
    value = info.get(name)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _complete_job(
    transport: Transport,
    sobject: str,
    payload: bytes | IO[bytes],
    count: int,
    journal: JobJournal | None = None,
) -> tuple[str, dict]:
    """Create an update job, upload ``payload``, close it and wait: ``(job id, job info)``.

    The job goes into ``journal`` before anything is uploaded, so a run killed at any later
    point leaves a trace the next run reconciles.
    """
    jobs = _jobs(transport)
    job_id = jobs.create(
        {
            "object": sobject,
            "operation": "update",
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": LINE_ENDING,
        }
    )
    transport.logger.debug("Bulk job %s created for %d %s records", job_id, count, sobject)
    if journal is not None:
        journal.job_created(transport, job_id, sobject)
    try:
        transport.request(
            "PUT",
            f"jobs/ingest/{job_id}/batches",
            data=payload,
            headers={"Content-Type": "text/csv"},
        )
        jobs.set_state(job_id, "UploadComplete")
    except BaseException:
        with contextlib.suppress(SalesforceError):
            jobs.abort(job_id)
            if journal is not None:  # aborted before it was closed: nothing was written
                journal.job_collected(job_id)
        raise
    info = wait_for_job(transport, job_id, count)
    state = info.get("state")
    if state != "JobComplete":
        raise BulkJobError(
            f"Bulk API 2.0 job {job_id} on {sobject} ended {state}: "
            f"{info.get('errorMessage') or 'no error message'}. Check the mapped field names "
            "and the user's permissions (Setup → Bulk Data Load Jobs shows the job)",
            error_code=str(state),
        )
    return job_id, info


def wait_for_job(transport: Transport, job_id: str, count: int = 0) -> dict:
    """Poll ingest job ``job_id`` (of about ``count`` records) until it ends."""
    return _jobs(transport).wait(job_id, POLL_SCHEDULE, count, _TIMEOUT_ADVICE)


def result_rows(transport: Transport, job_id: str, kind: str) -> Iterator[dict[str, str]]:
    """The rows of one result set (``successfulResults/``, ``failedResults/``,
    ``unprocessedrecords/``) of ingest job ``job_id``, streamed."""
    return _jobs(transport).result_rows(job_id, kind)


def _collect_results(transport: Transport, job_id: str, ids: list[str]) -> list[SaveResult]:
    positions: dict[str, deque[int]] = {}
    for position, each_id in enumerate(ids):
        positions.setdefault(id_key(each_id), deque()).append(position)
    results: list[SaveResult | None] = [None] * len(ids)

    def place(row: Mapping[str, str], make: Any) -> None:
        row_id = row.get("Id") or row.get("sf__Id") or ""
        queue = positions.get(id_key(row_id))
        if queue:
            position = queue.popleft()
            results[position] = make(ids[position], row)

    for row in result_rows(transport, job_id, "successfulResults/"):
        place(row, lambda rid, _row: SaveResult(rid, True, ()))
    for row in result_rows(transport, job_id, "failedResults/"):
        place(row, lambda rid, r: SaveResult(rid, False, parse_bulk_error(r.get("sf__Error", ""))))
    if any(r is None for r in results):
        unprocessed = (
            "UNPROCESSED",
            "Salesforce did not process this record (the job stopped early); send it again",
        )
        for row in result_rows(transport, job_id, "unprocessedrecords/"):
            place(row, lambda rid, _row: SaveResult(rid, False, (RecordError(*unprocessed),)))
    missing = RecordError(
        "NO_RESULT", f"Bulk API 2.0 job {job_id} returned no result for this record", ()
    )
    return [
        r if r is not None else SaveResult(ids[i], False, (missing,)) for i, r in enumerate(results)
    ]
