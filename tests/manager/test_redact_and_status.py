"""Pure rules of the manager: signed-link redaction, run status combination, the alert rule,
and the sample-value check behind `add`/`edit` (no subprocesses)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from walkme_salesforce import alerts
from walkme_salesforce.errors import SetupError
from walkme_salesforce.integrations import Integration
from walkme_salesforce.mapping import check_samples, sample_problem, target_candidates
from walkme_salesforce.redact import REDACTED_QUERY, is_signed_url, redact_text, redact_url
from walkme_salesforce.report_columns import ReportColumns
from walkme_salesforce.report_source import shown_source, source_env_name
from walkme_salesforce.run_history import StreamResult, combined_status
from walkme_salesforce.runner import RunOutcome

S3 = (
    "https://bucket.s3.amazonaws.com/insights/onboarding.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=deadbeefcafe"
)


@pytest.mark.parametrize(
    "url",
    [
        S3,
        "https://acct.blob.core.windows.net/c/r.csv?sv=2022-11-02&se=2026&sig=c2VjcmV0",
        "https://walkme.example/g_reports/1.csv?Expires=1&Signature=abc123",
        "https://storage.googleapis.com/b/r.csv?X-Goog-Signature=0f0f&X-Goog-Date=1",
        "https://export.example/r.csv?token=tok-123",
        "https://user:hunter2@export.example/r.csv",
    ],
)
def test_signed_links_are_redacted(url: str) -> None:
    assert is_signed_url(url)
    line = f"Downloaded {url} (12 bytes)."
    redacted = redact_text(line)
    for secret in ("deadbeefcafe", "c2VjcmV0", "abc123", "0f0f", "tok-123", "hunter2"):
        assert secret not in redacted
    assert redacted.startswith("Downloaded https://")
    assert redacted.endswith(" (12 bytes).")


def test_plain_locations_are_left_alone() -> None:
    for url in ("s3://bucket/insights/", "https://walkme.example/r.csv?page=2", "/data/x.csv"):
        assert not is_signed_url(url)
        assert redact_url(url) == url
    assert redact_url(S3) == (
        "https://bucket.s3.amazonaws.com/insights/onboarding.csv?" + REDACTED_QUERY
    )


def test_list_shows_references_and_redacts_signed_links() -> None:
    assert source_env_name("nps-leads") == "WALKME_NPS_LEADS_SOURCE"
    assert shown_source("${WALKME_NPS_SOURCE}") == "${WALKME_NPS_SOURCE} (kept in .env)"
    shown = shown_source(S3)
    assert "deadbeefcafe" not in shown and "move it to .env" in shown


@pytest.mark.parametrize(
    ("meltano", "streams", "expected"),
    [
        ("completed", ["completed"], "completed"),
        ("completed", ["completed_with_rejections"], "completed_with_rejections"),
        ("failed", ["completed_with_failures"], "completed_with_failures"),
        ("completed", ["completed", "completed_with_failures"], "completed_with_failures"),
        ("completed", ["completed_with_rejections", "failed"], "failed"),
        ("failed", ["completed"], "failed"),
        ("failed (stale)", ["completed"], "failed (stale)"),
        ("completed", ["some_new_status"], "some_new_status"),
        ("running", ["completed"], "running"),
        ("failed", [], "failed"),
    ],
)
def test_combined_status(meltano: str, streams: list[str], expected: str) -> None:
    assert combined_status(meltano, streams) == expected


def _outcome(status: str, exit_code: int = 0, **counts: int) -> RunOutcome:
    stream = StreamResult("r", "Contact", dict(counts), status, None)
    return RunOutcome(
        job="walkme-r-to-salesforce",
        environment="prod",
        integration="r",
        run_id="01",
        status=status,
        exit_code=exit_code,
        streams=[stream],
        counts=dict(counts),
        project_root=Path("/nonexistent"),
    )


def test_alert_rule() -> None:
    clean = _outcome("completed", updated=3)
    rejected = _outcome("completed_with_rejections", rejected=1)
    failed = _outcome("failed", 1)
    assert not alerts.should_alert(clean, "issues")
    assert alerts.should_alert(rejected, "issues")
    assert not alerts.should_alert(rejected, "failure")
    assert alerts.should_alert(failed, "failure")
    assert not alerts.should_alert(failed, "never")
    dry = _outcome("completed_with_rejections", rejected=1)
    dry.dry_run = True
    assert not alerts.should_alert(dry, "issues")
    title, body = alerts.alert_message(rejected)
    assert "r (prod) completed_with_rejections" in title
    assert "rejected=1" in body and "run-log 01" in body


def test_alert_rule_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "WALKME_SALESFORCE_ALERT_URLS='json://a.example/x, json://b.example/y'\n"
        "WALKME_SALESFORCE_ALERT_ON='failure'\n"
    )
    monkeypatch.delenv(alerts.ALERT_URLS_ENV, raising=False)
    monkeypatch.delenv(alerts.ALERT_ON_ENV, raising=False)
    assert alerts.configured_urls(tmp_path) == ["json://a.example/x", "json://b.example/y"]
    assert alerts.alert_rule(tmp_path) == "failure"
    monkeypatch.setenv(alerts.ALERT_ON_ENV, "issues")
    assert alerts.alert_rule(tmp_path) == "issues"
    assert alerts.alert_rule(None) == "issues"
    monkeypatch.setenv(alerts.ALERT_ON_ENV, "weekly")
    with pytest.raises(SetupError, match="issues, failure, never"):
        alerts.alert_rule(tmp_path)
    assert not alerts.send_alert("t", "b", urls=[])


DESCRIBED = {
    "name": "Contact",
    "fields": [
        {"name": "Email", "type": "email", "updateable": True, "filterable": True},
        {"name": "Segment__c", "type": "string", "length": 10, "updateable": True},
        {"name": "Notes__c", "type": "textarea", "length": 1000, "updateable": True},
        {
            "name": "Level__c",
            "type": "picklist",
            "restrictedPicklist": True,
            "picklistValues": [{"value": "Low"}, {"value": "High"}],
            "updateable": True,
        },
    ],
}


def _columns(samples: dict[str, list[object]]) -> ReportColumns:
    properties = {"id": {"type": ["string"]}, **{p: {"type": ["string", "null"]} for p in samples}}
    return ReportColumns(
        stream="r",
        schema={"type": "object", "properties": properties},
        headers={"id": "ID", "level": "Level", "note": "Note"},
        samples=samples,
    )


def test_choice_lists_offer_only_fields_the_sample_fits() -> None:
    columns = _columns({"level": ["High", "low", None], "note": ["a long note" + "!" * 25]})
    assert target_candidates(columns, "level", DESCRIBED, {"Email"}) == [
        "Level__c",
        "Notes__c",
        "Segment__c",
    ]
    assert target_candidates(columns, "note", DESCRIBED, {"Email"}) == ["Notes__c"]
    problem = sample_problem(columns.samples["note"], DESCRIBED["fields"][1])
    assert problem is not None and problem.startswith("sample row 1: value is 36 characters")
    assert "a long note" not in problem and "!" * 10 not in problem


def test_a_misfit_mapping_names_column_field_problem_and_fix() -> None:
    columns = _columns({"note": ["fine", "é" * 50]})
    integration = Integration(
        name="r",
        source="/x.csv",
        key_column="ID",
        sobject="Contact",
        match_property="id",
        match_field="Email",
        field_mapping={"note": "Segment__c"},
    )
    with pytest.raises(SetupError) as raised:
        check_samples(integration, DESCRIBED, columns)
    text = str(raised.value)
    assert "column 'Note' (note) → Contact.Segment__c: sample row 2:" in text
    assert "50 characters, longer than Segment__c's limit of 10" in text
    assert "Fix: map the column to a longer text field" in text
    assert "Fields this column's sample fits: Notes__c." in text
    assert "é" * 20 not in text


def test_apprise_logs_never_carry_the_alert_urls_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "xoxb-SECRET-0123456789"
    # a webhook whose path is its token (as Slack's is), on a closed local port; a bad URL
    urls = [f"json://user:{secret}@127.0.0.1:9/hook/{secret}", f"notaurl://{secret}/x"]
    assert not alerts.send_alert("title", "body", urls=urls)
    assert caplog.records, "apprise and the manager said why"
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert "1 of 2 alert URL(s)" in caplog.text
