"""Faults injected through the emulators: each run ends complete with every row applied, or
stopped with a clear error, ``status: failed`` and no final state — never with a lost row or a
value on the wrong record.

The target runs as its console script over the same 600-row input as the crash tests; the
Salesforce emulator injects 503s, row locks, dropped connections, token expiry, the daily API
limit and an aborted Bulk job. The WalkMe side (429 with ``Retry-After``, persistent 503s) runs
the tap's console script against the WalkMe emulator and pipes it into the target.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from .safety_harness import (
    CONTACTS,
    FINAL_STATE,
    INPUT,
    ROWS,
    TAP,
    Finished,
    admin_api,
    child_env,
    collect,
    diff_snapshots,
    kinds,
    org_snapshot,
    results_rows,
    rows_applied,
    run_target,
    start_target,
    summaries,
    target_config,
    wait_for,
    write_json,
    wrong_writes,
)


def _completed_like_reference(finished: Finished, sf: Any, reference: dict, results: Path):
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert finished.states[-1] == FINAL_STATE
    assert diff_snapshots(org_snapshot(sf), reference) == []
    [summary] = summaries(results)
    assert summary["status"] == "completed"
    assert summary["counts"]["updated"] == CONTACTS, summary["counts"]


def _stopped_cleanly(finished: Finished, sf: Any, before: dict, results: Path, *words: str) -> None:
    """Non-zero exit, no final state, a failed summary naming the problem, and every row either
    on its own record or not written at all; rows reported updated are really written."""
    assert finished.returncode != 0
    assert FINAL_STATE not in finished.states, "a stopped run confirmed the final state"
    after = org_snapshot(sf)
    assert wrong_writes(after, before, ROWS) == []
    failed = [s for s in summaries(results) if s["status"] == "failed"]
    assert failed, f"no failed summary: {summaries(results)}"
    error = (failed[-1]["error"] or "").lower()
    assert any(word.lower() in error for word in words), error
    updated = [r["key"] for s in summaries(results) for r in results_rows(s, "updated")]
    reported = {key.casefold() for key in updated}
    not_written = rows_applied(after, [r for r in ROWS if r["email"].casefold() in reported])
    assert not_written == [], f"reported updated but not written: {not_written[:3]}"


def test_503s_row_locks_and_dropped_connections_end_with_every_row_applied(
    sf: Any, clean_reference: dict, tmp_path: Path
) -> None:
    sf.faults(seed=8, error_rate=0.05, error_status=503, lock_rate=0.01, drop_rate=0.01)
    # 12 batches of 50 rows: 1 describe + 12 x (2 queries + 1 Collections call) without faults
    # (write_method collections writes batch by batch; auto would spool to the end of the stream;
    # match_strategy in_query keeps the per-batch queries this count assumes, where auto would
    # switch to one Bulk query job)
    config = target_config(
        sf,
        tmp_path / "results",
        batch_size_rows=50,
        query_batch_size=25,
        max_retries=8,
        write_method="collections",
        match_strategy="in_query",
    )
    finished = run_target(config, INPUT, tmp_path)
    stats = sf.stats()
    _completed_like_reference(finished, sf, clean_reference, tmp_path / "results")
    assert stats["api_calls"] > 1 + 12 * 3, f"no fault was injected: {stats}"
    assert "UNABLE_TO_LOCK_ROW" in finished.stderr or "503" in finished.stderr


def test_token_expiry_mid_run_is_renewed_and_every_row_applied(
    sf: Any, clean_reference: dict, tmp_path: Path
) -> None:
    sf.faults(latency_ms=30)
    # collections: written batch by batch, so the first write call is mid-run
    config = target_config(
        sf, tmp_path / "results", batch_size_rows=150, write_method="collections"
    )
    config_path = write_json(tmp_path / "config.json", config)
    (tmp_path / "input.singer").write_text(INPUT, encoding="utf-8")
    process = start_target(config_path, tmp_path / "input.singer", tmp_path / "run")
    wait_for(process, sf, lambda s: kinds(s).get("collections_update", 0) >= 1)
    sf.expire_tokens()
    finished = collect(process, tmp_path / "run", timeout=120)
    assert kinds(sf.stats()).get("oauth", 0) >= 2, "the token was not renewed"
    _completed_like_reference(finished, sf, clean_reference, tmp_path / "results")


def _run_until_quota_taken_mid_run(sf: Any, config: dict, work: Path) -> Finished:
    """Another integration uses up the org's daily requests while this run is in batch two."""
    config_path = write_json(work / "config.json", config)
    (work / "input.singer").write_text(INPUT, encoding="utf-8")
    process = start_target(config_path, work / "input.singer", work / "run")
    wait_for(process, sf, lambda s: kinds(s).get("collections_update", 0) >= 1)
    sf.faults(api_remaining=0)
    return collect(process, work / "run", timeout=120)


