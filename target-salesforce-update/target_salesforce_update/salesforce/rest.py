"""The REST API the target uses, on top of :class:`.transport.Transport`: SOQL ``query`` (with
``nextRecordsUrl`` paging), ``describe``, ``limits``, ``userinfo`` and sObject Collections
``update`` — reads and updates of existing records only, never an insert.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote as url_quote

from ..call_meter import carry_meter
from ..exceptions import MalformedQueryError, SalesforceError
from .save_results import SaveResult, is_retryable, record_errors
from .transport import Transport

__all__ = ["COLLECTION_SIZE", "Rest", "check_sobject"]

#: Records per sObject Collections request (Salesforce's maximum).
COLLECTION_SIZE = 200
#: Salesforce answers 414/431 when the request line plus headers exceed 16,384 bytes.
MAX_REQUEST_LINE_AND_HEADERS = 16_384
#: Bytes kept for our headers (Host, ``Authorization: Bearer …``, Accept, User-Agent, …).
HEADER_ALLOWANCE = 700
_SOBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def check_sobject(sobject: str) -> str:
    """``sobject`` if it is an sObject API name (it goes into URLs), else ``ValueError``."""
    if not _SOBJECT_NAME.match(sobject or ""):
        raise ValueError(f"{sobject!r} is not an sObject API name such as Contact or Custom__c")
    return sobject


def _strip_attributes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_attributes(v) for k, v in value.items() if k != "attributes"}
    if isinstance(value, list):
        return [_strip_attributes(v) for v in value]
    return value


def _record_id(record: Mapping) -> str | None:
    value = record.get("Id", record.get("id"))
    return str(value) if value else None


def _update_payload(sobject: str, record: Mapping) -> dict:
    if not _record_id(record):
        raise ValueError(
            "every record passed to update_records needs an Id: this client only updates "
            "existing records and never creates one"
        )
    payload: dict[str, Any] = {"attributes": {"type": sobject}}
    for key, value in record.items():
        if key == "attributes":
            continue
        payload["Id" if key == "id" else key] = value
    return payload


class Rest:
    """REST reads and Collections updates over one transport."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    # ----------------------------------------------------------------- reads

    def describe_global(self) -> dict:
        """``GET sobjects``: every object visible to the user."""
        return self.transport.request_json("GET", "sobjects")

    def describe(self, sobject: str) -> dict:
        """``GET sobjects/{sobject}/describe``: the raw describe JSON of one object."""
        return self.transport.request_json("GET", f"sobjects/{check_sobject(sobject)}/describe")

    def limits(self) -> dict:
        """``GET limits``: the org's limits, e.g. ``DailyApiRequests``."""
        return self.transport.request_json("GET", "limits")

    def userinfo(self) -> dict:
        """The OpenID Connect userinfo of the authenticated user (not an API-counted call)."""
        return self.transport.request_json("GET", "/services/oauth2/userinfo", counted=False)

    def query(self, soql: str) -> Iterator[dict]:
        """Run a SOQL query and yield its records (without ``attributes``), page by page.

        Uses ``query`` (never ``queryAll``), so deleted records are not returned.
        """
        encoded = url_quote(soql, safe="")
        request_line = len(f"GET {self.transport.base_path}/query?q= HTTP/1.1") + len(encoded)
        if request_line + HEADER_ALLOWANCE > MAX_REQUEST_LINE_AND_HEADERS:
            raise MalformedQueryError(
                f"the SOQL statement is {len(encoded)} characters once URL-encoded, too long "
                f"for Salesforce's {MAX_REQUEST_LINE_AND_HEADERS}-byte limit on the request "
                "line plus headers: query fewer keys at once"
            )
        path: str | None = "query"
        query: str | None = f"q={encoded}"
        pages = 0
        while path:
            body = self.transport.request_json("GET", path, encoded_query=query)
            query = None
            pages += 1
            for record in body.get("records", ()):
                yield _strip_attributes(record)
            path = None if body.get("done", True) else body.get("nextRecordsUrl")
        self.transport.logger.debug("Query returned %d page(s)", pages)

    # ----------------------------------------------------------------- Collections update

    def update_records(self, sobject: str, records: Sequence[Mapping]) -> list[SaveResult]:
        """Update existing records with sObject Collections; ``result[i]`` is ``records[i]``'s.

        Each record needs an ``Id``. A key absent from a record leaves that field alone; a
        ``None`` value clears it. Chunks of 200 go out in parallel (up to ``max_concurrency``),
        with ``allOrNone=false``; records that fail with a transient error (UNABLE_TO_LOCK_ROW …,
        see :data:`.save_results.RETRYABLE_RECORD_CODES`) are re-sent alone, up to
        ``max_retries`` times.
        """
        check_sobject(sobject)
        if not records:
            return []
        payloads = [_update_payload(sobject, record) for record in records]
        chunks = [
            payloads[i : i + COLLECTION_SIZE] for i in range(0, len(payloads), COLLECTION_SIZE)
        ]
        transport = self.transport
        started = time.monotonic()
        calls_before = transport.api_calls
        results: list[SaveResult] = []
        workers = max(1, min(transport.tuning.max_concurrency, len(chunks)))
        if workers == 1:
            for chunk in chunks:
                results.extend(self._update_chunk(chunk))
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="sf-update") as pool:
                update_chunk = carry_meter(self._update_chunk)
                futures = [pool.submit(update_chunk, chunk) for chunk in chunks]
                try:
                    for future in futures:
                        results.extend(future.result())
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
        failed = sum(1 for r in results if not r.success)
        transport.logger.info(
            "Updated %s via Collections: %d records, %d succeeded, %d failed, %d API calls, %.1fs",
            sobject,
            len(results),
            len(results) - failed,
            failed,
            transport.api_calls - calls_before,
            time.monotonic() - started,
        )
        return results

    def _update_chunk(self, payloads: list[dict]) -> list[SaveResult]:
        results: list[SaveResult | None] = [None] * len(payloads)
        pending = list(range(len(payloads)))
        max_retries = self.transport.tuning.max_retries
        for attempt in range(max_retries + 1):
            body = {"allOrNone": False, "records": [payloads[i] for i in pending]}
            raw = self.transport.request_json("PATCH", "composite/sobjects", json=body)
            if not isinstance(raw, list) or len(raw) != len(pending):
                raise SalesforceError(
                    f"Collections update returned {len(raw) if isinstance(raw, list) else 'no'} "
                    f"results for {len(pending)} records; cannot tell which record failed"
                )
            locked = []
            for index, item in zip(pending, raw, strict=True):
                result = SaveResult(
                    id=item.get("id") or _record_id(payloads[index]),
                    success=bool(item.get("success")),
                    errors=record_errors(item.get("errors")),
                )
                results[index] = result
                if not result.success and is_retryable(result.errors):
                    locked.append(index)
            if not locked or attempt >= max_retries:
                break
            pending = locked
            self.transport.logger.debug("%d records locked; re-sending", len(locked))
            self.transport.pause(attempt)
        return [r for r in results if r is not None]
