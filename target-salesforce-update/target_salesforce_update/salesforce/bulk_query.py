"""Bulk API 2.0 query jobs (``…/jobs/query``) and ``COUNT()`` over REST: read a whole
(filtered) object as CSV, page by page, without holding it in memory.

A job is created from one SOQL statement (operation ``query``: deleted records are never
returned), polled until ``JobComplete``, then its results are read with ``maxRecords`` per
page, following ``Sforce-Locator`` until it is ``null`` (Bulk API 2.0 "Get Results for a Query
Job"). Each page is a streamed CSV response; rows are yielded as ``{column: text}`` dicts
(an empty cell is ``""``). API calls: 1 create + polls + one per page.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote as url_quote

from ..exceptions import BulkJobError
from .bulk_jobs import BulkJobs, PollSchedule
from .transport import Transport

__all__ = ["DEFAULT_PAGE_RECORDS", "count_records", "query_pages"]

#: Records per results page (``maxRecords``). Salesforce splits results into sets by size
#: anyway; asking for big sets keeps the page count (one API call each) low, and each page is
#: streamed, so its size does not cost memory.
DEFAULT_PAGE_RECORDS = 500_000
#: First poll 0.5 s + 1 s per 50,000 expected records (see :mod:`.bulk_jobs`).
POLL_SCHEDULE = PollSchedule(first_seconds=0.5, records_per_second=50_000, first_share=1 / 8)
_TIMEOUT_ADVICE = "raise bulk_poll_timeout, or set match_strategy to in_query"


def count_records(transport: Transport, soql: str) -> int:
    """Run a ``SELECT COUNT() …`` statement over REST (one API call); return ``totalSize``."""
    body = transport.request_json("GET", "query", encoded_query=f"q={url_quote(soql, safe='')}")
    return int(body.get("totalSize") or 0)


def query_pages(
    transport: Transport,
    soql: str,
    *,
    expected_records: int = 0,
    page_records: int = DEFAULT_PAGE_RECORDS,
) -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    """Run ``soql`` as a Bulk API 2.0 query job and yield ``(header, rows)`` per result page
    (rows as lists of cells, in the header's order; each page repeats the header).

    Raises:
        BulkJobError: the job failed, was aborted or did not finish within
            ``bulk_poll_timeout``.
    """
    jobs = BulkJobs(transport, "query", "Bulk API 2.0 query job")
    job_id = jobs.create(
        {
            "operation": "query",
            "query": soql,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
    )
    info = jobs.wait(job_id, POLL_SCHEDULE, expected_records, _TIMEOUT_ADVICE)
    if info.get("state") != "JobComplete":
        raise BulkJobError(
            f"Bulk API 2.0 query job {job_id} ended {info.get('state')}: "
            f"{info.get('errorMessage') or 'no message'}; set match_strategy to in_query to "
            "match with SOQL IN queries instead",
            error_code=str(info.get("state") or "FAILED").upper(),
        )
    locator = ""
    pages = 0
    while True:
        params = {"maxRecords": str(page_records)}
        if locator:
            params["locator"] = locator
        pages += 1
        for response, rows in jobs.csv_tables(f"{job_id}/results", params):
            locator = response.headers.get("Sforce-Locator") or "null"
            header = next(rows, None)
            if header is not None:
                yield header, rows
        if locator == "null":
            break
    transport.logger.debug("Bulk query job %s returned %d page(s)", job_id, pages)
