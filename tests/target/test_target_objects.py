"""Custom objects, other match fields, bulk per-record errors, environment and progress logs."""

from __future__ import annotations

import logging

from target_harness import run_target, singer_lines, unique_domain

SURVEY = {
    "objects": [
        {
            "name": "Survey_Response__c",
            "label": "Survey Response",
            "fields": [
                {
                    "name": "Respondent_Key__c",
                    "type": "string",
                    "length": 40,
                    "unique": True,
                    "externalId": True,
                    "filterable": True,
                    "updateable": True,
                },
                {
                    "name": "Score__c",
                    "type": "double",
                    "precision": 3,
                    "scale": 0,
                    "updateable": True,
                },
                {"name": "Answered_On__c", "type": "date", "updateable": True},
            ],
        }
    ]
}


def test_custom_object_matched_on_an_external_id_text_field(sf, base_config):
    sf.seed(SURVEY)
    sf.seed(
        {
            "records": {
                "Survey_Response__c": [
                    {"Respondent_Key__c": "K-1", "Score__c": 3},
                    {"Respondent_Key__c": "k-2", "Score__c": 5},
                ]
            }
        }
    )
    config = base_config(
        sobject="Survey_Response__c",
        match_property="email",
        match_field="Respondent_Key__c",
        field_mapping={"nps": "Score__c", "last_seen": "Answered_On__c"},
    )
    rows = [
        {"email": "k-1", "nps": "9", "last_seen": "2026-02-03T23:59:00Z"},
        {"email": "K-2", "nps": "5"},
        {"email": "K-3", "nps": "1"},
    ]
    run = run_target(config, singer_lines(rows))
    assert run.error is None, run.error
    counts = run.summary()["counts"]
    assert (counts["updated"], counts["unchanged"], counts["unmatched"]) == (1, 1, 1)
    records = {r["Respondent_Key__c"]: r for r in sf.records("Survey_Response__c")}
    assert records["K-1"]["Score__c"] == 9
    assert records["K-1"]["Answered_On__c"] == "2026-02-03"
    assert set(records) == {"K-1", "k-2"}  # K-3 was not created


def test_bulk_per_record_errors_and_summary_environment(sf, base_config, monkeypatch):
    monkeypatch.setenv("MELTANO_ENVIRONMENT", "staging")
    monkeypatch.setenv("MELTANO_RUN_ID", "feedbeef-0000-0000-0000-000000000000")
    d = unique_domain()
    sf.seed({"records": {"Contact": [{"LastName": "B", "Email": f"b{i}@{d}"} for i in range(4)]}})
    rows = [{"email": f"b{i}@{d}", "nps": "42" if i == 2 else str(i)} for i in range(4)]
    config = base_config(write_method="bulk", field_mapping={"nps": "WalkMe_NPS_Score__c"})
    run = run_target(config, singer_lines(rows))
    assert run.error is not None and "completed_with_failures" in str(run.error)
    summary = run.summary()
    assert summary["status"] == "completed_with_failures" and summary["exit_nonzero"] is True
    assert summary["environment"] == "staging"
    assert summary["run_id"] == "feedbeef-0000-0000-0000-000000000000"
    assert run.summaries[-1]["results_dir"].endswith("-feedbeef")
    assert summary["counts"]["updated"] == 3 and summary["counts"]["failed"] == 1
    failed = run.rows("failed")[0]
    assert failed["key"] == f"b2@{d}"
    assert failed["error_code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert "NPS score must be between 0 and 10" in failed["error_message"]


def test_progress_lines_on_long_runs(sf, base_config, caplog):
    d = unique_domain()
    sf.seed({"records": {"Contact": [{"LastName": "P", "Email": f"p{i}@{d}"} for i in range(4)]}})
    rows = [{"email": f"p{i}@{d}", "segment": "P"} for i in range(4)]
    with caplog.at_level(logging.INFO):
        run = run_target(base_config(progress_interval=0, batch_size_rows=2), singer_lines(rows))
    assert run.error is None
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Progress:")]
    assert progress, "no progress line"
    assert progress[0].startswith("Progress: stream=onboarding object=Contact rows=")
    summaries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Summary:")]
    assert len(summaries) == 1
    assert summaries[0].startswith(
        "Summary: stream=onboarding object=Contact updated=4 unchanged=0 unmatched=0 "
        "ambiguous=0 failed=0 rejected=0 api_calls="
    )
    assert " status=completed results=" in summaries[0]