@pytest.mark.parametrize(
    "how", ["limit-exceeded-mid-run", "usage-ceiling-mid-run"], ids=lambda how: how
)
def test_daily_api_limit_reached_mid_run_stops_cleanly_and_a_later_run_completes(
    how: str, sf: Any, clean_reference: dict, tmp_path: Path
) -> None:
    before = org_snapshot(sf)
    # collections: written batch by batch, so the limit is reached between two written batches
    config = target_config(
        sf,
        tmp_path / "results",
        batch_size_rows=150,
        query_batch_size=50,
        write_method="collections",
    )
    if how == "limit-exceeded-mid-run":
        sf.faults(latency_ms=30)
        stopped = _run_until_quota_taken_mid_run(sf, config, tmp_path / "stopped")
        # Either the 403 itself or the target's own check of the usage header stops it.
        says: tuple[str, ...] = ("REQUEST_LIMIT_EXCEEDED", "daily API requests")
    else:
        # Describe + batch one fit under the 95 % ceiling; batch two would cross it.
        sf.faults(api_remaining=9)
        stopped = run_target(config, INPUT, tmp_path / "stopped")
        says = ("max_daily_api_usage_percent",)
    _stopped_cleanly(stopped, sf, before, tmp_path / "results", *says)
    assert rows_applied(org_snapshot(sf), ROWS), "the limit was not reached mid-run"

    sf.faults(latency_ms=0)
    sf.faults(api_remaining=100_000)
    again = run_target(config, INPUT, tmp_path / "again")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.states[-1] == FINAL_STATE
    assert diff_snapshots(org_snapshot(sf), clean_reference) == []


def test_bulk_job_aborted_mid_run_stops_cleanly_and_a_later_run_completes(
    sf: Any, clean_reference: dict, tmp_path: Path
) -> None:
    before = org_snapshot(sf)
    sf.faults(bulk_delay_ms=1500)
    config = target_config(sf, tmp_path / "results", batch_size_rows=600, write_method="bulk")
    config_path = write_json(tmp_path / "config.json", config)
    (tmp_path / "input.singer").write_text(INPUT, encoding="utf-8")
    process = start_target(config_path, tmp_path / "input.singer", tmp_path / "run")
    wait_for(process, sf, lambda s: kinds(s).get("bulk_ingest", 0) >= 3)  # closed, waiting
    jobs = admin_api(sf, "GET", "jobs/ingest")["records"]
    [job] = [j for j in jobs if j["state"] == "UploadComplete"]
    admin_api(sf, "PATCH", f"jobs/ingest/{job['id']}", {"state": "Aborted"})
    stopped = collect(process, tmp_path / "run", timeout=120)
    _stopped_cleanly(stopped, sf, before, tmp_path / "results", "abort")
    [summary] = summaries(tmp_path / "results")
    counted = sum(summary["counts"].values())
    assert counted == CONTACTS, f"rows not reported: {summary['counts']}"
    assert org_snapshot(sf) == before, "an aborted job changed records"

    sf.faults(bulk_delay_ms=50)
    again = run_target(config, INPUT, tmp_path / "again")
    assert again.returncode == 0, again.stderr[-3000:]
    assert diff_snapshots(org_snapshot(sf), clean_reference) == []


# ---------------------------------------------------------------------------- WalkMe side


def _report_csv() -> bytes:
    """The report behind :data:`ROWS` as WalkMe would export it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["End User ID", "Onboarding Progress (%)", "Segment"])
    for row in ROWS:
        writer.writerow([row["email"], row["progress"], row["segment"]])
    return out.getvalue().encode("utf-8")


@pytest.fixture
def walkme(tmp_path: Path) -> Any:
    import secrets

    from walkme_emulator.testing import WalkMeEmulator

    with WalkMeEmulator(
        client_id=f"safety-{secrets.token_hex(4)}", client_secret=secrets.token_urlsafe(24)
    ) as emulator:
        yield emulator


def _tap_then_target(sf: Any, walkme: Any, tmp_path: Path) -> tuple[Finished, Finished]:
    """``tap-walkme-insights | target-salesforce-update`` (through a file, so each side's exit
    status is its own), the tap reading the report with the WalkMe bearer token."""
    import subprocess

    published = walkme.publish("onboarding", _report_csv())
    tap_config = write_json(
        tmp_path / "tap.json",
        {
            "report_name": "onboarding",
            "source": published.url,
            "key_column": "End User ID",
            "base_url": walkme.url,
            "client_id": walkme.client_id,
            "client_secret": walkme.client_secret,
            "backoff_factor": 0.05,
        },
    )
    tap = subprocess.run(
        [TAP, "--config", str(tap_config)],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(),
        check=False,
    )
    tapped = Finished(tap.returncode, tap.stdout, tap.stderr)
    config = target_config(
        sf,
        tmp_path / "results",
        match_property="end_user_id",
        field_mapping={"segment": "WalkMe_Segment__c"},
    )
    return tapped, run_target(config, tap.stdout, tmp_path / "target")


def test_walkme_429_with_retry_after_is_waited_out_and_every_row_applied(
    sf: Any, walkme: Any, tmp_path: Path
) -> None:
    walkme.faults(fail_next=[429, 429], retry_after=1)
    started = time.monotonic()
    tapped, loaded = _tap_then_target(sf, walkme, tmp_path)
    assert tapped.returncode == 0, tapped.stderr[-3000:]
    assert time.monotonic() - started >= 2, "Retry-After was not honoured"
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    [state] = loaded.states[-1:]
    assert state["bookmarks"]["onboarding"]["export"], state
    assert rows_applied(org_snapshot(sf), ROWS) == []


def test_walkme_down_stops_the_tap_with_a_clear_error_and_nothing_is_written(
    sf: Any, walkme: Any, tmp_path: Path
) -> None:
    before = org_snapshot(sf)
    walkme.faults(rate_5xx=1.0)
    tapped, loaded = _tap_then_target(sf, walkme, tmp_path)
    assert tapped.returncode != 0
    assert "HTTP 5" in tapped.stderr or "gave up" in tapped.stderr, tapped.stderr[-2000:]
    assert not any(json.loads(line).get("type") == "STATE" for line in tapped.stdout.splitlines())
    assert loaded.states == []
    assert org_snapshot(sf) == before
