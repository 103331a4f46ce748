"""meltano.yml editing keeps comments and layout; Meltano reads the result (real `meltano`)."""

from __future__ import annotations

import difflib
import json
import subprocess
from pathlib import Path

import pytest
from setup_helpers import BIN, clean_env
from walkme_salesforce.errors import SetupError
from walkme_salesforce.integrations import (
    Integration,
    list_integrations,
    read_integration,
    remove_integration,
    write_integration,
)
from walkme_salesforce.meltano_yml import MeltanoYml


def usage(**overrides: object) -> Integration:
    values: dict = {
        "name": "usage",
        "source": "/data/usage.csv",
        "key_column": "End User ID",
        "sobject": "Contact",
        "match_property": "end_user_id",
        "match_field": "Email",
        "field_mapping": {"total_sessions": "WalkMe_Total_Sessions__c"},
    }
    values.update(overrides)
    return Integration(**values)


def removed_lines(before: str, after: str) -> list[str]:
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    return [line for line in diff if line.startswith("- ")]


def test_round_trip_is_byte_identical(project: Path) -> None:
    path = project / "meltano.yml"
    original = path.read_text()
    document = MeltanoYml(path)
    document.save()
    assert path.read_text() == original


def test_add_only_adds_lines_and_remove_restores_the_file(project: Path) -> None:
    path = project / "meltano.yml"
    original = path.read_text()
    document = MeltanoYml(path)
    write_integration(document, usage(), create=True)
    document.save()
    added = path.read_text()
    assert removed_lines(original, added) == []  # every comment and line is still there
    assert "- name: walkme-usage-to-salesforce-daily\n  interval: 0 9 * * *\n" in added
    assert "  - tap-walkme-insights--usage target-salesforce-update--usage\n" in added
    # The blank line + comment that introduce `schedules:` still follow the last job.
    assert (
        "  - tap-walkme-insights--usage target-salesforce-update--usage\n\n# Meltano has no"
        in added
    )
    document = MeltanoYml(path)
    assert "usage" in list_integrations(document)
    assert read_integration(document, "usage").field_mapping == usage().field_mapping
    remove_integration(document, "usage")
    document.save()
    assert path.read_text() == original


def test_edit_replaces_mapping_and_keeps_other_settings(project: Path) -> None:
    path = project / "meltano.yml"
    document = MeltanoYml(path)
    current = read_integration(document, "onboarding")
    current.field_mapping = {"total_sessions": "WalkMe_Total_Sessions__c"}
    current.sobject = "Lead"
    write_integration(document, current, create=False)
    document.save()
    text = path.read_text()
    document = MeltanoYml(path)
    edited = read_integration(document, "onboarding")
    assert edited.field_mapping == {"total_sessions": "WalkMe_Total_Sessions__c"}
    assert edited.sobject == "Lead"
    loader = document.plugin("loaders", "target-salesforce-update--onboarding")
    assert loader["config"]["multiple_matches"] == "skip"  # untouched setting kept
    assert text.count("walkme-onboarding-to-salesforce-daily") == 1  # no duplicate schedule


def test_editing_the_last_loader_keeps_the_blank_line_before_jobs(project: Path) -> None:
    path = project / "meltano.yml"
    original = path.read_text()
    document = MeltanoYml(path)
    nps = read_integration(document, "nps")
    nps.field_mapping = {"answer": "WalkMe_NPS_Score__c"}
    write_integration(document, nps, create=False)
    document.save()
    text = path.read_text()
    assert "        answer: WalkMe_NPS_Score__c\n\njobs:\n" in text
    assert [line[2:] for line in removed_lines(original, text)] == [
        "        answer_freetext: WalkMe_NPS_Comment__c",
        "        date_utc: WalkMe_NPS_Survey_Date__c",
    ]


def test_duplicates_and_unknown_names_are_refused(project: Path) -> None:
    document = MeltanoYml(project / "meltano.yml")
    with pytest.raises(SetupError, match="already exists"):
        write_integration(document, usage(name="onboarding"), create=True)
    with pytest.raises(SetupError, match="No integration named 'nope'"):
        remove_integration(document, "nope")
    with pytest.raises(SetupError, match="not allowed"):
        write_integration(document, usage(name="Bad Name"), create=True)


def test_indented_sequences_keep_their_style(tmp_path: Path) -> None:
    path = tmp_path / "meltano.yml"
    path.write_text(
        "# my project\n"
        "plugins:\n"
        "  extractors:\n"
        "    - name: tap-walkme-insights  # the tap\n"
        "      namespace: tap_walkme_insights\n"
        "  loaders:\n"
        "    - name: target-salesforce-update\n"
        "      namespace: target_salesforce_update\n"
    )
    document = MeltanoYml(path)
    write_integration(document, usage(), create=True)
    document.save()
    text = path.read_text()
    assert text.startswith(
        "# my project\nplugins:\n  extractors:\n    - name: tap-walkme-insights  #"
    )
    assert (
        "    - name: tap-walkme-insights--usage\n      inherit_from: tap-walkme-insights\n" in text
    )
    assert "jobs:\n  - name: walkme-usage-to-salesforce\n" in text


def test_meltano_reads_the_written_integration(project: Path) -> None:
    document = MeltanoYml(project / "meltano.yml")
    write_integration(document, usage(), create=True)
    document.save()
    env = clean_env()
    result = subprocess.run(
        [str(BIN / "meltano"), "schedule", "list", "--format=json"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    schedules = json.loads(result.stdout)
    jobs = {s["name"]: s for s in schedules["schedules"]["job"]}
    assert jobs["walkme-usage-to-salesforce-daily"]["cron_interval"] == "0 9 * * *"
    result = subprocess.run(
        [
            str(BIN / "meltano"),
            "config",
            "print",
            "--format=json",
            "target-salesforce-update--usage",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout)["field_mapping"] == usage().field_mapping
