"""The org's daily API request counter (``Sforce-Limit-Info`` and ``/limits``)."""

from __future__ import annotations

import threading
from typing import Any

DEFAULT_API_LIMIT = 100_000


class LimitExceeded(Exception):
    """The daily API request limit is used up."""


class ApiCounter:
    """Counts API calls against the daily maximum; thread-safe."""

    def __init__(self, maximum: int = DEFAULT_API_LIMIT) -> None:
        self._lock = threading.Lock()
        self.maximum = maximum
        self.used = 0

    def consume(self) -> tuple[int, int]:
        """Count one call, or raise LimitExceeded when none remain. Returns (used, max)."""
        with self._lock:
            if self.used >= self.maximum:
                raise LimitExceeded
            self.used += 1
            return self.used, self.maximum

    def header(self) -> str:
        with self._lock:
            return f"api-usage={self.used}/{self.maximum}"

    def set_remaining(self, remaining: int) -> None:
        with self._lock:
            self.used = max(0, self.maximum - max(0, remaining))

    def set_maximum(self, maximum: int) -> None:
        with self._lock:
            self.maximum = max(0, maximum)

    def reset(self) -> None:
        with self._lock:
            self.used = 0

    def limits_json(self, bulk_batches_used: int = 0) -> dict[str, Any]:
        """The ``/limits`` resource (the daily API entry is real; others are plausible)."""
        with self._lock:
            used, maximum = self.used, self.maximum

        def entry(mx: int, used_: int = 0) -> dict[str, int]:
            return {"Max": mx, "Remaining": max(0, mx - used_)}

        return {
            "ActiveScratchOrgs": entry(3),
            "ConcurrentAsyncGetReportInstances": entry(200),
            "ConcurrentSyncReportRuns": entry(20),
            "DailyApiRequests": entry(maximum, used),
            "DailyAsyncApexExecutions": entry(250000),
            "DailyBulkApiBatches": entry(15000, bulk_batches_used),
            "DailyBulkV2QueryFileStorageMB": entry(976562),
            "DailyBulkV2QueryJobs": entry(10000),
            "DailyGenericStreamingApiEvents": entry(10000),
            "DailyStreamingApiEvents": entry(10000),
            "DataStorageMB": entry(1024),
            "FileStorageMB": entry(1024),
            "HourlyODataCallout": entry(20000),
            "HourlyTimeBasedWorkflow": entry(1000),
            "MassEmail": entry(5000),
            "SingleEmail": entry(5000),
        }
