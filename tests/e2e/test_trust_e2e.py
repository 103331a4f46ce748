"""Issue 11 through Meltano: a run's word can be trusted, seen from `meltano run` itself.

The target-level tests (tests/target/test_target_row_trust.py, test_target_bulk_trust.py,
tests/safety/test_safety_bulk_journal.py) feed the target Singer text; these run the real
`meltano --environment demo run <job>` of this project against both emulators and check what a
user sees afterwards — the org's records (the Salesforce emulator's inspection API), the
target's summary.json, Meltano's saved state and `walkme-salesforce runs --json`:

- rejected rows → `completed_with_rejections`, the bookmark is not saved, the next run re-reads
  the same export and writes nothing that already landed; `fail_on: rejected_rows` makes
  `meltano run` exit 1 and the run `failed` in the history; fixed rows land on the next run;
- a dry run (without `--no-state-update`) saves no state that moves the bookmark;
- 10 % UNABLE_TO_LOCK_ROW + 20 % HTTP 503 on 3,000 rows in `write_method: auto`;
- `#N/A`, CRLF and a bare CR inside a text value land exactly through the Bulk path, and a row
  the org refuses (validation rule) fails the job (default `fail_on`) without a bookmark;
- SIGTERM to `meltano run` while its Bulk job waits aborts the job; the next run reconciles it.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_project import MELTANO, ROOT, Project

pytestmark = pytest.mark.slow

ONBOARDING_JOB = "walkme-onboarding-to-salesforce"
NPS_JOB = "walkme-nps-to-salesforce"
STATE_ID = {
    name: f"demo:tap-walkme-insights--{name}-to-target-salesforce-update--{name}"
    for name in ("onboarding", "nps")
}
# a date-time no Salesforce type can hold (before year 1 in UTC), and a restricted picklist miss
BAD_DATETIME = "0001-01-01T00:00:00+01:00"
BAD_PICKLIST = "Extreme"


# ------------------------------------------------------------------------------- helpers


def reports_dir(project: Project) -> Path:
    """The folder the WalkMe emulator serves this test's reports from."""
    assert project.walkme.reports_dir is not None
    return Path(project.walkme.reports_dir)


