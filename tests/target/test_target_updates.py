"""The real target against the Salesforce emulator over HTTP: matching, diffing, writing."""

from __future__ import annotations

import json

from target_harness import (
    record_message,
    run_target,
    schema_message,
    seed_contacts,
    singer_lines,
    unique_domain,
)


def by_email(sf, obj: str = "Contact") -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for record in sf.records(obj):
        if record.get("Email"):
            found.setdefault(record["Email"].lower(), []).append(record)
    return found


def test_updates_changes_reports_every_row_and_second_run_writes_nothing(sf, base_config):
    d = unique_domain()
    seed_contacts(
        sf,
        d,
        rows=[
            {"Email": f"ann@{d}", "WalkMe_Onboarding_Progress__c": 10},
            {"Email": f"bob@{d}", "WalkMe_Onboarding_Progress__c": 50, "WalkMe_Segment__c": "SMB"},
        ],
    )
    rows = [
        {
            "email": f"ANN@{d}",
            "progress": "75.5",
            "completed": "yes",
            "last_seen": "2026-01-02T03:04:05+01:00",
        },
        {"email": f"bob@{d}", "progress": "50", "segment": "SMB"},
        {"email": f"nobody@{d}", "progress": "1"},
        {"email": f"carl@{d}", "progress": "a lot"},
        {"email": "", "progress": "1"},
    ]
    config = base_config()
    before = sf.stats()
    run = run_target(config, singer_lines(rows, state={"bookmarks": {"onboarding": 5}}))
    assert run.error is None, run.error  # rejected rows alone do not fail (fail_on default)
    # Two rows were rejected: the bookmark stays, so the next run re-reads the export.
    assert run.stdout == []
    records = by_email(sf)
    ann = records[f"ann@{d}"][0]
    assert ann["WalkMe_Onboarding_Progress__c"] == 75.5
    assert ann["WalkMe_Onboarding_Completed__c"] in (True, 1)
    assert ann["WalkMe_Last_Seen__c"].startswith("2026-01-02T02:04:05")
    assert f"nobody@{d}" not in records
    summary = run.summary()
    assert summary["counts"] == {
        "updated": 1,
        "unchanged": 1,
        "unmatched": 1,
        "ambiguous": 0,
        "failed": 0,
        "rejected": 2,
    }
    assert summary["status"] == "completed_with_rejections" and summary["object"] == "Contact"
    assert summary["reason"].startswith("2 row(s) rejected before writing")
    assert summary["bookmark_withheld"] is True and summary["exit_nonzero"] is False
    assert summary["fail_on"] == "failed_rows"
    assert summary["records_updated"] == 1
    updated = run.rows("updated")
    assert updated[0]["key"] == f"ANN@{d}" and updated[0]["record_ids"] == ann["Id"]
    assert updated[0]["fields_changed"] == (
        "WalkMe_Last_Seen__c;WalkMe_Onboarding_Completed__c;WalkMe_Onboarding_Progress__c"
    )
    assert [r["key"] for r in run.rows("unmatched")] == [f"nobody@{d}"]
    failed = run.rows("failed")
    assert [(r["row"], r["outcome"]) for r in failed] == [("4", "rejected"), ("5", "rejected")]
    assert "not a number" in failed[0]["error_message"]
    after = sf.stats()
    kinds_before, kinds_after = before["requests_by_kind"], after["requests_by_kind"]
    assert kinds_after.get("collections_update", 0) - kinds_before.get("collections_update", 0) == 1
    assert kinds_after.get("query", 0) - kinds_before.get("query", 0) == 1
    assert summary["api_calls"] == after["api_calls"] - before["api_calls"]

    # Same report again: everything unchanged, no update call at all.
    second = run_target(config, singer_lines(rows, state={"bookmarks": {"onboarding": 5}}))
    assert second.error is None
    latest = second.summaries[-1]
    assert latest["counts"]["updated"] == 0 and latest["counts"]["unchanged"] == 2
    final = sf.stats()
    assert final["requests_by_kind"].get("collections_update", 0) == kinds_after.get(
        "collections_update", 0
    )
    assert final["records_updated"] == after["records_updated"]


