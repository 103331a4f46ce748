"""Fault injection: latency, 429/500/502/503 answers, row-lock failures, dropped connections.

Faults are set at start (CLI flags) or at run time (``POST /__emulator/faults``). Random
decisions come from one ``random.Random(seed)``, so a run with the same seed and the same
request order sees the same faults. ``fail_next`` is a queue of statuses consumed first, one per
data API request (``None`` = serve that one normally), for tests that need an exact fault at an
exact place.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR_STATUSES = (500, 502, 503)
"""Statuses ``error_status`` may take."""
QUEUED_STATUSES = (429, *ERROR_STATUSES)
"""Statuses ``fail_next`` may hold."""
DEFAULT_RETRY_AFTER = 1
"""``Retry-After`` seconds of a 429 when ``retry_after`` is not set."""


@dataclass
class FaultSettings:
    """Current fault knobs (all off by default)."""

    seed: int | None = None
    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    rate_429: float = 0.0
    retry_after: int | None = None
    fail_next: list[int | None] = field(default_factory=list)
    lock_rate: float = 0.0
    drop_rate: float = 0.0
    bulk_query_fail_rate: float = 0.0


def _rate(key: str, value: Any) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise ValueError(f"{key} must be between 0 and 1")
    return rate


def _error_status(key: str, value: Any) -> int:
    if int(value) not in ERROR_STATUSES:
        raise ValueError("error_status must be 500, 502 or 503")
    return int(value)


def _retry_after(key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or int(value) != value or int(value) < 0:
        raise ValueError("retry_after must be a whole number of seconds >= 0 (or null: unset)")
    return int(value)


def _fail_next(key: str, value: Any) -> list[int | None]:
    if not isinstance(value, list) or any(
        isinstance(s, bool) or (s is not None and s not in QUEUED_STATUSES) for s in value
    ):
        raise ValueError(
            "fail_next must be a list of statuses among 429, 500, 502, 503, or null (serve that "
            "request normally)"
        )
    return [None if s is None else int(s) for s in value]


def _seed(key: str, value: Any) -> int | None:
    return None if value is None else int(value)


_CHECKS = {
    "seed": _seed,
    "latency_ms": lambda key, value: int(value),
    "error_rate": _rate,
    "error_status": _error_status,
    "rate_429": _rate,
    "retry_after": _retry_after,
    "fail_next": _fail_next,
    "lock_rate": _rate,
    "drop_rate": _rate,
    "bulk_query_fail_rate": _rate,
}
KNOBS = tuple(_CHECKS)
"""Every knob ``update`` accepts (besides ``clear``)."""


@dataclass(frozen=True)
class ApiFault:
    """An error answer to give a data API request instead of serving it."""

    status: int
    retry_after: int | None  # seconds for a ``Retry-After`` header, or None for no header


class Faults:
    """Thread-safe fault decisions."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self.settings = settings or FaultSettings()
        self._rng = random.Random(self.settings.seed)

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply knob changes (unknown keys raise KeyError); returns the new settings."""
        checked = {}
        for key, value in changes.items():
            if key == "clear":
                continue
            if key not in _CHECKS:
                raise KeyError(key)
            checked[key] = _CHECKS[key](key, value)
        with self._lock:
            if changes.get("clear"):
                self.settings = FaultSettings()
                self._rng = random.Random(None)
            for key, value in checked.items():
                setattr(self.settings, key, value)
            if "seed" in changes:
                self._rng = random.Random(self.settings.seed)
            return asdict(self.settings)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self.settings)

    def latency(self) -> float:
        """Seconds to sleep before answering."""
        return self.settings.latency_ms / 1000.0

    def _roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def should_drop(self) -> bool:
        return self._roll(self.settings.drop_rate)

    def bulk_query_fails(self) -> bool:
        """True when this Bulk query job must end ``Failed``."""
        return self._roll(self.settings.bulk_query_fail_rate)

    def api_fault(self) -> ApiFault | None:
        """The error to answer this data API request with, or None: the ``fail_next`` queue
        first (a ``None`` entry serves the request), then ``rate_429``, then ``error_rate``.
        A 429 always carries ``Retry-After`` (``retry_after``, else
        :data:`DEFAULT_RETRY_AFTER`); a 503 carries it when ``retry_after`` is set."""
        settings = self.settings
        with self._lock:
            in_queue = bool(settings.fail_next)
            queued = settings.fail_next.pop(0) if in_queue else None
        if in_queue:
            if queued is None:
                return None  # a null entry: serve this request, no random fault
            status: int | None = queued
        elif self._roll(settings.rate_429):
            status = 429
        elif self._roll(settings.error_rate):
            status = settings.error_status
        else:
            return None
        if status == 429:
            wait = settings.retry_after
            return ApiFault(429, DEFAULT_RETRY_AFTER if wait is None else wait)
        return ApiFault(status, settings.retry_after if status == 503 else None)

    def row_locked(self) -> bool:
        return self._roll(self.settings.lock_rate)
