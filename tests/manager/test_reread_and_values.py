"""The manager's side of "a run's word can be trusted", against the emulators over real HTTP:

- the re-read rule: `edit` of a mapping clears the integration's saved Meltano state, so the
  next `walkme-salesforce run` reads the export again and the new field's values land (without
  the clear the tap says "already synced" and nothing is written);
- `add` writes `multiple_matches: skip`; signed report links are kept in `.env` and never shown
  by `list`, the run's output or Meltano's run log;
- `add`/`edit` check a sample of the report's values against the field (type, length, picklist)
  and `preview` lists each rejected row's reason, exiting 1 when every row is rejected.
"""

from __future__ import annotations

import csv
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from run_project import RunProject, generate_world, run_project
from walkme_salesforce.envfile import read_env
from walkme_salesforce.meltano_yml import MeltanoYml

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def project(tmp_path: Path, world: Path) -> Iterator[RunProject]:
    with run_project(tmp_path, world) as built:
        yield built


def _ok(result: Any) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def _unique_contacts(project: RunProject) -> dict[str, dict[str, Any]]:
    """Live Contacts by lower-cased Email, only e-mails that exactly one Contact has."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in project.salesforce.records("Contact"):
        if record.get("IsDeleted") in (1, True) or not record.get("Email"):
            continue
        grouped.setdefault(str(record["Email"]).strip().casefold(), []).append(record)
    return {email: records[0] for email, records in grouped.items() if len(records) == 1}


def _report_rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["End User ID"].strip().casefold(): row for row in csv.DictReader(handle)}


def _run_id(output: str) -> str:
    """The run id of `walkme-salesforce run`'s outcome line."""
    found = re.search(r"^Run (\S+): integration ", output, re.MULTILINE)
    assert found, output
    return found.group(1)


def _add_usage(project: RunProject, report: str, *maps: str, name: str = "usage") -> str:
    args = ["add", name, "-e", "demo", "--report", report, "--key", "End User ID"]
    args += ["--object", "Contact", "--match-field", "Email"]
    for item in maps:
        args += ["--map", item]
    return _ok(project.cli(*args))


def test_edit_clears_state_so_the_next_run_writes_the_new_mapping(project: RunProject) -> None:
    report = project.root.parent / "reports" / "onboarding.csv"
    added = _add_usage(project, str(report), "Total sessions=WalkMe_Total_Sessions__c")
    assert "multiple_matches: skip" in added
    loader = MeltanoYml(project.root / "meltano.yml").plugin(
        "loaders", "target-salesforce-update--usage"
    )
    assert loader["config"]["multiple_matches"] == "skip"
    assert loader["config"]["null_values"] == "skip"

    first = _ok(project.cli("run", "usage", "-e", "demo"))
    assert "integration usage (demo) completed" in first
    # A second run finds its bookmark: the tap skips the export it has synced.
    again = _ok(project.cli("run", "usage", "-e", "demo", "--json"))
    run_id = _run_id(again)
    shown = _ok(project.cli("run-log", run_id))
    assert "already synced" in shown

    edited = _ok(
        project.cli(
            "edit", "usage", "-e", "demo", "--map", "Feature Adoption=WalkMe_Feature_Adoption__c"
        )
    )

    third = _ok(project.cli("run", "usage", "-e", "demo"))
    run_id = _run_id(third)

    rows = _report_rows(report)
    contacts = _unique_contacts(project)
    checked = 0
    for email, record in contacts.items():
        row = rows.get(email)
        if row is None:
            continue
        assert record["WalkMe_Feature_Adoption__c"] == row["Feature Adoption"], email
        checked += 1
    assert checked >= 10
    assert project.salesforce.stats().get("records_created", 0) == 0
    shown = _ok(project.cli("run-log", run_id))
    assert "Export:       read the export of report usage" in shown
    assert "saved bookmark cleared in demo" in edited
    assert "the next run re-reads the newest export" in edited


