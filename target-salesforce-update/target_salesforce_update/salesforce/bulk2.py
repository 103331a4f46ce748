"""Bulk API 2.0 ``update`` jobs: create → upload CSV → UploadComplete → poll → results.

Used by :meth:`SalesforceClient.bulk_update` for large batches. Only the ``update`` operation is
ever created: this module cannot insert, upsert or delete.

Null semantics match the Collections path: a key absent from a record becomes an empty cell,
which Bulk API 2.0 leaves untouched; ``None`` (or ``""``, which Salesforce stores as null
anyway) becomes ``#N/A``, which clears the field. A literal string ``"#N/A"`` cannot be written
through Bulk API 2.0 — it would clear the field — so :func:`bulk_update` sends records holding
one with sObject Collections (:func:`needs_collections`; the spool does the same).

The CSV is RFC 4180 with LF line endings (:func:`csv_row`): a cell holding the delimiter, a
quote, CR or LF is quoted. Every job is written to the caller's :class:`.job_journal.JobJournal`
from its creation until its results are collected.

Uploads are split so each job's CSV stays at or under ``client.bulk_max_upload_bytes``
(100 MB by default, below Salesforce's 150 MB cap); one job per upload. Results come back in no
particular order; they are joined to the input by Id (first 15 characters, so 15- and 18-character
Ids match) and returned in input order.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import io
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from ..exceptions import BulkJobError, SalesforceError
from .client import RecordError, SaveResult
from .csv_stream import response_lines

if TYPE_CHECKING:
    from ..job_journal import JobJournal
    from .client import SalesforceClient

__all__ = [
    "LINE_ENDING",
    "NULL_CELL",
    "bulk_update",
    "bulk_update_file",
    "csv_cell",
    "csv_row",
    "needs_collections",
    "parse_bulk_error",
]

NULL_CELL = "#N/A"
_FINAL_STATES = {"JobComplete", "Failed", "Aborted"}
_FIRST_POLL_SECONDS = 0.25
_MAX_POLL_SECONDS = 10.0
_RECORDS_PER_FIRST_SECOND = 20_000


#: Every upload ends its lines with LF and the job says so (``lineEnding: LF``); a CR or LF
#: inside a value is data, always inside quotes.
LINE_ENDING = "LF"
_QUOTE_WHEN = frozenset(',"\r\n')


def csv_row(cells: Sequence[str]) -> str:
    """One RFC 4180 CSV line ending in LF.

    A cell is quoted when it holds the delimiter, a quote, a CR or an LF (Python's ``csv``
    module leaves a bare CR unquoted when the line terminator is LF, which cuts the value), or
    starts or ends with whitespace; quotes inside are doubled.
    """
    out = []
    for cell in cells:
        if cell and (not _QUOTE_WHEN.isdisjoint(cell) or cell[0].isspace() or cell[-1].isspace()):
            out.append('"' + cell.replace('"', '""') + '"')
        else:
            out.append(cell)
    return ",".join(out) + "\n"


def needs_collections(record: Mapping[str, Any]) -> bool:
    """Whether a record holds a literal ``#N/A`` text value, which Bulk API 2.0 reads as
    "set null": such a record is written with sObject Collections instead."""
    return any(
        isinstance(value, str) and value.strip() == NULL_CELL
        for key, value in record.items()
        if key not in {"Id", "id", "attributes"}
    )


def csv_cell(value: Any) -> str:
    """Render one value as a Bulk API 2.0 CSV cell (``None`` → ``#N/A``)."""
    if value is None or value == "":
        return NULL_CELL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == int(value):
            return str(int(value))
        return format(decimal.Decimal(repr(value)), "f")
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(dt.timezone.utc)
        return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def parse_bulk_error(text: str) -> tuple[RecordError, ...]:
    """Parse ``sf__Error`` (``CODE:message:field1,field2 --``) into record errors."""
    text = (text or "").strip()
    if text.endswith("--"):
        text = text[:-2].rstrip()
    code, sep, rest = text.partition(":")
    if not sep or not code or not code.replace("_", "").isalnum() or code.upper() != code:
        return (RecordError("UNKNOWN_ERROR", text, ()),)
    message, sep, fields_text = rest.rpartition(":")
    if not sep:
        message, fields_text = rest, ""
    fields = tuple(f.strip() for f in fields_text.split(",") if f.strip())
    return (RecordError(code, message.strip(), fields),)


def _id_key(value: Any) -> str:
    return str(value or "")[:15]


def _columns(records: Sequence[Mapping]) -> list[str]:
    columns: dict[str, None] = {"Id": None}
    for record in records:
        for key in record:
            if key in {"Id", "id", "attributes"}:
                continue
            columns.setdefault(str(key), None)
    return list(columns)


def _record_id(record: Mapping) -> str:
    value = record.get("Id", record.get("id"))
    if not value:
        raise ValueError(
            "every record passed to bulk_update needs an Id: this client only updates "
            "existing records and never creates one"
        )
    return str(value)


def _csv_chunks(
    records: Sequence[Mapping], columns: list[str], max_bytes: int
) -> Iterator[tuple[list[int], bytes]]:
    """Yield ``(input indices, CSV bytes)`` chunks, each at most ``max_bytes`` long."""
    header = csv_row(columns).encode("utf-8")
    rows: list[bytes] = []
    indices: list[int] = []
    size = len(header)
    for index, record in enumerate(records):
        _record_id(record)
        cells = []
        for column in columns:
            if column == "Id":
                cells.append(_record_id(record))
            elif column in record:
                cells.append(csv_cell(record[column]))
            else:
                cells.append("")  # absent: leave the field alone
        row = csv_row(cells).encode("utf-8")
        if len(header) + len(row) > max_bytes:
            raise ValueError(
                f"record {index} alone needs {len(header) + len(row)} bytes of CSV, more than "
                f"the {max_bytes}-byte upload limit"
            )
        if rows and size + len(row) > max_bytes:
            yield indices, header + b"".join(rows)
            rows, indices, size = [], [], len(header)
        rows.append(row)
        indices.append(index)
        size += len(row)
    if rows:
        yield indices, header + b"".join(rows)


def bulk_update(
    client: SalesforceClient,
    sobject: str,
    records: Sequence[Mapping],
    *,
    journal: JobJournal | None = None,
) -> list[SaveResult]:
    """Run Bulk API 2.0 update job(s) for ``records``; ``result[i]`` is ``records[i]``'s.

    A record holding a literal ``#N/A`` text value is written with sObject Collections (Bulk
    would clear the field instead).
    """
    if not records:
        return []
    direct = [i for i, record in enumerate(records) if needs_collections(record)]
    results: list[SaveResult | None] = [None] * len(records)
    if direct:
        for index, result in zip(
            direct, client.update_records(sobject, [records[i] for i in direct]), strict=True
        ):
            results[index] = result
        if len(direct) == len(records):
            return [r for r in results if r is not None]
    taken = set(direct)
    bulk_indices = [i for i in range(len(records)) if i not in taken]
    bulk_records = [records[i] for i in bulk_indices]
    started = time.monotonic()
    calls_before = client.api_calls
    columns = _columns(bulk_records)
    jobs = 0
    for indices, payload in _csv_chunks(bulk_records, columns, client.bulk_max_upload_bytes):
        jobs += 1
        chunk_ids = [_record_id(bulk_records[i]) for i in indices]
        for index, result in zip(
            indices, _run_job(client, sobject, payload, chunk_ids, journal), strict=True
        ):
            results[bulk_indices[index]] = result
    final = [r for r in results if r is not None]
    failed = sum(1 for r in final if not r.success)
    client.logger.info(
        "Updated %s via Bulk API 2.0: %d records in %d job(s), %d succeeded, %d failed, "
        "%d API calls, %.1fs",
        sobject,
        len(final),
        jobs,
        len(final) - failed,
        failed,
        client.api_calls - calls_before,
        time.monotonic() - started,
    )
    return final


def _run_job(
    client: SalesforceClient,
    sobject: str,
    payload: bytes,
    ids: list[str],
    journal: JobJournal | None,
) -> list[SaveResult]:
    job_id = _complete_job(client, sobject, payload, len(ids), journal)[0]
    results = _collect_results(client, job_id, ids)
    if journal is not None:
        journal.job_collected(job_id)
    return results


def bulk_update_file(
    client: SalesforceClient,
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
    calls_before = client.api_calls
    job_id, info = _complete_job(client, sobject, upload, count, journal)
    processed = _count(info, "numberRecordsProcessed")
    failed_count = _count(info, "numberRecordsFailed")
    failures: dict[str, tuple[RecordError, ...]] = {}
    if failed_count != 0:
        for row in _result_rows(client, job_id, "failedResults/"):
            record_id = row.get("sf__Id") or row.get("Id") or ""
            failures[_id_key(record_id)] = parse_bulk_error(row.get("sf__Error", ""))
    if processed is None or processed < count:
        unprocessed = (
            RecordError(
                "UNPROCESSED",
                "Salesforce did not process this record (the job stopped early); send it again",
            ),
        )
        skipped = 0
        for row in _result_rows(client, job_id, "unprocessedrecords/"):
            failures.setdefault(_id_key(row.get("Id") or ""), unprocessed)
            skipped += 1
        if processed is None or processed + skipped < count:
            succeeded = {
                _id_key(row.get("sf__Id") or row.get("Id") or "")
                for row in _result_rows(client, job_id, "successfulResults/")
            }
            missing = (
                RecordError(
                    "NO_RESULT", f"Bulk API 2.0 job {job_id} returned no result for this record"
                ),
            )
            upload.seek(0)
            for row in csv.DictReader(io.TextIOWrapper(upload, encoding="utf-8", newline="")):
                key = _id_key(row.get("Id"))
                if key not in succeeded:
                    failures.setdefault(key, missing)
    if journal is not None:
        journal.job_collected(job_id)
    client.logger.info(
        "Updated %s via Bulk API 2.0: %d records in 1 job, %d succeeded, %d failed, "
        "%d API calls, %.1fs",
        sobject,
        count,
        count - len(failures),
        len(failures),
        client.api_calls - calls_before,
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
    client: SalesforceClient,
    sobject: str,
    payload: bytes | IO[bytes],
    count: int,
    journal: JobJournal | None = None,
) -> tuple[str, dict]:
    """Create an update job, upload ``payload``, close it and wait: ``(job id, job info)``.

    The job goes into ``journal`` before anything is uploaded, so a run killed at any later
    point leaves a trace the next run reconciles.
    """
    job = client.request_json(
        "POST",
        "jobs/ingest",
        json={
            "object": sobject,
            "operation": "update",
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": LINE_ENDING,
        },
    )
    job_id = str(job["id"])
    client.logger.debug("Bulk job %s created for %d %s records", job_id, count, sobject)
    if journal is not None:
        journal.job_created(client, job_id, sobject)
    try:
        client.request(
            "PUT",
            f"jobs/ingest/{job_id}/batches",
            data=payload,
            headers={"Content-Type": "text/csv"},
        )
        client.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "UploadComplete"})
    except BaseException:
        with contextlib.suppress(SalesforceError):
            client.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "Aborted"})
            if journal is not None:  # aborted before it was closed: nothing was written
                journal.job_collected(job_id)
        raise
    info = _wait(client, job_id, count)
    state = info.get("state")
    if state != "JobComplete":
        raise BulkJobError(
            f"Bulk API 2.0 job {job_id} on {sobject} ended {state}: "
            f"{info.get('errorMessage') or 'no error message'}. Check the mapped field names "
            "and the user's permissions (Setup → Bulk Data Load Jobs shows the job)",
            error_code=str(state),
        )
    return job_id, info


