"""Crash consistency: SIGKILL the target mid-run, run again, and the org is as after one clean run.

Each test starts the real ``target-salesforce-update`` console script on a fixed Singer input
(600 rows, a tap-like STATE after every 150 rows and at the end), watches the Salesforce
emulator's request counters and kills the target's process group with SIGKILL at a chosen
point: during the match queries, between the Collections calls of one batch, or while a Bulk
API 2.0 job runs on the server. Then it checks the two promises:

- **bookmark**: any state the killed target printed covers only rows already on their records
  (so Meltano never saves a bookmark past unwritten rows);
- **convergence**: a second, uninterrupted run ends with exactly the records a single clean run
  produces (compared field by field over every Contact), and no record was created.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CONTACTS, FINAL_STATE, INPUT, ROWS
from safety_harness import (
    Finished,
    collect,
    diff_snapshots,
    kill_when,
    kinds,
    org_snapshot,
    rows_applied,
    run_target,
    start_target,
    target_config,
    write_json,
)


def _kill_point_match_queries(stats: dict) -> bool:
    return kinds(stats).get("query", 0) >= 2


def _kill_point_inside_collections_batch(stats: dict) -> bool:
    return kinds(stats).get("collections_update", 0) >= 1


def _kill_point_bulk_job_running(stats: dict) -> bool:
    return kinds(stats).get("bulk_ingest", 0) >= 3  # created, uploaded, closed


def _nothing_written_yet(stats: dict) -> bool:
    return stats["records_updated"] == 0


def _part_of_the_batch_written(stats: dict) -> bool:
    return 0 < stats["records_updated"] < CONTACTS


def _bulk_job_created(stats: dict) -> bool:
    return stats["bulk_jobs"] >= 1


Check = Callable[[dict], bool]
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], Check, Check]] = {
    # name: (target settings, emulator faults, kill point, what the org saw just after the kill)
    "during-match-queries": (
        {"batch_size_rows": 150, "query_batch_size": 40},
        {"latency_ms": 40},
        _kill_point_match_queries,
        _nothing_written_yet,
    ),
    "inside-a-collections-batch": (
        # one batch of 600 rows = three Collections calls of 200, sent one at a time
        {"batch_size_rows": 600, "max_concurrency": 1},
        {"latency_ms": 60},
        _kill_point_inside_collections_batch,
        _part_of_the_batch_written,
    ),
    "while-a-bulk-job-runs": (
        {"batch_size_rows": 600, "write_method": "bulk"},
        {"bulk_delay_ms": 400},
        _kill_point_bulk_job_running,
        _bulk_job_created,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sigkill_then_rerun_converges_and_bookmark_never_passes_unwritten_rows(
    case: str, sf: Any, clean_reference: dict, tmp_path: Path
) -> None:
    work = tmp_path
    settings, faults, kill_point, landed = CASES[case]
    config = target_config(sf, work / "results", **settings)
    config_path = write_json(work / "config.json", config)
    input_path = work / "input.singer"
    input_path.write_text(INPUT, encoding="utf-8")
    sf.faults(**faults)

    process = start_target(config_path, input_path, work / "killed")
    kill_when(process, sf, kill_point)
    killed: Finished = collect(process, work / "killed", timeout=10)
    time.sleep(0.1)  # let a request already in flight finish on the server
    after_kill = sf.stats()
    at_kill = org_snapshot(sf)
    assert landed(after_kill), f"the kill did not land where intended: {after_kill}"

    # Bookmark: whatever state the killed target confirmed covers only written rows.
    for state in killed.states:
        synced = state["bookmarks"]["onboarding"]["rows_synced"]
        unwritten = rows_applied(at_kill, ROWS[:synced])
        assert unwritten == [], (
            f"state {state} was printed but {len(unwritten)} of its rows were not written, "
            f"e.g. {unwritten[:3]}"
        )
    assert FINAL_STATE not in killed.states, "the killed run printed the final state"
    assert rows_applied(at_kill, ROWS), "the kill landed after every row was written"

    # Convergence: run again without faults → exactly the clean run's org.
    sf.faults(clear=True)
    rerun = run_target(config, INPUT, work / "rerun")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert rerun.states[-1] == FINAL_STATE
    assert diff_snapshots(org_snapshot(sf), clean_reference) == []
