"""Soak (``pytest --soak tests/safety``): many runs with random faults and random SIGKILLs.

Each round picks, from its seed, a write method, batch sizes, fault rates (503/502/500 answers,
row locks, dropped connections, latency) and a random kill point (after N data API calls), runs
the target, then re-runs it without faults. Every round must keep the three promises: no state
printed past unwritten rows, the org equal to one clean run after the re-run, no record created.
A few minutes on 2 cores; skipped unless ``--soak`` is given.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from .safety_harness import (
    FINAL_STATE,
    INPUT,
    ROWS,
    collect,
    diff_snapshots,
    org_snapshot,
    rows_applied,
    run_target,
    start_target,
    target_config,
    write_json,
)

ROUNDS = 25


@pytest.mark.soak
@pytest.mark.parametrize("round_seed", range(ROUNDS))
def test_random_faults_and_kills_keep_every_promise(
    round_seed: int, sf: Any, clean_reference: dict, tmp_path: Path
) -> None:
    rng = random.Random(round_seed)
    settings = {
        "batch_size_rows": rng.choice([50, 150, 600]),
        "query_batch_size": rng.choice([25, 100, 500]),
        "write_method": rng.choice(["collections", "collections", "bulk"]),
        "max_concurrency": rng.choice([1, 2, 4]),
        "max_retries": 10,
    }
    faults = {
        "seed": round_seed,
        "error_rate": rng.choice([0.0, 0.05, 0.15]),
        "error_status": rng.choice([500, 502, 503]),
        "lock_rate": rng.choice([0.0, 0.01, 0.05]),
        "drop_rate": rng.choice([0.0, 0.01, 0.03]),
        "latency_ms": rng.choice([0, 10, 30]),
        "bulk_delay_ms": 100,
    }
    kill_after_calls = rng.choice([None, 2, 4, 8, 16])
    config = target_config(sf, tmp_path / "results", **settings)
    config_path = write_json(tmp_path / "config.json", config)
    (tmp_path / "input.singer").write_text(INPUT, encoding="utf-8")
    sf.faults(**faults)

    process = start_target(config_path, tmp_path / "input.singer", tmp_path / "first")
    deadline = time.monotonic() + 180
    while process.poll() is None and time.monotonic() < deadline:
        if kill_after_calls is not None and sf.stats()["api_calls"] >= kill_after_calls:
            process.kill()
            break
        time.sleep(0.005)
    first = collect(process, tmp_path / "first", timeout=180)
    at_end = org_snapshot(sf)
    for state in first.states:
        synced = state["bookmarks"]["onboarding"]["rows_synced"]
        assert rows_applied(at_end, ROWS[:synced]) == [], (settings, faults, state)

    sf.faults(clear=True)
    again = run_target(config, INPUT, tmp_path / "again")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.states[-1] == FINAL_STATE
    assert diff_snapshots(org_snapshot(sf), clean_reference) == [], (settings, faults)
