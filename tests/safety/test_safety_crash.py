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

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .safety_harness import (
    CONTACTS,
    FINAL_STATE,
    INPUT,
    MELTANO,
    ROOT,
    ROWS,
    Finished,
    collect,
    demo_salesforce_env,
    diff_snapshots,
    kill_when,
    kinds,
    meltano_env,
    meltano_installed,
    meltano_state,
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


# ---------------------------------------------------------------------------- meltano run


JOB = "walkme-onboarding-to-salesforce"
STATE_ID = "demo:tap-walkme-insights--onboarding-to-target-salesforce-update--onboarding"


def _meltano_run(env: dict[str, str], *extra: str) -> Finished:
    done = subprocess.run(
        [MELTANO, "run", *extra, JOB],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Finished(done.returncode, done.stdout, done.stderr)


@pytest.mark.slow
def test_sigkill_meltano_run_then_rerun_converges_and_saves_no_early_bookmark(
    sf: Any, world: Path, tmp_path: Path
) -> None:
    """`meltano run` (tap, target and Meltano itself) killed while the target matches: no
    bookmark is saved, and the next `meltano run` ends with the org of one clean run."""
    from walkme_emulator.testing import WalkMeEmulator

    meltano_installed()
    seed = json.loads((world / "salesforce-seed.json").read_text(encoding="utf-8"))
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in ("onboarding.csv", "nps.csv"):
        shutil.copy(world / name, reports / name)
    with WalkMeEmulator(reports_dir=reports) as walkme:

        def fresh(work: Path) -> dict[str, str]:
            sf.reset()
            sf.seed(seed)
            return meltano_env(work, sf, walkme) | demo_salesforce_env()

        # The reference: one clean run.
        env = fresh(tmp_path / "clean")
        clean = _meltano_run(env)
        assert clean.returncode == 0, (clean.stdout + clean.stderr)[-4000:]
        assert meltano_state(tmp_path / "clean", STATE_ID), "the clean run saved no bookmark"
        reference = org_snapshot(sf)
        assert sf.stats()["records_updated"] > 0

        # Killed while the target's match query is in flight.
        env = fresh(tmp_path / "killed")
        sf.faults(latency_ms=400)
        process = subprocess.Popen(
            [MELTANO, "run", JOB],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        kill_when(process, sf, lambda s: kinds(s).get("query", 0) >= 1, timeout=180)
        time.sleep(1.0)  # a request already in flight finishes on the server
        assert sf.stats()["records_updated"] < len(reference), "the kill landed after the writes"
        assert meltano_state(tmp_path / "killed", STATE_ID) == {}, "a bookmark was saved"

        # Meltano still sees the killed run as running (for 5 minutes, then marks it stale), so
        # an immediate retry is refused, clearly, and writes nothing; `--force` runs it.
        sf.faults(latency_ms=0)
        updated = sf.stats()["records_updated"]
        refused = _meltano_run(env)
        assert refused.returncode != 0
        assert "already running" in refused.stderr and "--force" in refused.stderr
        assert sf.stats()["records_updated"] == updated
        again = _meltano_run(env, "--force")
        assert again.returncode == 0, (again.stdout + again.stderr)[-4000:]
        saved = meltano_state(tmp_path / "killed", STATE_ID)["bookmarks"]["onboarding"]
        clean_bookmark = meltano_state(tmp_path / "clean", STATE_ID)["bookmarks"]["onboarding"]
        assert saved["export"] == clean_bookmark["export"]
        assert diff_snapshots(org_snapshot(sf), reference) == []
