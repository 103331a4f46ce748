"""Request counters exposed at `GET /__emulator/stats`, so tests can assert on traffic.

Paths are recorded as route templates (`GET /g_reports/{uuid}.csv`), never with query strings,
so signatures never reach the stats or the log.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

RECENT_LIMIT = 200


class Stats:
    """Thread-safe counters; `snapshot()` returns plain JSON."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._routes: Counter[str] = Counter()
            self._statuses: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._counters: Counter[str] = Counter()
            self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_LIMIT)

    def request(self, route: str, status: int, at: float | None = None) -> None:
        """Record one answered request; ``at`` is when it arrived (epoch seconds)."""
        with self._lock:
            self._routes[route] += 1
            self._statuses[str(status)] += 1
            self._recent.append({"route": route, "status": status, "at": at})

    def count(self, name: str, amount: int = 1) -> None:
        """Bump a named counter (token_requests, tokens_issued, downloads, bytes_sent, …)."""
        with self._lock:
            self._counters[name] += amount

    def fault(self, kind: str) -> None:
        """Record an injected fault (`429`, `503`, `cut_off`, …)."""
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        """All counters as JSON-ready data."""
        with self._lock:
            names = ("token_requests", "tokens_issued", "downloads", "partial_downloads")
            data: dict[str, Any] = {name: self._counters.get(name, 0) for name in names}
            data["bytes_sent"] = self._counters.get("bytes_sent", 0)
            data["routes"] = dict(self._routes)
            data["statuses"] = dict(self._statuses)
            data["faults"] = dict(self._faults)
            data["recent"] = list(self._recent)
            return data
