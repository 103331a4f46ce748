"""The sample integrations through `meltano run`, against both emulators over real HTTP.

Each test runs the commands the README shows (`meltano run <job>`, `--full-refresh`,
`meltano state get`, `scripts/runs.py`…) in the `demo` environment and checks the outcome through
the Salesforce emulator's inspection API, the target's summary.json and Meltano's own records.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import Project, expected_for

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


@pytest.mark.parametrize("name", list(JOBS))
def test_sample_job_updates_expected_records_and_creates_none(project: Project, name: str) -> None:
    sobject = SOBJECT[name]
    before = project.salesforce.records(sobject)

    result = run_job(project, name)

    assert result.returncode == 0, result.output[-5000:]
    after = project.salesforce.records(sobject)
    assert len(after) == len(before), "records were created or removed"
    assert project.salesforce.stats()["records_created"] == 0

    expected = expected_for(project.world, name)
    summary = summary_for(project, name)
    got = counts(summary)
    assert got["updated"] == expected["should_update"], summary
    assert got["unchanged"] == expected["unchanged"], summary
    assert got["unmatched"] == expected["unmatched"], summary
    assert got["ambiguous"] == expected["ambiguous"], summary
    assert summary.get("object") == sobject

    # every key that matches exactly one live, updatable record now carries the report's values
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
    assert checked >= expected["should_match"] - expected.get("converted", 0) > 0


def test_state_second_run_does_nothing_and_full_refresh_resyncs(project: Project) -> None:
    first = run_job(project, "onboarding")
    assert first.returncode == 0, first.output[-5000:]
    state = project.state(STATE_ID["onboarding"])
    assert state["singer_state"]["bookmarks"]["onboarding"]["export"], state
    writes = project.salesforce.stats()
    summaries = len(project.summaries())

    second = run_job(project, "onboarding")

    assert second.returncode == 0, second.output[-5000:]
    assert "already synced" in second.output or "unchanged since the last sync" in second.output
    assert project.salesforce.stats().get("records_updated") == writes.get("records_updated")
    new = project.summaries()[summaries:]
    assert all(counts(s)["updated"] == 0 and counts(s)["unchanged"] == 0 for s in new), new

    third = run_job(project, "onboarding", "--full-refresh")

    assert third.returncode == 0, third.output[-5000:]
    resynced = counts(summary_for(project, "onboarding"))
    expected = expected_for(project.world, "onboarding")
    # every matched record is compared again; none differs any more
    assert resynced["updated"] == 0
    assert resynced["unchanged"] == expected["should_update"] + expected["unchanged"]
    assert project.salesforce.stats()["records_created"] == 0


def test_failed_run_shows_failed_and_does_not_advance_state(project: Project) -> None:
    failed = run_job(
        project, "nps", env={"TARGET_SALESFORCE_UPDATE_PASSWORD": "wrong-password-for-the-test"}
    )

    assert failed.returncode != 0
    assert "wrong-password-for-the-test" not in failed.output
    assert project.state(STATE_ID["nps"]) == {}
    history = json.loads(project.runs_cli("list", "--json").stdout)["runs"]
    assert [(r["integration"], r["status"]) for r in history] == [("nps", "failed")]

    retried = run_job(project, "nps")  # the export was not marked synced: it is read again

    assert retried.returncode == 0, retried.output[-5000:]
    assert (
        counts(summary_for(project, "nps"))["updated"]
        == expected_for(project.world, "nps")["should_update"]
    )
    assert project.state(STATE_ID["nps"])["singer_state"]["bookmarks"]["nps"]["export"]


def test_plain_pair_runs_as_written(project: Project) -> None:
    result = project.meltano("run", "tap-walkme-insights", "target-salesforce-update")

    assert result.returncode == 0, result.output[-5000:]
    summary = summary_for(project, "onboarding")
    assert summary["object"] == "Contact"
    assert counts(summary)["updated"] == expected_for(project.world, "onboarding")["should_update"]


def test_dry_run_from_the_readme_writes_nothing_and_keeps_state(project: Project) -> None:
    result = project.meltano(
        "--environment",
        "demo",
        "run",
        "--no-state-update",
        JOBS["onboarding"],
        env={"TARGET_SALESFORCE_UPDATE_DRY_RUN": "true"},
    )

    assert result.returncode == 0, result.output[-5000:]
    assert project.salesforce.stats().get("records_updated", 0) == 0
    assert project.state(STATE_ID["onboarding"]) == {}
    summary = summary_for(project, "onboarding")
    assert counts(summary)["updated"] == expected_for(project.world, "onboarding")["should_update"]


def test_run_history_lists_every_integration_and_shows_one_run(project: Project) -> None:
    for name in JOBS:
        assert run_job(project, name).returncode == 0

    listed = project.runs_cli("list", "--json")
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)["runs"]
    by_integration = {run["integration"]: run for run in runs}
    assert set(by_integration) == set(JOBS)
    for name, run in by_integration.items():
        assert run["environment"] == "demo"
        assert run["status"] == "completed"
        assert run["duration_seconds"] > 0
        assert run["started_at"].endswith("+00:00")
        (stream,) = run["streams"]
        assert (stream["report"], stream["sobject"]) == (name, SOBJECT[name])
        summary = summary_for(project, name)
        assert stream["counts"]["updated"] == counts(summary)["updated"]

    table = project.runs_cli("list")
    assert table.returncode == 0
    assert "INTEGRATION" in table.stdout and "onboarding" in table.stdout and "Lead" in table.stdout

    nps_run = by_integration["nps"]["run_id"]
    shown = project.runs_cli("show", nps_run[:8])
    assert shown.returncode == 0, shown.stderr
    assert "Status:       completed" in shown.stdout
    assert "updated.csv" in shown.stdout and "summary.json" in shown.stdout
    assert "Summary: stream=nps" in shown.stdout  # the full log follows

    # Meltano's own views, as the README shows them
    assert nps_run in project.meltano("logs", "list").stdout
    assert "Summary: stream=nps" in project.meltano("logs", "show", nps_run).stdout
    assert STATE_ID["nps"] in project.meltano("state", "list").stdout