def read_report(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_report(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """An export as WalkMe writes it: RFC 4180, CRLF rows, a CR/LF inside a value quoted."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def single_live_matches(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Records by case-folded Email, for e-mails held by exactly one live, unconverted record."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.get("IsDeleted") in (1, True) or not record.get("Email"):
            continue
        grouped.setdefault(record["Email"].strip().casefold(), []).append(record)
    return {
        email: found[0]
        for email, found in grouped.items()
        if len(found) == 1 and found[0].get("IsConverted") not in (1, True)
    }


def by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["Id"]: record for record in records}


def run(project: Project, job: str, **settings: str):
    """`meltano --environment demo run JOB`, target settings given as their env variables."""
    env = {f"TARGET_SALESFORCE_UPDATE_{name.upper()}": value for name, value in settings.items()}
    return project.meltano("--environment", "demo", "run", job, env=env)


def last_summary(project: Project, stream: str) -> dict[str, Any]:
    found = [s for s in project.summaries() if s.get("stream") == stream]
    assert found, f"no summary.json for {stream} under {project.results_dir}"
    return found[-1]


def results_rows(summary: dict[str, Any], name: str) -> list[dict[str, str]]:
    path = Path(summary["results_dir"]) / f"{name}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def runs(project: Project) -> list[dict[str, Any]]:
    """`walkme-salesforce runs --json`, newest first."""
    listed = project.runs_cli("runs", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)["runs"]


def flat(text: str) -> str:
    """Console/log text without Meltano's line wrapping."""
    return " ".join(text.split())


# --------------------------------------------------------------- rejected rows and dry run


def test_rejected_rows_withhold_the_bookmark_fail_on_and_dry_run_through_meltano(
    project: Project,
) -> None:
    """Rejections: honest status, no bookmark, re-read, fail_on; then a dry run saves no state."""
    report = reports_dir(project) / "onboarding.csv"
    header, rows = read_report(report)
    contacts = single_live_matches(project.salesforce.records("Contact"))
    keys = [row["End User ID"].strip().casefold() for row in rows]
    # two rows, each the only one of its key, whose single Contact has no WalkMe values yet
    chosen = [
        i
        for i, k in enumerate(keys)
        if keys.count(k) == 1
        and (record := contacts.get(k))
        and record.get("WalkMe_Total_Sessions__c") is None
    ][:2]
    assert len(chosen) == 2, "the demo world has no two plain updatable rows"
    bad_time, bad_pick = chosen
    good = {i: dict(rows[i]) for i in chosen}
    rows[bad_time]["First seen timestamp"] = BAD_DATETIME
    rows[bad_pick]["Feature Adoption"] = BAD_PICKLIST
    write_report(report, header, rows)
    rejected_ids = {contacts[rows[i]["End User ID"].strip().casefold()]["Id"] for i in chosen}
    before = by_id(project.salesforce.records("Contact"))

    # 1. default fail_on (failed_rows): the job succeeds, but says what did not land
    first = run(project, ONBOARDING_JOB)

    assert first.returncode == 0, first.output[-5000:]
    summary = last_summary(project, "onboarding")
    assert summary["status"] == "completed_with_rejections", summary
    assert summary["counts"]["rejected"] == 2, summary["counts"]
    assert summary["bookmark_withheld"] is True
    assert summary["exit_nonzero"] is False
    updated_first = summary["counts"]["updated"]
    assert updated_first > 0
    rejected = {row["row"]: row for row in results_rows(summary, "failed")}
    assert sorted(rejected) == sorted(str(i + 1) for i in chosen), rejected
    assert all(row["outcome"] == "rejected" for row in rejected.values())
    assert "0001" in rejected[str(bad_time + 1)]["error_message"] or "year" in (
        rejected[str(bad_time + 1)]["error_message"].lower()
    ), rejected[str(bad_time + 1)]
    assert "picklist" in rejected[str(bad_pick + 1)]["error_message"].lower(), rejected
    # a rejected row's values do not land, not even its valid ones
    after = by_id(project.salesforce.records("Contact"))
    for record_id in rejected_ids:
        assert after[record_id] == before[record_id]
    assert project.state(STATE_ID["onboarding"]) == {}, "the bookmark passed rejected rows"
    log = flat(project.latest_log())
    assert "Bookmark withheld for stream onboarding" in log, log[-3000:]
    assert "status=completed_with_rejections" in log
    newest = runs(project)[0]
    assert newest["meltano_status"] == "completed", newest
    assert [s["status"] for s in newest["streams"]] == ["completed_with_rejections"]
    assert newest["status"] == "completed_with_rejections", newest  # never "completed"
    assert newest["streams"][0]["counts"]["updated"] == updated_first
    updates = project.salesforce.stats()["records_updated"]

    # 2. the same export again, now with fail_on: rejected_rows — re-read, nothing rewritten
    second = run(project, ONBOARDING_JOB, fail_on="rejected_rows")

    assert second.returncode == 1, second.output[-5000:]
    assert "nothing to emit" not in flat(second.output), "the export was skipped"
    summary = last_summary(project, "onboarding")
    assert summary["status"] == "completed_with_rejections", summary
    assert summary["exit_nonzero"] is True
    assert summary["counts"]["rejected"] == 2
    assert summary["counts"]["updated"] == 0, "values that landed were written again"
    assert summary["counts"]["unchanged"] >= updated_first
    assert project.salesforce.stats()["records_updated"] == updates
    assert project.state(STATE_ID["onboarding"]) == {}
    newest = runs(project)[0]
    assert newest["meltano_status"] == "failed", newest  # the job failed for the scheduler
    assert [s["status"] for s in newest["streams"]] == ["completed_with_rejections"]
    assert newest["status"] == "completed_with_rejections", newest

    # 3. the report is fixed: the next run writes exactly the two rows, and the bookmark moves
    for i in chosen:
        rows[i] = good[i]
    write_report(report, header, rows)
    third = run(project, ONBOARDING_JOB, fail_on="rejected_rows")

    assert third.returncode == 0, third.output[-5000:]
    summary = last_summary(project, "onboarding")
    assert summary["status"] == "completed", summary
    assert summary["bookmark_withheld"] is False
    assert summary["counts"]["updated"] == 2 and summary["counts"]["rejected"] == 0
    assert project.salesforce.stats()["records_updated"] == updates + 2
    after = by_id(project.salesforce.records("Contact"))
    for i in chosen:
        record = after[contacts[rows[i]["End User ID"].strip().casefold()]["Id"]]
        assert record["WalkMe_Feature_Adoption__c"] == rows[i]["Feature Adoption"]
        assert float(record["WalkMe_Total_Sessions__c"]) == float(rows[i]["Total sessions"])
        assert record["WalkMe_First_Seen__c"].startswith(rows[i]["First seen timestamp"][:19])
    synced = project.state(STATE_ID["onboarding"])
    assert synced["singer_state"]["bookmarks"]["onboarding"]["export"], synced
    assert runs(project)[0]["status"] == "completed"

    # 4. a new export, read as a dry run without --no-state-update: no write, no state moved
    target_row = rows[chosen[0]]
    target_row["Total sessions"] = str(int(float(target_row["Total sessions"])) + 1)
    write_report(report, header, rows)
    dry = run(project, ONBOARDING_JOB, dry_run="true")

    assert dry.returncode == 0, dry.output[-5000:]
    summary = last_summary(project, "onboarding")
    assert summary["dry_run"] is True and summary["status"] == "completed", summary
    assert summary["counts"]["updated"] == 1  # would_update
    assert summary["bookmark_withheld"] is True
    assert project.salesforce.stats()["records_updated"] == updates + 2
    assert project.state(STATE_ID["onboarding"]) == synced, "a dry run moved the bookmark"
    newest = runs(project)[0]
    assert [s["status"] for s in newest["streams"]] == ["completed"]
    assert newest["dry_run"] is True, newest


# ------------------------------------------------------------------- row locks and 503s

LOCK_ROWS = 3000


def lead_email(i: int) -> str:
    return f"trust.lead.{i:05d}@locks.example"


def lock_report_rows() -> list[dict[str, str]]:
    return [
        {
            "End User ID": lead_email(i),
            "Answer": str(i % 11),
            "Answer Freetext": f"answer {i}",
            "Date (UTC)": f"2026-11-{1 + i % 28:02d}",
        }
        for i in range(LOCK_ROWS)
    ]


def missing_values(project: Project, rows: list[dict[str, str]]) -> list[str]:
    """Keys whose Lead does not hold the row's values."""
    leads = single_live_matches(project.salesforce.records("Lead"))
    missing = []
    for row in rows:
        lead = leads.get(row["End User ID"])
        if (
            lead is None
            or lead.get("WalkMe_NPS_Score__c") is None
            or float(lead["WalkMe_NPS_Score__c"]) != float(row["Answer"])
            or lead.get("WalkMe_NPS_Comment__c") != row["Answer Freetext"]
            or lead.get("WalkMe_NPS_Survey_Date__c") != row["Date (UTC)"]
        ):
            missing.append(row["End User ID"])
    return missing


def test_row_locks_and_503s_on_3000_rows_in_auto_mode_through_meltano(project: Project) -> None:
    """Every value lands and `completed`; or an honest status, no bookmark, and a re-run lands."""
    project.salesforce.seed(
        {
            "records": {
                "Lead": [
                    {"LastName": f"Lead {i}", "Company": "Locks Inc", "Email": lead_email(i)}
                    for i in range(LOCK_ROWS)
                ]
            }
        }
    )
    rows = lock_report_rows()
    write_report(reports_dir(project) / "nps.csv", list(rows[0]), rows)
    project.salesforce.faults(seed=11, lock_rate=0.1, error_rate=0.2, error_status=503)

    faulty = run(project, NPS_JOB, write_method="auto")

    project.salesforce.faults(clear=True)
    summary = last_summary(project, "nps")
    stats = project.salesforce.stats()
    assert stats["records_created"] == 0
    assert summary["write_calls"]["bulk"] >= 1, summary["write_calls"]
    if summary["status"] == "completed":
        assert faulty.returncode == 0, faulty.output[-5000:]
        assert summary["counts"]["updated"] == LOCK_ROWS, summary["counts"]
        assert summary["counts"]["failed"] == 0
        # the faults hit: the rows the Bulk job left locked were sent again (by Collections)
        assert summary["write_calls"]["collections"] >= 1, summary["write_calls"]
        assert missing_values(project, rows) == []
        state = project.state(STATE_ID["nps"])
        assert state["singer_state"]["bookmarks"]["nps"]["export"], state
        return
    # not every value landed: the run must say so and keep the export for the next run
    assert summary["status"] in ("completed_with_failures", "failed"), summary
    assert faulty.returncode != 0, "default fail_on: failed rows fail the job"
    assert project.state(STATE_ID["nps"]) == {}
    not_landed = missing_values(project, rows)
    assert not_landed, "the status says rows failed, yet every value is in the org"
    failed_keys = {row["key"] for row in results_rows(summary, "failed")}
    assert set(not_landed) <= failed_keys, "a value that did not land is not in failed.csv"

    retried = run(project, NPS_JOB, write_method="auto")

    assert retried.returncode == 0, retried.output[-5000:]
    assert missing_values(project, rows) == []
    summary = last_summary(project, "nps")
    assert summary["status"] == "completed", summary
    assert summary["counts"]["updated"] == len(not_landed), summary["counts"]
    assert project.state(STATE_ID["nps"])["singer_state"]["bookmarks"]["nps"]["export"]


# -------------------------------------------------------------- #N/A and CR/LF through Bulk


def test_na_and_line_breaks_land_exactly_through_bulk_and_a_refused_row_fails_the_job(
    project: Project,
) -> None:
    """`write_method: bulk`: the text sent is the text stored; a refused row is no success."""
    report = reports_dir(project) / "nps.csv"
    header, rows = read_report(report)
    leads = single_live_matches(project.salesforce.records("Lead"))
    keys = [row["End User ID"].strip().casefold() for row in rows]
    # rows whose key has one Lead and appears once (a repeated key: the last row wins)
    chosen = [i for i, k in enumerate(keys) if k in leads and keys.count(k) == 1]
    assert len(chosen) >= 5, "the demo world has too few matched nps rows"
    texts = ["#N/A", "first line\r\nsecond line", "first\rsecond", 'said "#N/A", then\nleft']
    for i, text in zip(chosen, texts, strict=False):
        rows[i]["Answer Freetext"] = text
    refused = chosen[len(texts)]
    rows[refused]["Answer"] = "11"  # the org's validation rule: NPS score between 0 and 10
    refused_key = rows[refused]["End User ID"].strip().casefold()
    refused_before = leads[refused_key]
    write_report(report, header, rows)

    result = run(project, NPS_JOB, write_method="bulk")

    # default fail_on (failed_rows): Salesforce refused a row, so the job fails, unbookmarked
    assert result.returncode == 1, result.output[-5000:]
    summary = last_summary(project, "nps")
    assert summary["status"] == "completed_with_failures", summary
    assert summary["counts"]["failed"] == 1 and summary["bookmark_withheld"] is True, summary
    assert summary["write_calls"]["bulk"] >= 1, summary["write_calls"]
    assert project.state(STATE_ID["nps"]) == {}
    [failed] = results_rows(summary, "failed")
    assert failed["key"].strip().casefold() == refused_key
    assert failed["error_code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION", failed
    newest = runs(project)[0]
    assert newest["meltano_status"] == "failed"
    assert [s["status"] for s in newest["streams"]] == ["completed_with_failures"]
    assert newest["status"] == "completed_with_failures", newest

    after = single_live_matches(project.salesforce.records("Lead"))
    assert after[refused_key] == refused_before
    for i, text in zip(chosen, texts, strict=False):
        lead = after[rows[i]["End User ID"].strip().casefold()]
        assert lead["WalkMe_NPS_Comment__c"] == text, (text, lead)
    updated = {row["key"].strip().casefold(): row for row in results_rows(summary, "updated")}
    for i, text in zip(chosen, texts, strict=False):
        row = updated[rows[i]["End User ID"].strip().casefold()]
        assert json.loads(row["new_values"])["WalkMe_NPS_Comment__c"] == text, row


# ------------------------------------------------------ SIGTERM to meltano during a Bulk job


def ingest_jobs(project: Project) -> list[dict[str, Any]]:
    """The org's Bulk API 2.0 ingest jobs, as an admin lists them (Setup → Bulk Data Load Jobs)."""
    token = project.salesforce.access_token()
    response = requests.get(
        f"{project.salesforce.api_base}/jobs/ingest",
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    response.raise_for_status()
    return response.json()["records"]


def test_sigterm_to_meltano_run_aborts_the_bulk_job_and_the_next_run_reconciles_it(
    project: Project,
) -> None:
    """A scheduler stopping `meltano run` mid-job leaves no job that could land later."""
    report = reports_dir(project) / "nps.csv"
    header, rows = read_report(report)
    for i, row in enumerate(rows):
        row["Answer Freetext"] = f"sigterm probe {i}"
    write_report(report, header, rows)
    project.salesforce.faults(bulk_delay_ms=8000)  # a closed job waits 8 s before it runs
    command = [str(MELTANO), "--environment", "demo", "run", NPS_JOB]
    env = {**project.env, "TARGET_SALESFORCE_UPDATE_WRITE_METHOD": "bulk"}
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as meltano:
        deadline = time.monotonic() + 90
        while not any(job["state"] == "UploadComplete" for job in ingest_jobs(project)):
            assert meltano.poll() is None, "meltano ended before its Bulk job was closed"
            assert time.monotonic() < deadline, "no Bulk job was closed"
            time.sleep(0.2)
        meltano.send_signal(signal.SIGTERM)  # what systemd/cron/Airflow send to stop a job
        output, _ = meltano.communicate(timeout=60)

    assert meltano.returncode != 0, output[-3000:]
    assert "aborted Bulk API 2.0 job" in flat(output), output[-3000:]
    [job] = ingest_jobs(project)
    assert job["state"] == "Aborted", job
    assert project.state(STATE_ID["nps"]) == {}
    assert project.salesforce.stats()["records_updated"] == 0
    assert runs(project)[0]["meltano_status"] == "failed"
    project.salesforce.faults(bulk_delay_ms=0)

    again = run(project, NPS_JOB, write_method="bulk")

    assert again.returncode == 0, again.output[-5000:]
    summary = last_summary(project, "nps")
    assert summary["status"] == "completed", summary
    assert summary["reconciled"] == {"not_written": 1}, summary  # the aborted job, settled
    leads = single_live_matches(project.salesforce.records("Lead"))
    landed = [
        row
        for row in rows
        if leads.get(row["End User ID"].strip().casefold(), {}).get("WalkMe_NPS_Comment__c")
        == row["Answer Freetext"]
    ]
    assert len(landed) == summary["counts"]["updated"] > 0
    assert project.state(STATE_ID["nps"])["singer_state"]["bookmarks"]["nps"]["export"]