def test_signed_link_is_kept_in_env_and_never_shown(project: RunProject) -> None:
    signed = project.walkme.signed_url("onboarding", ttl=3600)
    assert "Signature=" in signed
    signature = signed.split("Signature=", 1)[1].split("&", 1)[0]
    added = _add_usage(project, signed, "Total sessions=WalkMe_Total_Sessions__c", name="signed")
    assert signature not in added
    text = (project.root / "meltano.yml").read_text(encoding="utf-8")
    assert signature not in text
    assert "source: ${WALKME_SIGNED_SOURCE}" in text
    env_file = project.root / ".env"
    assert read_env(env_file)["WALKME_SIGNED_SOURCE"] == signed
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600

    listed = _ok(project.cli("list"))
    assert "signed: report 'signed' (${WALKME_SIGNED_SOURCE} (kept in .env))" in listed
    assert signature not in listed

    ran = project.cli("run", "signed", "-e", "demo")
    output = _ok(ran)
    assert "integration signed (demo) completed" in output
    assert signature not in output
    logs = list((project.root.parent / "state").rglob("elt.log"))
    assert logs
    for log in logs:
        assert signature not in log.read_text(encoding="utf-8", errors="replace")
    # edit without --report keeps the reference (and still reads the export)
    edited = _ok(project.cli("edit", "signed", "-e", "demo", "--map", "Country=WalkMe_Segment__c"))
    assert signature not in edited
    assert signature not in (project.root / "meltano.yml").read_text(encoding="utf-8")


def _custom_report(project: RunProject, rows: list[dict[str, str]]) -> Path:
    path = project.root.parent / "reports" / "custom.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_add_refuses_values_that_do_not_fit_and_never_quotes_long_ones(
    project: RunProject,
) -> None:
    emails = sorted(_unique_contacts(project))[:3]
    long_value = "segment-" + "x" * 112  # 120 characters; WalkMe_Segment__c holds 80
    report = _custom_report(
        project,
        [
            {"End User ID": email, "Country": "Atlantis", "Segment": long_value, "Level": "High"}
            for email in emails
        ],
    )
    before = (project.root / "meltano.yml").read_text(encoding="utf-8")
    refused = project.cli(
        "add", "custom", "-e", "demo", "--report", str(report), "--key", "End User ID",
        "--map", "Segment=WalkMe_Segment__c", "--map", "Country=WalkMe_Feature_Adoption__c",
    )  # fmt: skip
    assert refused.returncode == 2, refused.stdout + refused.stderr
    error = refused.stderr
    assert "column 'Segment' (segment) → Contact.WalkMe_Segment__c: sample row 1" in error
    assert "120 characters, longer than WalkMe_Segment__c's limit of 80" in error
    assert "Fix: map the column to a longer text field" in error
    assert long_value not in error and "x" * 40 not in error
    assert "column 'Country' (country) → Contact.WalkMe_Feature_Adoption__c" in error
    assert "restricted picklist" in error
    assert "Fix: add the value to WalkMe_Feature_Adoption__c's picklist" in error
    assert (project.root / "meltano.yml").read_text(encoding="utf-8") == before

    # A column whose sample fits the picklist is accepted.
    _ok(
        project.cli(
            "add",
            "custom",
            "-e",
            "demo",
            "--report",
            str(report),
            "--key",
            "End User ID",
            "--map",
            "Level=WalkMe_Feature_Adoption__c",
            "--multiple-matches",
            "fail",
        )
    )
    loader = MeltanoYml(project.root / "meltano.yml").plugin(
        "loaders", "target-salesforce-update--custom"
    )
    assert loader["config"]["multiple_matches"] == "fail"


def test_preview_lists_rejected_rows_and_fails_when_all_are_rejected(
    project: RunProject,
) -> None:
    emails = sorted(_unique_contacts(project))[:3]
    report = _custom_report(
        project,
        [{"End User ID": email, "Level": "High", "Country": "Atlantis"} for email in emails],
    )
    _add_usage(project, str(report), "Level=WalkMe_Feature_Adoption__c", name="custom")
    fine = project.cli("preview", "custom", "-e", "demo")
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert "rejected 0" in fine.stdout

    # Map a column whose values the restricted picklist refuses, by hand (add/edit would refuse).
    document = MeltanoYml(project.root / "meltano.yml")
    loader = document.plugin("loaders", "target-salesforce-update--custom")
    loader["config"]["field_mapping"] = {"country": "WalkMe_Feature_Adoption__c"}
    document.save()
    every = project.cli("preview", "custom", "-e", "demo")
    output = every.stdout + every.stderr
    assert every.returncode == 1, output
    assert "Rejected rows (3), their values would not be written:" in every.stdout
    for number in (1, 2, 3):
        assert f"  row {number} key " in every.stdout
    assert every.stdout.count("restricted picklist WalkMe_Feature_Adoption__c") == 3
    assert "Every row (3) was rejected: nothing would be written." in every.stdout
    assert project.salesforce.stats().get("records_updated", 0) == 0
