"""The sample integrations through `meltano run`, against both emulators over real HTTP.

Each test runs the commands the README shows (`meltano run <job>`, `--full-refresh`,
`meltano state get`, `walkme-salesforce runs`…) in the `demo` environment and checks the outcome
through the Salesforce emulator's inspection API, the target's summary.json and Meltano's own
records.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
from e2e_project import Project, expected_for

pytestmark = pytest.mark.slow

JOBS = {"onboarding": "walkme-onboarding-to-salesforce", "nps": "walkme-nps-to-salesforce"}
SOBJECT = {"onboarding": "Contact", "nps": "Lead"}
STATE_ID = {
    name: f"demo:tap-walkme-insights--{name}-to-target-salesforce-update--{name}" for name in JOBS
}
# report column -> (Salesforce field, how to compare)
CHECKED_FIELDS = {
    "onboarding": {
        "Onboarding Progress (%)": ("WalkMe_Onboarding_Progress__c", "number"),
        "Total sessions": ("WalkMe_Total_Sessions__c", "number"),
        "Feature Adoption": ("WalkMe_Feature_Adoption__c", "text"),
        "Onboarding Completed": ("WalkMe_Onboarding_Completed__c", "bool"),
    },
    "nps": {
        "Answer": ("WalkMe_NPS_Score__c", "number"),
        "Date (UTC)": ("WalkMe_NPS_Survey_Date__c", "text"),
    },
}


def key(value: str) -> str:
    """The generator's documented key normalisation (trim, Unicode case folding)."""
    return value.strip().casefold()


def last_rows(path: Path) -> dict[str, dict[str, str]]:
    """The report's rows by normalised key, last row winning (the tap's default policy)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {
            key(row["End User ID"]): row
            for row in csv.DictReader(handle)
            if row["End User ID"].strip()
        }


def live_by_email(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Live (not deleted) records grouped by normalised Email."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.get("IsDeleted") in (1, True) or not record.get("Email"):
            continue
        grouped.setdefault(key(record["Email"]), []).append(record)
    return grouped


def same(expected: str, actual: Any, how: str) -> bool:
    if how == "number":
        return actual is not None and math.isclose(float(expected), float(actual), abs_tol=0.005)
    if how == "bool":
        return bool(actual) == (expected.strip().lower() == "true")
    return str(actual) == expected


def run_job(project: Project, name: str, *extra: str, env: dict[str, str] | None = None):
    """`meltano run <job>` with MELTANO_ENVIRONMENT=demo, exactly like the cron line."""
    return project.meltano("run", *extra, JOBS[name], env=env)


def summary_for(project: Project, report: str) -> dict[str, Any]:
    found = [s for s in project.summaries() if s.get("stream") == report]
    assert found, f"no summary.json for {report} under {project.results_dir}"
    return found[-1]


def counts(summary: dict[str, Any]) -> dict[str, int]:
    block = summary.get("counts", summary)
    return {
        k: int(block.get(k, 0))
        for k in ("updated", "unchanged", "unmatched", "ambiguous", "failed")
    }


def expected_counts(project: Project, name: str) -> dict[str, int]:
    """The generator's expected outcome, in the target's terms.

    Converted leads are not matched (the target queries `IsConverted = false`), so they count
    as unmatched for the Lead integration.
    """
    expected = expected_for(project.world, name)
    unmatched = expected["unmatched"]
    if SOBJECT[name] == "Lead":
        unmatched += expected.get("converted", 0)
    return {
        "updated": expected["should_update"],
        "unchanged": expected["unchanged"],
        "unmatched": unmatched,
        "ambiguous": expected["ambiguous"],
        "failed": 0,
    }


def assert_synced(project: Project, name: str, before: list[dict[str, Any]]) -> None:
    """The job updated exactly the expected records with the report's values, and created none."""
    sobject = SOBJECT[name]
    after = project.salesforce.records(sobject)
    assert len(after) == len(before), "records were created or removed"
    assert project.salesforce.stats()["records_created"] == 0
    summary = summary_for(project, name)
    assert summary.get("object") == sobject
    assert counts(summary) == expected_counts(project, name), summary

    rows = last_rows(project.world / f"{name}.csv")
    live = live_by_email(after)
    checked = 0
    for row_key, row in rows.items():
        matches = live.get(row_key, [])
        if len(matches) != 1 or matches[0].get("IsConverted") in (1, True):
            continue
        for column, (field, how) in CHECKED_FIELDS[name].items():
            if row[column].strip():
                assert same(row[column], matches[0].get(field), how), (row_key, field, matches[0])
        checked += 1
    expected = expected_for(project.world, name)
    assert checked == expected["should_update"] + expected["unchanged"] > 0


