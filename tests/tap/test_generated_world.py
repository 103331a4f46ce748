"""The tap on a demo world from `walkme-emulator generate`: counts agree with its expected.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from walkme_tap_helpers import run_tap

GENERATOR = Path(sys.executable).parent / "walkme-emulator"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world")
    subprocess.run(
        [str(GENERATOR), "generate", "--rows", "400", "--seed", "7", "--out", str(out), "--bom"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


@pytest.mark.parametrize("report", ["onboarding", "nps"])
def test_counts_match_the_generator(world: Path, report: str, caplog) -> None:
    expected = json.loads((world / "expected.json").read_text())["reports"][report]
    config = {
        "report_name": report,
        "source": str(world / expected["file"]),
        "key_column": expected["key_column"],
    }
    result = run_tap(config, caplog=caplog)
    records = result.records[report]
    assert len(records) == expected["distinct_keys"]
    assert f"{expected['empty_key_rows']} row(s) with an empty key skipped" in result.logs
    assert f"{expected['duplicate_key_rows']} duplicate row(s)" in result.logs
    schema = result.schema(report)["properties"]
    assert schema["end_user_id"]["type"] == ["string"]
    if report == "onboarding":
        assert schema["onboarding_progress_pct"]["type"] == ["number", "null"]
        assert schema["onboarding_completed"]["type"] == ["boolean", "null"]
        assert schema["last_seen_timestamp"]["format"] == "date-time"
        assert schema["total_sessions"]["type"] == ["integer", "null"]
    else:
        assert schema["answer"]["type"] == ["integer", "null"]
        assert schema["date_utc"]["format"] == "date"
        assert schema["question_date_and_time_utc"]["format"] == "date-time"
