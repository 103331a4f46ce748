"""Results files and summary line (no Salesforce needed)."""

from __future__ import annotations

import csv
import io
import json
import logging
import random

from target_salesforce_update.results import StreamResults
from target_salesforce_update.results_files import COLUMNS, csv_line, spreadsheet_safe


def test_spreadsheet_safe():
    assert spreadsheet_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    for text in ("+1", "-1", "@SUM(A1)", "\tx"):
        assert spreadsheet_safe(text).startswith("'")
    assert spreadsheet_safe("ann@example.com") == "ann@example.com"
    assert spreadsheet_safe(None) == ""


def test_csv_line_writes_what_csv_writer_writes():
    """The results files' own line builder is byte-identical to ``csv.writer`` (excel dialect)."""
    alphabet = ['"', ",", "\r", "\n", " ", "'", "=", "a", "Z", "é", "\u2013", ";", "\t", "{", "\\"]
    rng = random.Random(17)
    rows = [["", "x"], ['"', ","], ["a\r\nb", " lead", "trail "], ['{"F__c": "say ""hi"""}', ""]]
    rows += [
        ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(8)]
        for _ in range(2000)
    ]
    for cells in rows:
        expected = io.StringIO()
        csv.writer(expected).writerow(cells)
        assert csv_line(cells) == expected.getvalue(), cells


def test_files_counts_and_summary_line(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("MELTANO_RUN_ID", "0123456789abcdef")
    logger = logging.getLogger("test.results")
    results = StreamResults(
        results_dir=tmp_path,
        stream="on:boarding",
        sobject="Contact",
        environment="dev",
        logger=logger,
    )
    results.add(
        "updated",
        row=results.next_position(),
        key="a@x.io",
        record_ids=["003A", "003B"],
        fields_changed=["F__c"],
        new_values={"F__c": 1},
    )
    results.add("unmatched", row=results.next_position(), key="=cmd|' /C calc'!A0")
    results.add("rejected", row=results.next_position(), key="", error_message="empty key")
    results.api_calls = 3
    with caplog.at_level(logging.INFO, logger="test.results"):
        summary = results.finish("completed")
    folder = results.folder
    assert folder.parent == tmp_path / "on_boarding"
    assert folder.name.endswith("-01234567")
    assert sorted(p.name for p in folder.iterdir()) == [
        "ambiguous.csv",
        "failed.csv",
        "summary.json",
        "unchanged.csv",
        "unmatched.csv",
        "updated.csv",
    ]
    updated = list(csv.reader((folder / "updated.csv").open()))
    assert updated[0] == list(COLUMNS)
    assert updated[1] == ["1", "a@x.io", "updated", "003A;003B", "F__c", '{"F__c": 1}', "", ""]
    unmatched = list(csv.reader((folder / "unmatched.csv").open()))
    assert unmatched[1][1] == "'=cmd|' /C calc'!A0"
    failed = list(csv.reader((folder / "failed.csv").open()))
    assert failed[1][2] == "rejected" and failed[1][7] == "empty key"
    on_disk = json.loads((folder / "summary.json").read_text())
    assert (
        on_disk["counts"]
        == summary["counts"]
        == {
            "updated": 1,
            "unchanged": 0,
            "unmatched": 1,
            "ambiguous": 0,
            "failed": 0,
            "rejected": 1,
        }
    )
    assert on_disk["run_id"] == "0123456789abcdef"
    assert on_disk["status"] == "completed_with_rejections" and on_disk["environment"] == "dev"
    assert on_disk["reason"].startswith("1 row(s) rejected before writing")
    assert on_disk["bookmark_withheld"] is True and on_disk["dry_run"] is False
    assert on_disk["fail_on"] == "failed_rows" and on_disk["exit_nonzero"] is False
    assert on_disk["api_calls"] == 3 and on_disk["rows"] == 3
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Summary:")]
    assert lines == [
        "Summary: stream=on:boarding object=Contact updated=1 unchanged=0 unmatched=1 ambiguous=0 "
        f"failed=0 rejected=1 api_calls=3 status=completed_with_rejections bookmark=withheld "
        f"results={folder}"
    ]