def _wait(client: SalesforceClient, job_id: str, count: int = 0) -> dict:
    """Poll until the job ends. A job is never done the moment it is closed, so the first
    poll waits; that wait grows with the job (0.25 s + 1 s per 20,000 records, at most 10 s)
    and each next one is 1.5 times longer: a 70,000-record job is seen done after ~4 polls
    instead of ~10."""
    deadline = time.monotonic() + client.bulk_poll_timeout
    delay = min(_MAX_POLL_SECONDS, _FIRST_POLL_SECONDS + count / _RECORDS_PER_FIRST_SECOND)
    time.sleep(delay)
    delay = min(_MAX_POLL_SECONDS, delay * 1.5)
    while True:
        info = client.request_json("GET", f"jobs/ingest/{job_id}")
        if info.get("state") in _FINAL_STATES:
            return info
        if time.monotonic() + delay > deadline:
            raise BulkJobError(
                f"Bulk API 2.0 job {job_id} still {info.get('state')} after "
                f"{client.bulk_poll_timeout:g}s: it may still finish in Salesforce (see Setup → "
                "Bulk Data Load Jobs); raise bulk_poll_timeout for very large loads",
                error_code="TIMEOUT",
            )
        time.sleep(delay)
        delay = min(_MAX_POLL_SECONDS, delay * 1.5)


