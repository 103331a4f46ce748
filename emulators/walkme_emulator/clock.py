"""Time for the generator: ISO 8601 parsing and fast epoch → text formatting."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def utc_epoch(text: str) -> int:
    """Seconds since the epoch for an ISO 8601 time (`Z` or an offset; naive means UTC).

    Raises `ValueError` when `text` is not ISO 8601.
    """
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


class Clock:
    """Fast epoch → text formatting (a per-day cache), the hot path of the generator."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._times = [
            f"{h:02d}:{m:02d}:{sec:02d}" for h in range(24) for m in range(60) for sec in range(60)
        ]

    def day(self, epoch: int) -> str:
        day = epoch // 86400
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        return text

    def iso(self, epoch: int) -> str:
        text = self._days.get(epoch // 86400) or self.day(epoch)
        return f"{text}T{self._times[epoch % 86400]}Z"

    def salesforce(self, epoch: int) -> str:
        """The Salesforce emulator's datetime storage form, `YYYY-MM-DDTHH:MM:SS.000+0000`."""
        return f"{self.day(epoch)}T{self._times[epoch % 86400]}.000+0000"
