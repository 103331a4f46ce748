"""The write journal and the Bulk path under faults (issue 11, items 1, 4 and 7).

- an orphaned Bulk job — its run SIGKILLed after closing it — never overwrites the newer
  values of the next run: the next run aborts (or waits for) it before writing;
- SIGTERM aborts the target's running Bulk job, and the next run reports what it did;
- a run SIGKILLed inside a Collections write leaves, for every record it wrote, a results
  line or a line in the next run's ``reconciled.csv``;
- 10 % row locks plus 20 % HTTP 503 on a few thousand rows in ``auto`` mode: every value lands.
"""

from __future__ import annotations

import csv
import os
import signal
import time
from pathlib import Path
from typing import Any

from .safety_harness import (
    CONTACTS,
    FINAL_STATE,
    INPUT,
    TAG,
    admin_api,
    bookmark,
    collect,
    contact_rows,
    contact_seed,
    kill_when,
    kinds,
    org_snapshot,
    results_rows,
    rows_applied,
    run_target,
    singer_text,
    start_target,
    summaries,
    target_config,
    wait_for,
    write_json,
)

NEWER = contact_rows(CONTACTS, TAG, variant="v2")


def _jobs(sf: Any) -> list[dict[str, Any]]:
    return admin_api(sf, "GET", "jobs/ingest")["records"]


def _wait_until_no_job_runs(sf: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while any(j["state"] in {"Open", "UploadComplete", "InProgress"} for j in _jobs(sf)):
        assert time.monotonic() < deadline, f"a Bulk job never ended: {_jobs(sf)}"
        time.sleep(0.1)


def _reconciled(summary: dict[str, Any]) -> list[dict[str, str]]:
    path = Path(summary["results_dir"]) / "reconciled.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _start(sf: Any, work: Path, config: dict[str, Any], text: str, name: str):
    config_path = write_json(work / f"{name}.json", config)
    input_path = work / f"{name}.singer"
    input_path.write_text(text, encoding="utf-8")
    return start_target(config_path, input_path, work / name)


def test_orphaned_bulk_job_never_overwrites_the_next_runs_newer_values(
    sf: Any, tmp_path: Path
) -> None:
    config = target_config(sf, tmp_path / "results", write_method="bulk", batch_size_rows=600)
    sf.faults(bulk_delay_ms=6000)  # the closed job waits 6 s before it starts
    process = _start(sf, tmp_path, config, INPUT, "killed")
    kill_when(process, sf, lambda s: kinds(s).get("bulk_ingest", 0) >= 3)  # created, sent, closed
    assert any(j["state"] == "UploadComplete" for j in _jobs(sf)), _jobs(sf)
    sf.faults(bulk_delay_ms=50)

    newer = run_target(
        target_config(sf, tmp_path / "results", write_method="auto"),
        singer_text(NEWER, state_every=600),
        tmp_path / "newer",
    )
    assert newer.returncode == 0, newer.stderr[-3000:]
    _wait_until_no_job_runs(sf)  # had the orphan survived, it would have written by now
    stale = rows_applied(org_snapshot(sf), NEWER)
    assert stale == [], f"{len(stale)} record(s) lost the newer value, e.g. {stale[:3]}"
    [summary] = [s for s in summaries(tmp_path / "results") if s["status"] != "failed"]
    lines = _reconciled(summary)
    assert lines and {line["outcome"] for line in lines} == {"not_written"}, lines[:3]


def test_sigterm_aborts_the_running_bulk_job_and_the_next_run_reconciles_it(
    sf: Any, tmp_path: Path
) -> None:
    config = target_config(sf, tmp_path / "results", write_method="bulk", batch_size_rows=600)
    sf.faults(bulk_delay_ms=6000)
    before = org_snapshot(sf)
    process = _start(sf, tmp_path, config, INPUT, "terminated")
    wait_for(process, sf, lambda s: kinds(s).get("bulk_ingest", 0) >= 3)
    os.kill(process.pid, signal.SIGTERM)
    finished = collect(process, tmp_path / "terminated", timeout=30)
    assert finished.returncode != 0
    assert FINAL_STATE not in finished.states
    assert [j["state"] for j in _jobs(sf)] == ["Aborted"], _jobs(sf)
    sf.faults(bulk_delay_ms=50)
    time.sleep(6.5)  # past the moment the job would have started had it not been aborted
    assert org_snapshot(sf) == before, "the job of the terminated run wrote records"

    again = run_target(config, INPUT, tmp_path / "again")
    assert again.returncode == 0, again.stderr[-3000:]
    assert rows_applied(org_snapshot(sf), contact_rows(CONTACTS, TAG)) == []
    summary = summaries(tmp_path / "results")[-1]
    assert summary["reconciled"] == {"not_written": 1}
    [line] = _reconciled(summary)
    assert line["outcome"] == "not_written" and line["error_code"] == "ABORTED", line


def test_sigkill_inside_a_collections_write_leaves_every_written_record_accounted_for(
    sf: Any, tmp_path: Path
) -> None:
    config = target_config(
        sf, tmp_path / "results", batch_size_rows=600, max_concurrency=1, write_method="auto"
    )
    before = org_snapshot(sf)
    sf.faults(latency_ms=60)
    process = _start(sf, tmp_path, config, INPUT, "killed")
    kill_when(process, sf, lambda s: kinds(s).get("collections_update", 0) >= 2)
    time.sleep(0.3)  # let a request already in flight finish on the server
    at_kill = org_snapshot(sf)
    written = {rid[:15] for rid in at_kill if at_kill[rid] != before.get(rid)}
    assert written, "the kill landed before anything was written"
    sf.faults(clear=True)

    again = run_target(config, INPUT, tmp_path / "again")
    assert again.returncode == 0, again.stderr[-3000:]
    accounted: set[str] = set()
    for summary in summaries(tmp_path / "results"):
        for line in _reconciled(summary):
            accounted.add(line["record_id"][:15])
    killed_folders = [
        p
        for p in (tmp_path / "results").glob("*/*")
        if p.is_dir() and not (p / "summary.json").exists()
    ]
    for folder in killed_folders:
        with (folder / "updated.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                accounted.update(rid[:15] for rid in row["record_ids"].split(";") if rid)
    missing = written - accounted
    assert not missing, (
        f"{len(missing)} written record(s) have no results line: {sorted(missing)[:3]}"
    )


def test_row_locks_and_503s_on_thousands_of_rows_in_auto_mode_land_every_value(
    sf: Any, tmp_path: Path
) -> None:
    count = 3000
    sf.seed(contact_seed(count, "locks"))
    rows = contact_rows(count, "locks")
    sf.faults(seed=5, lock_rate=0.1, error_rate=0.2, error_status=503)
    finished = run_target(
        target_config(sf, tmp_path / "results", write_method="auto", max_retries=8),
        singer_text(rows, state_every=count),
        tmp_path / "run",
    )
    sf.faults(clear=True)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert finished.states[-1] == bookmark(count)
    missing = rows_applied(org_snapshot(sf), rows)
    assert missing == [], f"{len(missing)} value(s) did not land, e.g. {missing[:3]}"
    [summary] = summaries(tmp_path / "results")
    assert summary["counts"]["updated"] == count, summary["counts"]
    assert summary["counts"]["failed"] == 0
    assert summary["write_calls"]["bulk"] >= 1, summary["write_calls"]
    assert results_rows(summary, "failed") == []