def test_injection_shaped_keys_match_only_themselves(sf, base_config):
    d = unique_domain()
    seed_contacts(sf, d, rows=[{"Email": f"o'brien@{d}"}, {"Email": f"plain@{d}"}])
    keys = [
        f"o'brien@{d}",
        "x' OR Email != '",
        "a\\' OR Email != null OR Email = '",
        f"back\\slash@{d}",
        'q"uote@x.io',
    ]
    rows = [{"email": key, "segment": "Injected"} for key in keys]
    run = run_target(base_config(), singer_lines(rows))
    assert run.error is None, run.error
    counts = run.summary()["counts"]
    assert counts["updated"] == 1
    assert counts["unmatched"] == len(keys) - 1
    records = by_email(sf)
    assert records[f"o'brien@{d}"][0]["WalkMe_Segment__c"] == "Injected"
    assert records[f"plain@{d}"][0].get("WalkMe_Segment__c") in (None, "")
    others = [r for r in sf.records("Contact") if r.get("WalkMe_Segment__c") == "Injected"]
    assert len(others) == 1


def test_duplicates_on_both_sides_update_all(sf, base_config):
    d = unique_domain()
    seed_contacts(sf, d, rows=[{"Email": f"dup@{d}"}, {"Email": f"DUP@{d}"}, {"Email": f"one@{d}"}])
    rows = [
        {"email": f"Dup@{d}", "segment": "First", "progress": "10"},
        {"email": f"one@{d}", "segment": "One"},
        {"email": f"dup@{d}", "segment": "Second"},
    ]
    run = run_target(base_config(), singer_lines(rows))
    assert run.error is None, run.error
    dups = by_email(sf)[f"dup@{d}"]
    assert len(dups) == 2
    assert {r["WalkMe_Segment__c"] for r in dups} == {"Second"}  # later row wins
    assert {r["WalkMe_Onboarding_Progress__c"] for r in dups} == {10.0}  # merged, not lost
    summary = run.summary()
    assert summary["counts"]["updated"] == 3
    assert summary["keys_with_multiple_matches"] == 1
    updated = {r["row"]: r for r in run.rows("updated")}
    assert len(updated["1"]["record_ids"].split(";")) == 2


def test_duplicates_skip_and_fail_policies(sf, base_config):
    d = unique_domain()
    seed_contacts(sf, d, rows=[{"Email": f"dup@{d}"}, {"Email": f"dup@{d}"}, {"Email": f"one@{d}"}])
    rows = [{"email": f"dup@{d}", "segment": "X"}, {"email": f"one@{d}", "segment": "Y"}]
    run = run_target(base_config(multiple_matches="skip"), singer_lines(rows, state={"s": 1}))
    assert run.error is None
    assert run.stdout == ['{"s": 1}']
    assert run.summary()["counts"]["ambiguous"] == 1
    ambiguous = run.rows("ambiguous")
    assert ambiguous[0]["error_code"] == "MULTIPLE_MATCHES"
    assert len(ambiguous[0]["record_ids"].split(";")) == 2
    assert {r.get("WalkMe_Segment__c") for r in by_email(sf)[f"dup@{d}"]} == {None}
    assert by_email(sf)[f"one@{d}"][0]["WalkMe_Segment__c"] == "Y"

    sf.reset()
    seed_contacts(sf, d, rows=[{"Email": f"dup@{d}"}, {"Email": f"dup@{d}"}, {"Email": f"one@{d}"}])
    writes_before = sf.stats()["records_updated"]
    failing = run_target(base_config(multiple_matches="fail"), singer_lines(rows, state={"s": 2}))
    assert failing.error is not None
    assert "multiple_matches is 'fail'" in str(failing.error)
    assert failing.stdout == []  # no STATE: the batch was not written
    assert sf.stats()["records_updated"] == writes_before
    assert failing.summaries[-1]["status"] == "failed"


def test_deleted_records_are_not_matched(sf, base_config):
    d = unique_domain()
    seed_contacts(sf, d, rows=[{"Email": f"gone@{d}", "IsDeleted": True}, {"Email": f"here@{d}"}])
    rows = [{"email": f"gone@{d}", "segment": "X"}, {"email": f"here@{d}", "segment": "X"}]
    run = run_target(base_config(), singer_lines(rows))
    assert run.error is None
    counts = run.summary()["counts"]
    assert (counts["updated"], counts["unmatched"]) == (1, 1)
    gone = [r for r in sf.records("Contact") if (r.get("Email") or "").lower() == f"gone@{d}"]
    assert gone and gone[0].get("WalkMe_Segment__c") in (None, "")


