"""Bulk API 2.0 query jobs (``…/jobs/query``) and ``COUNT()`` over REST: read a whole
(filtered) object as CSV, page by page, without holding it in memory.

A job is created from one SOQL statement (operation ``query``: deleted records are never
returned), polled until ``JobComplete``, then its results are read with ``maxRecords`` per
page, following ``Sforce-Locator`` until it is ``null`` (Bulk API 2.0 "Get Results for a Query
Job"). Each page is a streamed CSV response; rows are yielded as ``{column: text}`` dicts
(an empty cell is ``""``). API calls: 1 create + polls + one per page.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as url_quote

from ..exceptions import BulkJobError
from .csv_stream import response_lines

if TYPE_CHECKING:
    from .client import SalesforceClient

#: Records per results page (``maxRecords``). Salesforce splits results into sets by size
#: anyway; asking for big sets keeps the page count (one API call each) low, and each page is
#: streamed, so its size does not cost memory.
DEFAULT_PAGE_RECORDS = 500_000
_FINAL_STATES = {"JobComplete", "Failed", "Aborted"}
_FIRST_POLL_SECONDS = 0.5
_RECORDS_PER_FIRST_SECOND = 50_000
_MAX_POLL_SECONDS = 10.0


def count_records(client: SalesforceClient, soql: str) -> int:
    """Run a ``SELECT COUNT() …`` statement over REST (one API call); return ``totalSize``."""
    body = client.request_json("GET", "query", encoded_query=f"q={url_quote(soql, safe='')}")
    return int(body.get("totalSize") or 0)


def query_pages(
    client: SalesforceClient,
    soql: str,
    *,
    expected_records: int = 0,
    page_records: int = DEFAULT_PAGE_RECORDS,
) -> Iterator[dict[str, str]]:
    """Run ``soql`` as a Bulk API 2.0 query job and yield its rows, page by page.

    Raises:
        BulkJobError: the job failed, was aborted or did not finish within
            ``bulk_poll_timeout``.
    """
    job = client.request_json(
        "POST",
        "jobs/query",
        json={
            "operation": "query",
            "query": soql,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        },
    )
    job_id = str(job["id"])
    info = _wait(client, job_id, expected_records)
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
        response = client.request(
            "GET",
            f"jobs/query/{job_id}/results",
            params=params,
            headers={"Accept": "text/csv"},
            stream=True,
        )
        pages += 1
        try:
            locator = response.headers.get("Sforce-Locator") or "null"
            yield from csv.DictReader(response_lines(response))
        finally:
            response.close()
        if locator == "null":
            break
    client.logger.debug("Bulk query job %s returned %d page(s)", job_id, pages)


def _wait(client: SalesforceClient, job_id: str, expected_records: int) -> dict[str, Any]:
    """Poll the job until it ends; the first poll waits longer for bigger objects."""
    deadline = time.monotonic() + client.bulk_poll_timeout
    first = _FIRST_POLL_SECONDS + expected_records / _RECORDS_PER_FIRST_SECOND
    delay = min(_MAX_POLL_SECONDS, first)
    while True:
        time.sleep(delay)
        info = client.request_json("GET", f"jobs/query/{job_id}")
        if info.get("state") in _FINAL_STATES:
            return info
        delay = min(_MAX_POLL_SECONDS, delay * 1.5)
        if time.monotonic() + delay > deadline:
            raise BulkJobError(
                f"Bulk API 2.0 query job {job_id} still {info.get('state')} after "
                f"{client.bulk_poll_timeout:g}s: raise bulk_poll_timeout, or set match_strategy "
                "to in_query",
                error_code="TIMEOUT",
            )
