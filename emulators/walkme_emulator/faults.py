"""Deterministic fault injection for the WalkMe-facing routes.

Settings (all optional, JSON via `POST /__emulator/faults`):

- `seed` (int, default 0): seeds the random draws, so the same sequence of requests sees the
  same faults;
- `rate_429` (0..1) and `retry_after` (seconds, default 1): answer 429 with `Retry-After`;
- `rate_5xx` (0..1): answer 500/502/503/504 (chosen by the same random stream);
- `slow_ms`: delay before the response starts; `body_delay_ms`: delay between body chunks of a
  download (a slow body, at least two chunks);
- `cut_off_rate` (0..1) and `cut_off_fraction` (default 0.5): send the full `Content-Length`
  but only that fraction of the body, then close the connection (downloads only);
- `fail_next`: a list consumed first, one item per faultable request: an HTTP status (429 or
  5xx) or `"cut_off"`;
- `routes`: which routes are faultable: any of `token`, `download`, `signed` (default all).

Every faultable request draws exactly four random numbers whatever the outcome, so outcomes are
a pure function of the seed and the request's position in the sequence.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

ROUTES = ("token", "download", "signed")
_STATUSES_5XX = (500, 502, 503, 504)
_KNOWN = {
    "seed",
    "rate_429",
    "retry_after",
    "rate_5xx",
    "slow_ms",
    "body_delay_ms",
    "cut_off_rate",
    "cut_off_fraction",
    "fail_next",
    "routes",
}


class FaultConfigError(ValueError):
    """A fault setting is unknown or out of range; the message names it and the fix."""


@dataclass
class Decision:
    """What to do with one request."""

    status: int | None = None  # 429 or 5xx → answer with this error instead
    retry_after: int = 0
    slow_ms: int = 0
    body_delay_ms: int = 0
    cut_off_fraction: float | None = None  # set → truncate the body


@dataclass
class FaultPlan:
    """Validated fault settings plus the random stream and the `fail_next` queue."""

    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(int(self.settings.get("seed", 0)))
        self._queue: list[int | str] = list(self.settings.get("fail_next", []))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultPlan:
        """Validate settings from the inspection API."""
        unknown = set(data) - _KNOWN
        if unknown:
            raise FaultConfigError(
                f"unknown fault setting(s) {sorted(unknown)}; known: {sorted(_KNOWN)}"
            )
        for name in ("rate_429", "rate_5xx", "cut_off_rate"):
            value = data.get(name, 0)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise FaultConfigError(f"{name} must be a number between 0 and 1, got {value!r}")
        fraction = data.get("cut_off_fraction", 0.5)
        if not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
            raise FaultConfigError(f"cut_off_fraction must be in [0, 1), got {fraction!r}")
        for name in ("seed", "retry_after", "slow_ms", "body_delay_ms"):
            value = data.get(name, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise FaultConfigError(f"{name} must be a non-negative integer, got {value!r}")
        for item in data.get("fail_next", []):
            ok = item == "cut_off" or item == 429 or (isinstance(item, int) and 500 <= item < 600)
            if not ok:
                raise FaultConfigError(
                    f"fail_next items must be 429, a 5xx status or 'cut_off', got {item!r}"
                )
        for route in data.get("routes", ROUTES):
            if route not in ROUTES:
                raise FaultConfigError(f"routes items must be among {list(ROUTES)}, got {route!r}")
        return cls(dict(data))

    def describe(self) -> dict[str, Any]:
        """Current settings plus what is left of `fail_next`."""
        with self._lock:
            return {**self.settings, "fail_next": list(self._queue)}

    def decide(self, route: str) -> Decision:
        """Decide the fault (if any) for one request on `route`."""
        s = self.settings
        if route not in s.get("routes", ROUTES):
            return Decision()
        with self._lock:
            u429, u5xx, ucut, pick = (self._rng.random() for _ in range(4))
            queued = self._queue.pop(0) if self._queue else None
        decision = Decision(slow_ms=s.get("slow_ms", 0), body_delay_ms=s.get("body_delay_ms", 0))
        retry_after = s.get("retry_after", 1)
        if queued == "cut_off":
            decision.cut_off_fraction = s.get("cut_off_fraction", 0.5)
        elif queued is not None:
            decision.status = int(queued)
        elif u429 < s.get("rate_429", 0):
            decision.status = 429
        elif u5xx < s.get("rate_5xx", 0):
            decision.status = _STATUSES_5XX[int(pick * len(_STATUSES_5XX))]
        elif ucut < s.get("cut_off_rate", 0):
            decision.cut_off_fraction = s.get("cut_off_fraction", 0.5)
        if decision.status == 429:
            decision.retry_after = retry_after
        return decision
