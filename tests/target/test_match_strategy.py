"""Match strategies (``match_strategy``): filled SOQL ``IN`` queries, or one Bulk API 2.0 query
job joined locally — the same results files and org state either way; ``auto`` picks by API
calls (asserted on the emulator's request counts, never on timings)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from target_harness import run_target, singer_lines, unique_domain

CATEGORIES = ("updated", "unchanged", "unmatched", "ambiguous", "failed")


def _delta(before: dict, after: dict) -> dict[str, int]:
    kinds_before = before["requests_by_kind"]
    return {
        kind: count - kinds_before.get(kind, 0)
        for kind, count in after["requests_by_kind"].items()
        if count - kinds_before.get(kind, 0)
    }


def _seed_world(sf, d: str, obj: str = "Contact") -> None:
    """Mixed-case keys, duplicates, a deleted record, unchanged and changed values."""
    extra = {"Company": "Acme"} if obj == "Lead" else {}
    rows = [
        {"LastName": "ann", "Email": f"Ann@{d}", "WalkMe_Onboarding_Progress__c": 10},
        {
            "LastName": "bob",
            "Email": f"bob@{d}",
            "WalkMe_Onboarding_Progress__c": 50,
            "WalkMe_Last_Seen__c": "2026-01-02T02:04:05.000+0000",
        },
        {"LastName": "dup1", "Email": f"dup@{d}", "WalkMe_Segment__c": "SMB"},
        {"LastName": "dup2", "Email": f"DUP@{d}", "WalkMe_Segment__c": "MM"},
        {"LastName": "gone", "Email": f"gone@{d}", "IsDeleted": True},
        {"LastName": "cleo", "Email": f"cleo@{d}", "WalkMe_Onboarding_Completed__c": True},
        {"LastName": "noemail"},
    ]
    if obj == "Lead":
        rows.append({"LastName": "conv", "Email": f"conv@{d}", "IsConverted": True})
    sf.seed({"records": {obj: [{**extra, **row} for row in rows]}})


def _report(d: str) -> list[dict]:
    return [
        {"email": f"ANN@{d}", "progress": "75", "completed": "yes"},
        {"email": f"bob@{d}", "progress": "50.0", "last_seen": "2026-01-02T03:04:05+01:00"},
        {"email": f"dup@{d}", "segment": "ENT"},
        {"email": f"gone@{d}", "progress": "5"},
        {"email": f"nobody@{d}", "progress": "1"},
        {"email": f"conv@{d}", "progress": "9"},
        {"email": f"cleo@{d}", "completed": "no"},
        {"email": f"ann@{d}", "progress": "80"},  # same key, later batch: later row wins
        {"email": f"Bob@{d}", "segment": "SMB"},
        {"email": f"carl@{d}", "progress": "a lot"},
        {"email": f"CLEO@{d}", "completed": "no"},  # unchanged once cleo's change is written
    ]


def _run(sf, base_config, tmp_path: Path, strategy: str, obj: str, policy: str) -> dict:
    sf.reset()
    d = "strategies.example.com"
    _seed_world(sf, d, obj)
    names = {r["Id"]: r["LastName"] for r in sf.records(obj)}
    config = base_config(
        sobject=obj,
        match_strategy=strategy,
        multiple_matches=policy,
        batch_size_rows=4,
        results_dir=str(tmp_path / strategy),
    )
    before = sf.stats()
    run = run_target(config, singer_lines(_report(d)))
    calls = _delta(before, sf.stats())
    folder = Path(run.summary()["results_dir"])
    files = {}
    for category in CATEGORIES:
        text = (folder / f"{category}.csv").read_text(encoding="utf-8")
        # Record Ids are the same after a reset; still, compare by name to be sure.
        files[category] = re.sub(r"\b(00Q|003)\w{12,15}\b", lambda m: names[m.group(0)], text)
    state = sorted(
        (r["LastName"], r.get("WalkMe_Onboarding_Progress__c"), r.get("WalkMe_Segment__c"),
         bool(r.get("WalkMe_Onboarding_Completed__c")))
        for r in sf.records(obj)
        if r.get("Email", "") and r["Email"].endswith(d)
    )  # fmt: skip
    return {
        "files": files,
        "state": state,
        "counts": run.summary()["counts"],
        "status": run.summary()["status"],
        "calls": calls,
        "error": run.error,
    }


@pytest.mark.parametrize(
    ("obj", "policy"),
    [("Contact", "update_all"), ("Contact", "skip"), ("Contact", "fail"), ("Lead", "update_all")],
)
def test_in_query_and_bulk_query_give_the_same_results_and_org_state(
    sf, base_config, tmp_path, obj, policy
):
    by_in = _run(sf, base_config, tmp_path, "in_query", obj, policy)
    by_bulk = _run(sf, base_config, tmp_path, "bulk_query", obj, policy)
    assert by_in["files"] == by_bulk["files"]
    assert by_in["state"] == by_bulk["state"]
    assert by_in["counts"] == by_bulk["counts"]
    assert by_in["status"] == by_bulk["status"]
    assert (by_in["error"] is None) == (by_bulk["error"] is None)
    # Forcing works: no Bulk query for in_query; for bulk_query one job and no COUNT().
    assert "bulk_query" not in by_in["calls"]
    assert by_bulk["calls"]["bulk_query"] >= 3  # create, poll(s), one page
    if policy == "fail":
        # The first batch holds the duplicate: the run stops there.
        assert by_in["calls"]["query"] == 1 and "query" not in by_bulk["calls"]
        assert by_in["counts"]["ambiguous"] == 1 and by_in["error"] is not None
        return
    # Batches of 4 rows: batch 1 has 4 keys (1 IN query), batches 2 and 3 have ann, then Bob
    # and CLEO again. bulk_query reads those repeated keys fresh (1 IN query per batch): this
    # run wrote them since the snapshot, and row 11 must compare with cleo's new value.
    assert by_in["calls"]["query"] == 3 and by_bulk["calls"]["query"] == 2
    assert by_in["counts"] == {
        "updated": 5 if policy == "update_all" else 4,
        "unchanged": 2,  # bob (row 2), CLEO (row 11, after row 7's change was written)
        "unmatched": 3,  # gone (deleted), nobody, conv (converted Lead; absent for Contact)
        "ambiguous": 0 if policy == "update_all" else 1,
        "failed": 0,
        "rejected": 1,
    }
    unmatched = by_in["files"]["unmatched"]
    assert all(f"{name}@strategies" in unmatched for name in ("gone", "nobody", "conv"))
    assert "11,CLEO@strategies.example.com,unchanged,cleo" in by_in["files"]["unchanged"]
    assert "3,dup@strategies.example.com," + ("updated,dup1;dup2" if policy == "update_all"
            else "ambiguous,dup1;dup2") in by_in["files"][
        "updated" if policy == "update_all" else "ambiguous"]  # fmt: skip


def test_bulk_query_reads_every_page_by_locator(sf, base_config):
    """Paging of the Bulk results (``maxRecords``, ``Sforce-Locator``): with 25 records per
    page, 120 matchable Contacts take 5 pages or more, and every key still matches."""
    d = unique_domain()
    sf.seed(
        {
            "records": {
                "Contact": [
                    {"LastName": f"c{i}", "Email": f"c{i}@{d}", "WalkMe_Segment__c": "old"}
                    for i in range(120)
                ]
            }
        }
    )
    rows = [{"email": f"C{i}@{d}", "segment": "new"} for i in range(0, 120, 3)]
    before = sf.stats()
    run = run_target(
        base_config(match_strategy="bulk_query", bulk_query_page_size=25), singer_lines(rows)
    )
    assert run.error is None, run.error
    calls = _delta(before, sf.stats())
    total = len([r for r in sf.records("Contact") if r.get("Email") and not r.get("IsDeleted")])
    pages = -(-total // 25)
    assert pages >= 5
    assert calls["bulk_query"] >= 1 + 1 + pages  # create + ≥ 1 poll + every page
    assert "query" not in calls
    assert run.summary()["counts"]["updated"] == 40
    segments = {r["Email"]: r.get("WalkMe_Segment__c") for r in sf.records("Contact")}
    assert all(segments[f"c{i}@{d}"] == ("new" if i % 3 == 0 else "old") for i in range(120))


def _big_object(sf, d: str, n: int) -> None:
    sf.seed(
        {
            "records": {
                "Contact": [
                    {"LastName": f"p{i}", "Email": f"person{i}@{d}", "WalkMe_Segment__c": "x"}
                    for i in range(n)
                ]
            }
        }
    )


def test_auto_picks_bulk_query_for_a_report_covering_most_of_the_object(sf, base_config):
    d = unique_domain()
    _big_object(sf, d, 3000)
    rows = [{"email": f"person{i}@{d}", "segment": "y"} for i in range(2600)]
    before = sf.stats()
    run = run_target(base_config(), singer_lines(rows))  # match_strategy auto (default)
    assert run.error is None, run.error
    calls = _delta(before, sf.stats())
    # IN queries would take ≥ 8 calls (≈ 330 keys each); the Bulk read takes create + polls +
    # 1 page, after one COUNT() query.
    assert calls["query"] == 1
    assert 3 <= calls["bulk_query"] <= 5
    assert run.summary()["counts"]["updated"] == 2600
    # The summary records the choice and the reason the log gives for it (the first batch's:
    # later batches only join the snapshot).
    chosen = run.summary()["match_strategy"]
    assert chosen["chosen"] == "bulk_query"
    assert chosen["reason"].startswith("2600 key(s) need 8 IN quer(y/ies) (0 spent before); a Bulk")


def test_auto_picks_in_query_for_a_small_report_over_a_big_object(sf, base_config):
    d = unique_domain()
    _big_object(sf, d, 3000)
    rows = [{"email": f"person{i}@{d}", "segment": "y"} for i in range(0, 3000, 300)]
    before = sf.stats()
    run = run_target(base_config(), singer_lines(rows))
    assert run.error is None, run.error
    calls = _delta(before, sf.stats())
    # 10 keys: one IN query, cheaper than the cheapest Bulk read, so no COUNT() either.
    assert calls["query"] == 1
    assert "bulk_query" not in calls
    assert run.summary()["counts"]["updated"] == 10
    assert run.summary()["match_strategy"] == {
        "chosen": "in_query",
        "reason": "10 key(s) need 1 IN quer(y/ies) (0 spent before), no more than the "
        "cheapest Bulk read (4 calls)",
    }


def test_auto_counts_then_keeps_in_query_when_bulk_would_cost_more(sf, base_config):
    """1,500 keys need 5 IN queries; the object's 3,000+ records at 100 per page would take
    ≥ 32 Bulk calls: COUNT() is asked once and IN queries are kept."""
    d = unique_domain()
    _big_object(sf, d, 3000)
    rows = [{"email": f"person{i}@{d}", "segment": "y"} for i in range(0, 3000, 2)]
    before = sf.stats()
    run = run_target(base_config(bulk_query_page_size=100), singer_lines(rows))
    assert run.error is None, run.error
    calls = _delta(before, sf.stats())
    assert "bulk_query" not in calls
    in_queries = calls["query"] - 1  # minus the COUNT()
    assert in_queries == 5  # ≈ 330 e-mail keys per query
    assert run.summary()["counts"]["updated"] == 1500


def test_match_strategy_must_be_one_of_the_allowed_values(base_config):
    from target_salesforce_update.integration import IntegrationConfigError, resolve_integration

    with pytest.raises(IntegrationConfigError, match="match_strategy' is 'bulk'; use one of auto"):
        resolve_integration(base_config(match_strategy="bulk"), "onboarding")


def test_bulk_query_calls_estimate():
    from target_salesforce_update.match_strategy import bulk_query_calls

    assert bulk_query_calls(0) == 3  # create, 1 poll, 1 (empty) page
    assert bulk_query_calls(5_000) == 3
    assert bulk_query_calls(1_000_000, page_records=100_000) == 1 + 2 + 10
    assert bulk_query_calls(1_000_000) == 1 + 2 + 2  # default page: 500,000 records
    assert bulk_query_calls(3_000, page_records=100) == 1 + 1 + 30


def test_auto_falls_back_to_in_queries_when_the_bulk_query_job_fails(sf, base_config):
    d = unique_domain()
    _big_object(sf, d, 3000)
    sf.faults(bulk_query_fail_rate=1)
    rows = [{"email": f"person{i}@{d}", "segment": "y"} for i in range(2600)]
    before = sf.stats()
    run = run_target(base_config(), singer_lines(rows))
    assert run.error is None, run.error
    calls = _delta(before, sf.stats())
    assert calls["bulk_query"] >= 2  # create, poll(s) until Failed; no results page
    assert calls["query"] == 1 + 8  # the COUNT(), then the IN queries
    assert run.summary()["counts"]["updated"] == 2600
    assert run.summary()["status"] == "completed"


def test_forced_bulk_query_stops_the_run_when_the_job_fails(sf, base_config):
    d = unique_domain()
    _big_object(sf, d, 50)
    sf.faults(bulk_query_fail_rate=1)
    rows = [{"email": f"person{i}@{d}", "segment": "y"} for i in range(50)]
    run = run_target(base_config(match_strategy="bulk_query"), singer_lines(rows))
    assert run.error is not None
    summary = run.summary()
    assert summary["status"] == "failed"
    assert "query job" in summary["error"] and "match_strategy to in_query" in summary["error"]
    assert all(
        r.get("WalkMe_Segment__c") == "x"
        for r in sf.records("Contact")
        if d in (r.get("Email") or "")
    )
