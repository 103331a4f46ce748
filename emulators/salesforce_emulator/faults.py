"""Fault injection: latency, 500/503 answers, row-lock failures, dropped connections.

Faults are set at start (CLI flags) or at run time (``POST /__emulator/faults``). Random
decisions come from one ``random.Random(seed)``, so a run with the same seed and the same
request order sees the same faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class FaultSettings:
    """Current fault knobs (all off by default)."""

    seed: int | None = None
    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    lock_rate: float = 0.0
    drop_rate: float = 0.0
    bulk_query_fail_rate: float = 0.0


class Faults:
    """Thread-safe fault decisions."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self.settings = settings or FaultSettings()
        self._rng = random.Random(self.settings.seed)

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply knob changes (unknown keys raise KeyError); returns the new settings."""
        with self._lock:
            if changes.get("clear"):
                self.settings = FaultSettings()
                self._rng = random.Random(None)
            for key, value in changes.items():
                if key == "clear":
                    continue
                if key not in FaultSettings.__dataclass_fields__:
                    raise KeyError(key)
                if key == "error_status" and int(value) not in (500, 502, 503):
                    raise ValueError("error_status must be 500, 502 or 503")
                if key.endswith("_rate") and not 0 <= float(value) <= 1:
                    raise ValueError(f"{key} must be between 0 and 1")
                cast = int if key in {"latency_ms", "error_status"} else float
                if key == "seed":
                    self.settings.seed = None if value is None else int(value)
                else:
                    setattr(self.settings, key, cast(value))
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

    def error_status(self) -> int | None:
        """The status to fail this request with, or None."""
        return self.settings.error_status if self._roll(self.settings.error_rate) else None

    def row_locked(self) -> bool:
        return self._roll(self.settings.lock_rate)
