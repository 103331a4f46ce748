"""A Salesforce emulator over a fresh copy of a world's org, and the API calls counted between
two snapshots of its ``/__emulator/stats``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from paths import ROOT
from processes import Running, emulator, http_json
from world import World


class Org:
    """A running Salesforce emulator over a fresh copy of a world's org."""

    def __init__(self, running: Running) -> None:
        self.url = running.url
        self.running = running

    def cpu_s(self) -> float:
        """CPU seconds the emulator has used so far (its share of the machine)."""
        return self.running.cpu_s()

    def stats(self) -> dict[str, Any]:
        """The emulator's counters."""
        return http_json(f"{self.url}/__emulator/stats")


def stats_delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[int, dict, int]:
    """(API calls, calls by kind, records updated) between two stats snapshots."""
    kinds = {
        kind: count - before["requests_by_kind"].get(kind, 0)
        for kind, count in after["requests_by_kind"].items()
        if count - before["requests_by_kind"].get(kind, 0)
    }
    return (
        after["api_calls"] - before["api_calls"],
        kinds,
        after["records_updated"] - before["records_updated"],
    )


@contextmanager
def org_for(
    world: World, name: str, latency_ms: int, env: Mapping[str, str], work: Path
) -> Iterator[Org]:
    """Start the emulator on a fresh copy (in ``work``) of ``world``'s org, ``latency_ms``/call."""
    db = world.fresh_db(name, work / "orgs")
    command = ["salesforce-emulator", "serve", "--port", "0", "--db", str(db)]
    if latency_ms:
        command += ["--latency-ms", str(latency_ms)]
    log = work / "logs" / f"{name}-emulator.log"
    try:
        with emulator("salesforce-emulator", command, env=env, cwd=ROOT, log=log) as running:
            yield Org(running)
    finally:
        for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            leftover.unlink(missing_ok=True)  # a 1M-row org is ~400 MB