def test_converted_leads_are_not_matched(sf, base_config):
    d = unique_domain()
    sf.seed(
        {
            "records": {
                "Lead": [
                    {"LastName": "L", "Company": "C", "Email": f"conv@{d}", "IsConverted": True},
                    {"LastName": "L", "Company": "C", "Email": f"open@{d}"},
                ]
            }
        }
    )
    rows = [{"email": f"conv@{d}", "segment": "X"}, {"email": f"open@{d}", "segment": "X"}]
    run = run_target(base_config(sobject="Lead"), singer_lines(rows))
    assert run.error is None, run.error
    counts = run.summary()["counts"]
    assert (counts["updated"], counts["unmatched"], counts["failed"]) == (1, 1, 0)
    leads = by_email(sf, "Lead")
    assert leads[f"open@{d}"][0]["WalkMe_Segment__c"] == "X"
    assert leads[f"conv@{d}"][0].get("WalkMe_Segment__c") in (None, "")


def test_null_policies(sf, base_config):
    d = unique_domain()
    seed_contacts(
        sf,
        d,
        rows=[
            {"Email": f"n@{d}", "WalkMe_Segment__c": "Keep", "WalkMe_Onboarding_Completed__c": True}
        ],
    )
    rows = [{"email": f"n@{d}", "segment": "", "completed": None}]
    run = run_target(base_config(), singer_lines(rows))
    assert run.summary()["counts"]["unchanged"] == 1
    assert by_email(sf)[f"n@{d}"][0]["WalkMe_Segment__c"] == "Keep"
    run = run_target(base_config(null_values="clear"), singer_lines(rows))
    assert run.error is None, run.error
    assert run.summaries[-1]["counts"]["updated"] == 1
    record = by_email(sf)[f"n@{d}"][0]
    assert record.get("WalkMe_Segment__c") in (None, "")
    assert record["WalkMe_Onboarding_Completed__c"] in (False, 0)


def test_dry_run_writes_nothing_and_reports_what_would_change(sf, base_config):
    d = unique_domain()
    seed_contacts(sf, d, rows=[{"Email": f"dry@{d}", "WalkMe_Segment__c": "Old"}])
    before = sf.stats()
    run = run_target(
        base_config(dry_run=True), singer_lines([{"email": f"dry@{d}", "segment": "New"}])
    )
    assert run.error is None
    assert by_email(sf)[f"dry@{d}"][0]["WalkMe_Segment__c"] == "Old"
    assert sf.stats()["records_updated"] == before["records_updated"]
    assert run.summary()["dry_run"] is True
    updated = run.rows("updated")
    assert updated[0]["outcome"] == "would_update"
    assert json.loads(updated[0]["new_values"]) == {"WalkMe_Segment__c": "New"}


def test_bulk_write_method(sf, base_config):
    d = unique_domain()
    seed_contacts(sf, d, rows=({"Email": f"b{i}@{d}"} for i in range(5)))
    rows = [{"email": f"b{i}@{d}", "segment": f"S{i}"} for i in range(5)]
    jobs_before = sf.stats()["bulk_jobs"]
    run = run_target(base_config(write_method="auto", bulk_threshold=3), singer_lines(rows))
    assert run.error is None, run.error
    assert sf.stats()["bulk_jobs"] == jobs_before + 1
    assert run.summary()["counts"]["updated"] == 5
    records = by_email(sf)
    assert [records[f"b{i}@{d}"][0]["WalkMe_Segment__c"] for i in range(5)] == [
        f"S{i}" for i in range(5)
    ]


