"""The pure helpers of scripts/demo.py (the demo itself is `make demo`)."""

from __future__ import annotations

import json
from pathlib import Path

import demo
import pytest


def test_summaries_are_read_from_meltano_output() -> None:
    output = (
        "2026 [info] meltano Running job\n"
        "2026 [info] target-salesforce-update--nps Summary: stream=nps object=Lead updated=3 "
        "unchanged=1 unmatched=2 ambiguous=0 failed=0 rejected=0 api_calls=4 status=completed "
        "results=/x/nps/1 cmd_type=elb\n"
    )
    (summary,) = demo.summaries(output)
    assert summary["stream"] == "nps" and summary["updated"] == "3" and "cmd_type" not in summary


def test_check_expected_accounts_for_converted_leads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = {
        "sobject": "Lead",
        "should_update": 3,
        "unchanged": 1,
        "unmatched": 1,
        "ambiguous": 0,
        "converted": 1,
    }
    (tmp_path / "expected.json").write_text(json.dumps({"reports": {"nps": report}}))
    monkeypatch.setattr(demo, "WORLD", tmp_path)
    line = {"stream": "nps", "updated": "3", "unchanged": "1", "unmatched": "2", "ambiguous": "0"}
    assert demo.check_expected(line) == "as the demo world's expected.json predicts"
    assert "DIFFERS" in demo.check_expected({**line, "updated": "2"})
    assert "no expected.json" in demo.check_expected({**line, "stream": "usage"})


def test_demo_credentials_are_the_emulator_seed_and_marked_secret() -> None:
    settings = demo.salesforce_demo_settings()
    assert settings["TARGET_SALESFORCE_UPDATE_AUTH_FLOW"] == "password"
    secret_names = {name for name in settings if demo.is_secret(name)}
    assert secret_names == {
        "TARGET_SALESFORCE_UPDATE_PASSWORD",
        "TARGET_SALESFORCE_UPDATE_CLIENT_SECRET",
    }
    assert not demo.is_secret("TARGET_SALESFORCE_UPDATE_USERNAME")