def test_onboarding_job_state_full_refresh_and_plain_pair(project: Project) -> None:
    """`meltano run walkme-onboarding-to-salesforce`: updates Contacts, then state, then refresh."""
    before = project.salesforce.records("Contact")

    first = run_job(project, "onboarding")

    assert first.returncode == 0, first.output[-5000:]
    assert_synced(project, "onboarding", before)
    state = project.state(STATE_ID["onboarding"])
    assert state["singer_state"]["bookmarks"]["onboarding"]["export"], state
    shown = project.meltano("state", "get", STATE_ID["onboarding"])  # README: meltano state get
    assert json.loads(shown.stdout[shown.stdout.index("{") :]) == state
    updates = project.salesforce.stats()["records_updated"]

    # no new export: the second run reads nothing and writes nothing
    second = run_job(project, "onboarding")

    assert second.returncode == 0, second.output[-5000:]
    # the tap says why (Meltano may wrap long console lines: compare without line breaks)
    assert "nothing to emit" in " ".join(second.output.split()), second.output[-3000:]
    assert project.salesforce.stats()["records_updated"] == updates
    assert counts(summary_for(project, "onboarding"))["unchanged"] == 0

    # --full-refresh re-reads the export: every matched record is compared again, none differs
    third = run_job(project, "onboarding", "--full-refresh")

    assert third.returncode == 0, third.output[-5000:]
    matched = expected_counts(project, "onboarding")
    resynced = counts(summary_for(project, "onboarding"))
    assert resynced["updated"] == 0
    assert resynced["unchanged"] == matched["updated"] + matched["unchanged"]
    assert project.salesforce.stats()["records_updated"] == updates

    # the plain pair, as the README writes it (its own state id: it reads the export again)
    plain = project.meltano("run", "tap-walkme-insights", "target-salesforce-update")

    assert plain.returncode == 0, plain.output[-5000:]
    assert counts(summary_for(project, "onboarding"))["unchanged"] == resynced["unchanged"]
    assert project.salesforce.stats()["records_created"] == 0

    # README: clearing an integration's state makes its next run re-read the newest export
    cleared = project.meltano("state", "clear", "--force", STATE_ID["onboarding"])
    assert cleared.returncode == 0, cleared.output[-2000:]
    assert project.state(STATE_ID["onboarding"]) == {}


def test_nps_dry_run_failed_run_retry_and_run_history(project: Project) -> None:
    """Dry run writes nothing; a failed run is failed with state not advanced; a retry syncs."""
    before = project.salesforce.records("Lead")

    # README "Connecting a real org", step 6
    dry = project.meltano(
        "--environment",
        "demo",
        "run",
        "--no-state-update",
        JOBS["nps"],
        env={"TARGET_SALESFORCE_UPDATE_DRY_RUN": "true"},
    )

    assert dry.returncode == 0, dry.output[-5000:]
    assert project.salesforce.stats()["records_updated"] == 0
    assert counts(summary_for(project, "nps")) == expected_counts(project, "nps")
    assert project.state(STATE_ID["nps"]) == {}

    failed = run_job(project, "nps", env={"TARGET_SALESFORCE_UPDATE_PASSWORD": "wrong-for-test"})

    assert failed.returncode != 0
    assert "wrong-for-test" not in failed.output
    assert project.state(STATE_ID["nps"]) == {}
    assert project.salesforce.stats()["records_updated"] == 0

    # mid-run: logged in and reading, then the org's daily API limit is used up
    project.salesforce.faults(api_remaining=1)  # one call left: the match query cannot run
    limited = run_job(project, "nps")

    assert limited.returncode != 0
    log = " ".join(project.latest_log().split())
    assert "daily API requests" in log or "REQUEST_LIMIT_EXCEEDED" in log, log[-3000:]
    assert project.env["TARGET_SALESFORCE_UPDATE_PASSWORD"] not in limited.output + log
    assert project.state(STATE_ID["nps"]) == {}
    assert project.salesforce.stats()["records_updated"] == 0
    project.salesforce.faults(api_remaining=100_000)

    retried = run_job(project, "nps")  # the export was never marked synced: it is read again

    assert retried.returncode == 0, retried.output[-5000:]
    assert_synced(project, "nps", before)
    assert project.state(STATE_ID["nps"])["singer_state"]["bookmarks"]["nps"]["export"]

    # run history: both runs, newest first, with what each did
    listed = project.runs_cli("runs", "--json")
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)["runs"]
    assert [(r["integration"], r["status"]) for r in runs] == [
        ("nps", "completed"),
        ("nps", "failed"),
        ("nps", "failed"),
    ]
    done = runs[0]
    assert done["environment"] == "demo"
    assert done["started_at"].endswith("+00:00") and done["duration_seconds"] > 0
    (stream,) = done["streams"]
    assert (stream["report"], stream["sobject"]) == ("nps", "Lead")
    assert stream["counts"]["updated"] == expected_counts(project, "nps")["updated"]

    only = project.runs_cli("runs", "--integration", "nps", "--environment", "demo", "--json")
    assert [r["run_id"] for r in json.loads(only.stdout)["runs"]] == [r["run_id"] for r in runs]
    other = project.runs_cli("runs", "--integration", "onboarding", "--json")
    assert json.loads(other.stdout)["runs"] == []

    table = project.runs_cli("runs")
    assert table.returncode == 0
    for text in ("INTEGRATION", "REPORT", "OBJECT", "STARTED (UTC)", "completed", "failed", "Lead"):
        assert text in table.stdout

    shown = project.runs_cli("run-log", done["run_id"])
    assert shown.returncode == 0, shown.stderr
    assert "Status:       completed" in shown.stdout
    assert "updated.csv" in shown.stdout and "summary.json" in shown.stdout
    assert "Summary: stream=nps" in shown.stdout  # the full log follows
    failed_run = project.runs_cli("run-log", runs[2]["run_id"])
    assert "Status:       failed" in failed_run.stdout
    assert "wrong-for-test" not in failed_run.stdout

    # Meltano's own views, as the README shows them
    assert done["run_id"] in project.meltano("logs", "list").stdout
    assert "Summary: stream=nps" in project.meltano("logs", "show", done["run_id"]).stdout
    assert STATE_ID["nps"] in project.meltano("state", "list").stdout
