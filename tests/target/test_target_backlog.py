"""The backlog (:mod:`target_salesforce_update.batch_backlog`): while the stream's Bulk query
snapshot is read in the background, the target goes on reading batches and keeps them on disk;
once the snapshot is there they are matched and written in order, with exactly the outcomes they
would have had. If the run stops first, every row received gets a ``NOT_WRITTEN`` line.

The emulator answers each call after 150 ms, so the Bulk read (create, poll, page) outlasts the
arrival of the next batches on any machine; the tests assert on what the log and results
report and on the org, never on timings."""

from __future__ import annotations

import logging
import re

from target_harness import run_target, singer_lines, unique_domain
from test_match_strategy import _big_object, _delta

KEPT = re.compile(r"matched the (\d+) batch\(es\) \((\d+) row\(s\)\) read while the Bulk snapshot")


def _kept(caplog) -> list[tuple[int, int]]:
    return [
        (int(m.group(1)), int(m.group(2)))
        for r in caplog.records
        if (m := KEPT.search(r.getMessage()))
    ]


def test_batches_read_during_the_bulk_read_are_matched_after_it(sf, base_config, caplog):
    caplog.set_level(logging.INFO)
    d = unique_domain()
    _big_object(sf, d, 3000)
    rows = [{"email": f"person{i}@{d}", "segment": "y"} for i in range(2600)]
    rows.append({"email": "", "segment": "y"})  # rejected while the snapshot is read
    sf.faults(latency_ms=150)
    before = sf.stats()
    run = run_target(base_config(batch_size_rows=200), singer_lines(rows))
    sf.faults(clear=True)
    assert run.error is None, run.error
    kept = _kept(caplog)
    assert len(kept) == 1
    batches, kept_rows = kept[0]
    # Batches of 200 keys need 1 IN query each: auto rents IN queries for 4 batches, then
    # buys the Bulk read with the 5th, which is held, and the batches after it are kept (the
    # last one holds only the row with an empty key).
    assert 2 <= batches <= 10
    assert kept_rows in (batches * 200, (batches - 1) * 200 + 1)
    summary = run.summary()
    assert summary["counts"] == {
        "updated": 2600,
        "unchanged": 0,
        "unmatched": 0,
        "ambiguous": 0,
        "failed": 0,
        "rejected": 1,
    }
    assert summary["status"] == "completed_with_rejections"
    assert summary["match_strategy"]["chosen"] == "bulk_query"
    calls = _delta(before, sf.stats())
    assert calls["query"] == 4 + 1  # 4 batches' IN queries, the COUNT(); none for kept ones
    segments = {r["Email"]: r.get("WalkMe_Segment__c") for r in sf.records("Contact")}
    assert all(segments[f"person{i}@{d}"] == "y" for i in range(2600))
    assert all(segments[f"person{i}@{d}"] == "x" for i in range(2600, 3000))
    assert sorted(int(r["row"]) for r in run.rows("updated")) == list(range(1, 2601))


def test_a_failed_bulk_read_in_auto_matches_the_kept_batches_with_in_queries(
    sf, base_config, caplog
):
    caplog.set_level(logging.INFO)
    d = unique_domain()
    _big_object(sf, d, 3000)
    rows = [{"email": f"person{i}@{d}", "segment": "y"} for i in range(2600)]
    sf.faults(latency_ms=150, bulk_query_fail_rate=1)
    run = run_target(base_config(batch_size_rows=200), singer_lines(rows))
    sf.faults(clear=True)
    assert run.error is None, run.error
    assert _kept(caplog) and _kept(caplog)[0][0] >= 2
    summary = run.summary()
    assert summary["counts"]["updated"] == 2600
    assert summary["status"] == "completed"
    assert summary["match_strategy"]["chosen"] == "in_query"
    segments = {r["Email"]: r.get("WalkMe_Segment__c") for r in sf.records("Contact")}
    assert all(segments[f"person{i}@{d}"] == "y" for i in range(2600))


def test_a_run_stopped_by_the_bulk_read_reports_every_kept_row(sf, base_config):
    """match_strategy bulk_query: the failed read stops the run; each of the 50 rows received
    (the batch that started the read and the batches kept after it) has a NOT_WRITTEN line."""
    d = unique_domain()
    _big_object(sf, d, 50)
    sf.faults(latency_ms=150, bulk_query_fail_rate=1)
    rows = [{"email": f"person{i}@{d}", "segment": "y"} for i in range(50)]
    run = run_target(
        base_config(match_strategy="bulk_query", batch_size_rows=10), singer_lines(rows)
    )
    sf.faults(clear=True)
    assert run.error is not None
    summary = run.summary()
    assert summary["status"] == "failed"
    assert summary["counts"]["failed"] == 50
    failed = run.rows("failed")
    assert sorted(int(r["row"]) for r in failed) == list(range(1, 51))
    assert {r["error_code"] for r in failed} == {"NOT_WRITTEN"}
    assert all("query job" in r["error_message"] for r in failed)
    assert all(r.get("WalkMe_Segment__c") == "x" for r in sf.records("Contact") if d in r["Email"])


def test_multiple_matches_fail_waits_for_the_snapshot_instead(sf, base_config, caplog):
    """Under ``fail`` the run stops at the first batch with an ambiguous key, so no row past
    it is read ahead: nothing is kept."""
    caplog.set_level(logging.INFO)
    d = unique_domain()
    _big_object(sf, d, 3000)
    rows = [{"email": f"person{i}@{d}", "segment": "y"} for i in range(2600)]
    sf.faults(latency_ms=150)
    run = run_target(base_config(batch_size_rows=200, multiple_matches="fail"), singer_lines(rows))
    sf.faults(clear=True)
    assert run.error is None, run.error
    assert _kept(caplog) == []
    assert run.summary()["counts"]["updated"] == 2600
