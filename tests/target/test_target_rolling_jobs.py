"""Rolling Bulk update jobs (issue 17): once the write spool holds ``bulk_job_records``
changes, its job runs in the background while the stream goes on. Every row still gets its
results line, a STATE is printed only after the rows before it are written, and a key coming
back while its change is in a running job is compared with (and applied after) that job."""

from __future__ import annotations

import json

from target_harness import (
    contacts,
    record_message,
    run_target,
    schema_message,
    seed_contacts,
    state_message,
    unique_domain,
)


def test_rolling_jobs_write_and_report_every_row_and_state_waits_for_them(sf, base_config):
    d = unique_domain()
    emails = seed_contacts(sf, d, 1000)
    first = [{"email": e, "segment": f"A{i}"} for i, e in enumerate(emails[:500])]
    # The second half comes back to key 0 (its change is in the first rolling job).
    second = [{"email": e, "segment": f"B{i}"} for i, e in enumerate(emails[500:], 500)]
    second.insert(50, {"email": emails[0], "segment": "again"})
    state = {"bookmarks": {"onboarding": {"rows": 500}}}
    lines = [
        schema_message(),
        *(record_message(r) for r in first),
        state_message(state),
        *(record_message(r) for r in second),
    ]
    run = run_target(
        base_config(write_method="bulk", bulk_job_records=300, batch_size_rows=100), lines
    )
    assert run.error is None, run.error
    found = contacts(sf, d)
    assert found[emails[0]].get("WalkMe_Segment__c") == "again"
    wrong = [
        e
        for i, e in enumerate(emails[1:], 1)
        if found[e].get("WalkMe_Segment__c") != f"{'AB'[i >= 500]}{i}"
    ]
    assert wrong == [], f"{len(wrong)} value(s) did not land, e.g. {wrong[:3]}"
    summary = run.summary()
    assert summary["counts"]["updated"] == 1001
    assert summary["status"] == "completed"
    assert len(run.rows("updated")) == 1001
    # Rolling jobs of 300, plus what is left when a STATE or the end comes: several jobs
    # for 1,001 changes (one job per stream without rolling), none of them by Collections.
    assert summary["write_calls"]["bulk"] >= 4, summary["write_calls"]
    assert summary["write_calls"]["collections"] == 0
    states = [json.loads(line) for line in run.stdout if line.startswith("{")]
    assert [s["bookmarks"] for s in states] == [state["bookmarks"]], run.stdout


def test_rolling_jobs_retry_locked_rows_and_report_them(sf, base_config):
    d = unique_domain()
    emails = seed_contacts(sf, d, 600)
    sf.faults(seed=5, lock_rate=0.1)
    try:
        run = run_target(
            base_config(
                write_method="bulk", bulk_job_records=250, batch_size_rows=50, max_retries=6
            ),
            [
                schema_message(),
                *(record_message({"email": e, "segment": f"L{i}"}) for i, e in enumerate(emails)),
            ],
        )
    finally:
        sf.faults(clear=True)
    assert run.error is None, run.error
    found = contacts(sf, d)
    wrong = [e for i, e in enumerate(emails) if found[e].get("WalkMe_Segment__c") != f"L{i}"]
    assert wrong == []
    assert run.summary()["counts"]["updated"] == 600
    assert run.rows("failed") == []
    assert len(run.rows("updated")) == 600