def _result_rows(client: SalesforceClient, job_id: str, kind: str) -> Iterator[dict[str, str]]:
    response = client.request(
        "GET", f"jobs/ingest/{job_id}/{kind}", headers={"Accept": "text/csv"}, stream=True
    )
    try:
        yield from csv.DictReader(response_lines(response))
    finally:
        response.close()


def _collect_results(client: SalesforceClient, job_id: str, ids: list[str]) -> list[SaveResult]:
    positions: dict[str, deque[int]] = {}
    for position, record_id in enumerate(ids):
        positions.setdefault(_id_key(record_id), deque()).append(position)
    results: list[SaveResult | None] = [None] * len(ids)

    def place(row: Mapping[str, str], make: Any) -> None:
        record_id = row.get("Id") or row.get("sf__Id") or ""
        queue = positions.get(_id_key(record_id))
        if queue:
            position = queue.popleft()
            results[position] = make(ids[position], row)

    for row in _result_rows(client, job_id, "successfulResults/"):
        place(row, lambda rid, _row: SaveResult(rid, True, ()))
    for row in _result_rows(client, job_id, "failedResults/"):
        place(row, lambda rid, r: SaveResult(rid, False, parse_bulk_error(r.get("sf__Error", ""))))
    if any(r is None for r in results):
        unprocessed = (
            "UNPROCESSED",
            "Salesforce did not process this record (the job stopped early); send it again",
        )
        for row in _result_rows(client, job_id, "unprocessedrecords/"):
            place(row, lambda rid, _row: SaveResult(rid, False, (RecordError(*unprocessed),)))
    missing = RecordError(
        "NO_RESULT", f"Bulk API 2.0 job {job_id} returned no result for this record", ()
    )
    return [
        r if r is not None else SaveResult(ids[i], False, (missing,)) for i, r in enumerate(results)
    ]
