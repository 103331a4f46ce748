"""When to retry an HTTP call and how long to wait: urllib3's ``Retry``, set to one policy.

The same policy (same numbers, same code) is in the target's
``target_salesforce_update/salesforce/retry_policy.py``;
the two plugins are separate packages, so each keeps its own copy, and
``tests/target/test_retry_policy_parity.py`` proves they agree. The policy
(``docs/architecture.md``, "Retries"):

- retried: HTTP 429, 500, 502, 503, 504, connection errors and timeouts (any method: the
  callers only repeat idempotent requests or updates that send the same values again);
- the wait before retry *n* (1, 2, …) is ``Retry-After`` when the answer has one — delta
  seconds or an HTTP date, as urllib3 parses it, capped at :data:`MAX_RETRY_AFTER_SECONDS` — and
  otherwise ``backoff_factor * 2**(n-1)``, capped at :data:`MAX_BACKOFF_SECONDS`, with full
  jitter between half and all of it;
- ``total`` retries at most; then the caller raises its own "still failing" error.

Only the decision lives here; sending, logging and secret redaction stay with each caller.
"""

from __future__ import annotations

import random
from itertools import takewhile

from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

__all__ = [
    "MAX_BACKOFF_SECONDS",
    "MAX_RETRY_AFTER_SECONDS",
    "RETRY_STATUSES",
    "RetrySchedule",
    "retry_delay",
]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 120.0


class RetrySchedule(Retry):
    """urllib3's ``Retry`` with the shared policy: build one with :meth:`policy`, then
    ``schedule = schedule.increment(method, url)`` before each retry (it raises
    ``urllib3.exceptions.MaxRetryError`` when none is left) and sleep :meth:`wait`."""

    @classmethod
    def policy(cls, retries: int, backoff_factor: float) -> RetrySchedule:
        """A fresh schedule allowing ``retries`` retries."""
        return cls(
            total=retries,
            connect=None,
            read=None,
            redirect=0,
            status=None,
            other=None,
            allowed_methods=None,  # every method: see the module docstring
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff_factor,
            raise_on_status=False,
            respect_retry_after_header=True,
        )

    def retries_done(self) -> int:
        """How many retries this schedule has counted (consecutive errors)."""
        return len(list(takewhile(lambda h: h.redirect_location is None, reversed(self.history))))

    def get_backoff_time(self) -> float:
        """The jittered, capped backoff before the retry just counted (0 before any)."""
        done = self.retries_done()
        return backoff_seconds(done, self.backoff_factor) if done else 0.0

    def parse_retry_after(self, retry_after: str) -> float:
        """``Retry-After`` in seconds (delta seconds or HTTP date), capped."""
        return min(float(super().parse_retry_after(retry_after)), MAX_RETRY_AFTER_SECONDS)

    def retry_after(self, header: str | None) -> float | None:
        """The parsed ``Retry-After``, or ``None`` when absent or unreadable."""
        if not header:
            return None
        try:
            return self.parse_retry_after(header)
        except InvalidHeader:
            return None

    def wait(self, retry_after: str | None = None) -> float:
        """Seconds to wait before the retry just counted: ``Retry-After`` or the backoff."""
        seconds = self.retry_after(retry_after)
        return seconds if seconds is not None else self.get_backoff_time()


def backoff_seconds(retry_number: int, backoff_factor: float) -> float:
    """The backoff before retry ``retry_number`` (1-based): ``factor * 2**(n-1)``, capped at
    :data:`MAX_BACKOFF_SECONDS`, jittered between half and all of it."""
    delay = min(MAX_BACKOFF_SECONDS, backoff_factor * (2 ** (retry_number - 1)))
    return random.uniform(delay / 2, delay)


def retry_delay(attempt: int, base: float, retry_after: str | None = None) -> float:
    """Seconds to wait before retry number ``attempt + 1`` under the policy."""
    schedule = RetrySchedule.policy(attempt + 1, base)
    for _ in range(attempt + 1):
        schedule = schedule.increment()
    return schedule.wait(retry_after)
