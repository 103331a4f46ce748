"""The pure parts of the run-history command: summary lines, state ids, integration names."""

from __future__ import annotations

import json
from pathlib import Path

from walkme_salesforce.run_history import (
    integration_name,
    parse_summary_line,
    split_state_id,
    stream_results,
    summaries_in_log,
)

TARGET_LINE = (
    "Summary: stream=onboarding object=Contact updated=12 unchanged=3 unmatched=2 ambiguous=1 "
    "failed=0 rejected=0 api_calls=7 status=completed results=/tmp/r/onboarding/x"
)


def test_parse_summary_line_from_meltano_log() -> None:
    wrapped = (
        "2026-11-27T09:00:03.1Z [info     ] 2026-11-27 09:00:03,100 | INFO | target | "
        f"{TARGET_LINE} cmd_type=elb consumer=True job_name=demo:tap-to-target name=target "
        "producer=False run_id=abc stdio=stderr string_id=target-salesforce-update"
    )
    parsed = parse_summary_line(wrapped)
    assert parsed == {
        "stream": "onboarding",
        "object": "Contact",
        "updated": "12",
        "unchanged": "3",
        "unmatched": "2",
        "ambiguous": "1",
        "failed": "0",
        "rejected": "0",
        "api_calls": "7",
        "status": "completed",
        "results": "/tmp/r/onboarding/x",
    }


def test_other_lines_are_not_summaries() -> None:
    assert parse_summary_line("2026 [info] Summary of nothing") is None
    assert parse_summary_line("METRIC: {}") is None


def test_state_id_and_integration() -> None:
    state_id = "prod:tap-walkme-insights--nps-to-target-salesforce-update--nps"
    assert split_state_id(state_id) == (
        "prod",
        "tap-walkme-insights--nps",
        "target-salesforce-update--nps",
    )
    assert split_state_id("demo:tap-walkme-insights-to-target-salesforce-update:extra")[1] == (
        "tap-walkme-insights"
    )
    assert integration_name("tap-walkme-insights--nps") == "nps"
    assert integration_name("tap-walkme-insights") == "(base)"


def test_stream_results_join_log_and_summary_json(tmp_path: Path) -> None:
    results = tmp_path / "onboarding" / "20261127T090000Z-abcdef12"
    results.mkdir(parents=True)
    (results / "summary.json").write_text(json.dumps({"stream": "onboarding", "object": "Contact"}))
    log = tmp_path / "elt.log"
    log.write_text("noise\n" + TARGET_LINE.replace("/tmp/r/onboarding/x", str(results)) + "\n")
    assert len(summaries_in_log(log)) == 1
    (result,) = stream_results(log)
    assert (result.report, result.sobject, result.status) == ("onboarding", "Contact", "completed")
    assert result.counts["updated"] == 12 and result.counts["ambiguous"] == 1
    assert result.api_calls == 7
    assert result.results_dir == str(results)


def test_missing_log_has_no_results(tmp_path: Path) -> None:
    assert stream_results(tmp_path / "absent.log") == []
