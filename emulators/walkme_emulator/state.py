"""Everything one running emulator knows: keys and tokens, reports, faults, stats and its clock.

The clock is wall time plus an offset that tests can advance through the inspection API, so token
and signed-link expiry can be tested without sleeping.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .auth import ApiKey, KeyRing
from .faults import FaultPlan
from .report_store import ReportFile, ReportStore
from .signing import sign_path, signed_path_for
from .stats import Stats


@dataclass
class EmulatorState:
    """Shared, thread-safe state of one emulator process."""

    keyring: KeyRing
    store: ReportStore
    signing_key: str
    base_url: str = ""
    stats: Stats = field(default_factory=Stats)
    faults: FaultPlan = field(default_factory=FaultPlan)
    clock_offset: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    @classmethod
    def create(
        cls,
        *,
        reports_dir: Path,
        client_id: str,
        client_secret: str,
        token_ttl: int,
        signing_key: str,
    ) -> EmulatorState:
        """Build the state for a server."""
        keyring = KeyRing(ApiKey(client_id, client_secret, reports=True), token_ttl)
        return cls(keyring=keyring, store=ReportStore(reports_dir), signing_key=signing_key)

    def now(self) -> float:
        """The emulator's clock (epoch seconds)."""
        with self._lock:
            return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> float:
        """Move the clock forward (or back) and return the new time."""
        with self._lock:
            self.clock_offset += seconds
        return self.now()

    def set_faults(self, plan: FaultPlan) -> None:
        """Replace the fault plan (restarts its random stream)."""
        with self._lock:
            self.faults = plan

    def reset(self) -> None:
        """Back to a fresh start: no tokens, faults, extra keys, stats or clock offset.

        Reports stay: they are files the test or the demo put there on purpose.
        """
        self.keyring.reset()
        self.stats.reset()
        with self._lock:
            self.faults = FaultPlan()
            self.clock_offset = 0.0

    def report_urls(self, report: ReportFile, ttl: int) -> dict[str, object]:
        """Authenticated URL and a signed URL (valid `ttl` s) of a report, plus its metadata."""
        return {
            **report.as_json(),
            "url": f"{self.base_url}/insights/reports/{report.name}.csv",
            "signed_url": self.base_url + self.sign(signed_path_for(report.name), ttl),
        }

    def sign(self, path: str, ttl: int) -> str:
        """Sign a `/g_reports/…` path against the emulator's clock."""
        return sign_path(self.signing_key, path, ttl, now=self.now())