def test_per_record_errors_are_kept_with_salesforce_code(sf, base_config):
    d = unique_domain()
    sf.seed(
        {
            "validation_rules": [
                {
                    "object": "Contact",
                    "name": "No_Blocked_Segment",
                    "field": "WalkMe_Segment__c",
                    "condition": "WalkMe_Segment__c = 'Blocked'",
                    "message": "Segment Blocked is not allowed",
                }
            ]
        }
    )
    seed_contacts(sf, d, rows=[{"Email": f"ok@{d}"}, {"Email": f"bad@{d}"}])
    rows = [{"email": f"ok@{d}", "segment": "Fine"}, {"email": f"bad@{d}", "segment": "Blocked"}]
    run = run_target(base_config(fail_on="run_failure"), singer_lines(rows, state={"s": 1}))
    assert run.error is None, run.error  # fail_on: run_failure — rows alone do not fail it
    assert run.stdout == []  # but the bookmark is withheld: the next run re-reads the export
    assert run.summary()["status"] == "completed_with_failures"
    counts = run.summary()["counts"]
    assert (counts["updated"], counts["failed"]) == (1, 1)
    failed = run.rows("failed")[0]
    assert failed["outcome"] == "failed"
    assert failed["error_code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert "Segment Blocked is not allowed" in failed["error_message"]
    assert failed["record_ids"] == by_email(sf)[f"bad@{d}"][0]["Id"]

    # The default fail_on (failed_rows) makes the same outcome exit non-zero.
    default = run_target(base_config(), singer_lines(rows, state={"s": 1}))
    assert default.error is not None and "fail_on is 'failed_rows'" in str(default.error)
    assert default.stdout == []
    assert default.summary()["exit_nonzero"] is True

    # fail_on_rejections (deprecated alias of fail_on: rejected_rows) also fails on rejections.
    sf.reset()
    seed_contacts(sf, d, rows=[{"Email": f"ok@{d}"}])
    strict = run_target(
        base_config(fail_on_rejections=True),
        singer_lines([{"email": f"ok@{d}", "progress": "much"}], state={"s": 2}),
    )
    assert strict.error is not None and "fail_on is 'rejected_rows'" in str(strict.error)
    assert strict.stdout == []
    assert strict.summaries[-1]["status"] == "completed_with_rejections"
    assert strict.summaries[-1]["exit_nonzero"] is True


def test_several_streams_with_overrides(sf, base_config):
    d = unique_domain()
    seed_contacts(sf, d, rows=[{"Email": f"c@{d}"}])
    sf.seed({"records": {"Lead": [{"LastName": "L", "Company": "C", "Email": f"l@{d}"}]}})
    config = base_config(
        streams={"nps": {"sobject": "Lead", "field_mapping": {"segment": "WalkMe_Segment__c"}}}
    )
    lines = [
        schema_message("onboarding"),
        schema_message("nps"),
        record_message({"email": f"c@{d}", "segment": "C"}, "onboarding"),
        record_message({"email": f"l@{d}", "segment": "L"}, "nps"),
    ]
    run = run_target(config, lines)
    assert run.error is None, run.error
    assert by_email(sf)[f"c@{d}"][0]["WalkMe_Segment__c"] == "C"
    assert by_email(sf, "Lead")[f"l@{d}"][0]["WalkMe_Segment__c"] == "L"
    assert run.summary("nps")["object"] == "Lead"
    assert run.summary("onboarding")["object"] == "Contact"


def test_many_long_keys_are_split_into_queries_under_the_url_limit(sf, base_config):
    d = unique_domain()
    emails = [f"{'very.long.local.part.' * 3}{i:04d}@{d}" for i in range(400)]
    sf.seed({"records": {"Contact": [{"LastName": "L", "Email": e} for e in emails]}})
    before = sf.stats()["requests_by_kind"].get("query", 0)
    rows = [{"email": e.upper(), "segment": "Long"} for e in emails]
    run = run_target(base_config(), singer_lines(rows))
    assert run.error is None, run.error
    assert run.summary()["counts"]["updated"] == 400
    queries = sf.stats()["requests_by_kind"].get("query", 0) - before
    # ~90 encoded characters per key: several statements, each under the request-line limit.
    assert 3 <= queries <= 8
    assert {r["WalkMe_Segment__c"] for r in sf.records("Contact") if r["Email"] in set(emails)} == {
        "Long"
    }


def test_one_bulk_job_per_stream_and_later_batches_still_win(sf, base_config):
    """Changes of every batch wait for one Bulk job per stream; a key coming back in a later
    batch has the waiting changes written first, so the later row wins (as within a batch)."""
    d = unique_domain()
    seed_contacts(sf, d, rows=({"Email": f"j{i}@{d}"} for i in range(6)))
    rows = [{"email": f"j{i}@{d}", "segment": "First"} for i in range(6)]
    rows.append({"email": f"J0@{d}", "segment": "Later"})  # batch 4: key of batch 1
    jobs_before = sf.stats()["bulk_jobs"]
    config = base_config(batch_size_rows=2, bulk_threshold=1)
    run = run_target(config, singer_lines(rows))
    assert run.error is None, run.error
    # One job for batches 1-3, written before batch 4 is compared; one for batch 4.
    assert sf.stats()["bulk_jobs"] == jobs_before + 2
    records = by_email(sf)
    assert records[f"j0@{d}"][0]["WalkMe_Segment__c"] == "Later"
    assert {records[f"j{i}@{d}"][0]["WalkMe_Segment__c"] for i in range(1, 6)} == {"First"}
    assert run.summary()["counts"]["updated"] == 7
    assert sorted(int(r["row"]) for r in run.rows("updated")) == list(range(1, 8))

    again = run_target(config, singer_lines(rows[:6]))
    assert again.error is None, again.error
    assert sf.stats()["bulk_jobs"] == jobs_before + 3  # j0 goes back to First; nothing else
    assert again.summary()["counts"] == {
        "updated": 1,
        "unchanged": 5,
        "unmatched": 0,
        "ambiguous": 0,
        "failed": 0,
        "rejected": 0,
    }


def test_multiple_matches_fail_writes_earlier_batches_not_the_failing_one(sf, base_config):
    d = unique_domain()
    seed_contacts(sf, d, rows=[{"Email": f"ok@{d}"}, {"Email": f"dup@{d}"}, {"Email": f"dup@{d}"}])
    rows = [{"email": f"ok@{d}", "segment": "Early"}, {"email": f"dup@{d}", "segment": "X"}]
    run = run_target(
        base_config(multiple_matches="fail", batch_size_rows=1), singer_lines(rows, state={"s": 1})
    )
    assert run.error is not None
    assert "multiple_matches is 'fail'" in str(run.error)
    assert run.stdout == []
    records = by_email(sf)
    assert records[f"ok@{d}"][0]["WalkMe_Segment__c"] == "Early"  # batch 1 left the spool
    assert {r.get("WalkMe_Segment__c") for r in records[f"dup@{d}"]} == {None}
    counts = run.summary()["counts"]
    assert (counts["updated"], counts["ambiguous"]) == (1, 1)


def test_schema_change_mid_stream_keeps_later_rows_winning(sf, base_config):
    """A new SCHEMA for the stream makes a new sink; the older sink's waiting changes are
    written first, so a later row setting the old value back still wins."""
    from target_harness import STREAM_SCHEMA

    d = unique_domain()
    seed_contacts(sf, d, rows=[{"Email": f"s@{d}", "WalkMe_Segment__c": "Orig"}])
    wider = {
        **STREAM_SCHEMA,
        "properties": {**STREAM_SCHEMA["properties"], "extra": {"type": ["string", "null"]}},
    }
    lines = [
        schema_message(),
        record_message({"email": f"s@{d}", "segment": "New"}),
        schema_message(schema=wider),
        record_message({"email": f"s@{d}", "segment": "Orig", "extra": "x"}),
    ]
    run = run_target(base_config(), lines)
    assert run.error is None, run.error
    assert by_email(sf)[f"s@{d}"][0]["WalkMe_Segment__c"] == "Orig"


def test_streams_are_written_at_the_same_time(sf, base_config):
    """Each stream's batches run in that sink's own worker thread, so two streams talk to
    Salesforce at the same time even with ``max_concurrency: 1`` (one call at a time per
    stream) and the SDK draining sinks one after the other: the emulator sees two requests in
    flight at once. Processed one stream after the other, the peak would be 1."""
    d = unique_domain()
    sf.seed(
        {
            "records": {
                "Contact": [{"LastName": "C", "Email": f"c{i}@{d}"} for i in range(3)],
                "Lead": [{"LastName": "L", "Company": "C", "Email": f"l{i}@{d}"} for i in range(3)],
            }
        }
    )
    config = base_config(
        max_concurrency=1,
        write_method="collections",
        streams={"nps": {"sobject": "Lead", "field_mapping": {"segment": "WalkMe_Segment__c"}}},
    )
    lines = [schema_message("onboarding"), schema_message("nps")]
    for i in range(3):
        lines.append(record_message({"email": f"c{i}@{d}", "segment": "C"}, "onboarding"))
        lines.append(record_message({"email": f"l{i}@{d}", "segment": "L"}, "nps"))
    sf.faults(latency_ms=400)
    assert sf.stats()["peak_concurrent_requests"] == 0  # reset by the fixture
    run = run_target(config, lines)
    peak = sf.stats()["peak_concurrent_requests"]
    sf.faults(clear=True)
    assert run.error is None, run.error
    assert peak == 2
    assert all(by_email(sf)[f"c{i}@{d}"][0]["WalkMe_Segment__c"] == "C" for i in range(3))
    assert all(by_email(sf, "Lead")[f"l{i}@{d}"][0]["WalkMe_Segment__c"] == "L" for i in range(3))
    assert run.summary("nps")["counts"]["updated"] == 3
    assert run.summary("onboarding")["counts"]["updated"] == 3
