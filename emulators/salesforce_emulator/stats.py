"""Counters and the request log of the inspection API (``GET /__emulator/stats``,
``GET /__emulator/requests``).

The request log keeps the last :data:`REQUEST_LOG_LIMIT` requests (``/__emulator/`` itself
excluded) with the time each one *arrived*, so a test can check that a client waited
``Retry-After`` seconds between a 429 and its retry. It holds the path only — never the query
string, headers or body — plus, for data API requests, a short digest of method, path, query
and body, so the retry of one request can be told from other requests to the same path.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, deque
from typing import Any

REQUEST_LOG_LIMIT = 1000


def request_digest(method: str, path: str, query: str, body: bytes) -> str:
    """16 hex characters identifying a request's method, path, query string and body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:16]


class Stats:
    """Counters exposed by ``GET /__emulator/stats``; the log by ``GET /__emulator/requests``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.api_calls = 0
            self.requests_by_kind: dict[str, int] = {}
            self.records_created = 0
            self.records_updated = 0
            self.records_deleted = 0
            self.bulk_jobs = 0
            self.faults_served: Counter[str] = Counter()
            self._in_flight = 0
            self.peak_concurrent_requests = 0
            self._log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_LIMIT)

    def request(self, kind: str, counted: bool) -> None:
        with self._lock:
            self.requests_by_kind[kind] = self.requests_by_kind.get(kind, 0) + 1
            if counted:
                self.api_calls += 1

    def started(self) -> None:
        """A data API request is being answered (see :meth:`finished`): the peak of requests
        answered at the same time shows whether a client really works in parallel."""
        with self._lock:
            self._in_flight += 1
            self.peak_concurrent_requests = max(self.peak_concurrent_requests, self._in_flight)

    def finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def fault(self, kind: str) -> None:
        """Count one injected fault answer (``"429"``, ``"503"``, ``"drop"``, …)."""
        with self._lock:
            self.faults_served[kind] += 1

    def add(self, *, created: int = 0, updated: int = 0, deleted: int = 0, jobs: int = 0) -> None:
        with self._lock:
            self.records_created += created
            self.records_updated += updated
            self.records_deleted += deleted
            self.bulk_jobs += jobs

    def log(
        self, *, at: float, method: str, path: str, status: int | None, digest: str | None
    ) -> None:
        """Record one answered request (``status`` None: the connection was dropped)."""
        entry: dict[str, Any] = {"at": at, "method": method, "path": path, "status": status}
        if digest is not None:
            entry["digest"] = digest
        with self._lock:
            self._log.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        """The request log, oldest first."""
        with self._lock:
            return list(self._log)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "api_calls": self.api_calls,
                "requests_by_kind": dict(sorted(self.requests_by_kind.items())),
                "records_created": self.records_created,
                "records_updated": self.records_updated,
                "records_deleted": self.records_deleted,
                "bulk_jobs": self.bulk_jobs,
                "faults_served": dict(sorted(self.faults_served.items())),
                "peak_concurrent_requests": self.peak_concurrent_requests,
            }
