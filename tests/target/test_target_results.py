"""Results files and summary line (no Salesforce needed)."""

from __future__ import annotations

import csv
import io
import json
import logging
import random

from target_salesforce_update.results import StreamResults
from target_salesforce_update.results_files import (
    COLUMNS,
    ResultsFiles,
    csv_line,
    encode_values,
    spreadsheet_safe,
)


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


def test_result_lines_are_csv_writer_lines_of_spreadsheet_safe_cells(tmp_path):
    """``ResultsFiles.write_rows`` builds lines without ``csv``: they are what ``csv.writer``
    writes for the spreadsheet-safe cells, whatever the key, Ids, values and errors hold."""
    alphabet = ['"', ",", "\r", "\n", " ", "'", "=", "+", "-", "@", "a", "é", ";", "\t", "{"]
    rng = random.Random(23)

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    files = ResultsFiles(tmp_path)
    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow(COLUMNS)
    for group in range(1500):
        rows = [
            (group * 10 + n, rng.choice([text(), 12345, None])) for n in range(rng.randint(1, 3))
        ]
        ids = [text() for _ in range(rng.randint(0, 2))]
        values = rng.choice([None, {"F__c": text(), "N__c": rng.random(), "B__c": True}])
        fields = sorted(values) if values else []
        code, message = rng.choice([("", ""), (text(), text())])
        files.write_rows(
            "updated",
            rows,
            outcome="updated",
            record_ids=ids,
            fields_changed=fields,
            new_values=values,
            error_code=code,
            error_message=message,
        )
        for position, key in rows:
            writer.writerow(
                [
                    position,
                    spreadsheet_safe(key),
                    "updated",
                    spreadsheet_safe(";".join(ids)),
                    ";".join(fields),
                    spreadsheet_safe(encode_values(values) if values else ""),
                    spreadsheet_safe(code),
                    spreadsheet_safe(message),
                ]
            )
    files.close()
    with (tmp_path / "updated.csv").open(encoding="utf-8", newline="") as handle:
        written = handle.read()
    assert written == expected.getvalue()


def test_new_values_is_compact_json_of_the_changed_values():
    values = {"A__c": 'ü "q"', "B__c": 16.96, "C__c": True, "D__c": None, "E__c": 3}
    assert (
        encode_values(values)
        == '{"A__c":"ü \\"q\\"","B__c":16.96,"C__c":true,"D__c":null,"E__c":3}'
    )
    assert json.loads(encode_values(values)) == values
    lone = {"A__c": "bad \udcff byte"}  # msgspec refuses a lone surrogate: the stdlib writes it
    assert json.loads(encode_values(lone)) == lone


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
    assert updated[1] == ["1", "a@x.io", "updated", "003A;003B", "F__c", '{"F__c":1}', "", ""]
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


def test_a_written_spooled_group_is_reported_as_report_writes_its_restored_group(tmp_path):
    """Settling a Bulk job writes the lines of groups whose records were all written without
    rebuilding them (report_written): the same bytes as report(restore(group))."""
    from target_salesforce_update.key_groups import report, report_written, restore
    from target_salesforce_update.spool import SpooledGroup

    rng = random.Random(5)
    groups = []
    for number in range(300):
        ids = [f"003{number:03d}{i:09d}AAA" for i in range(rng.choice([1, 1, 2, 3]))]
        changes = {
            rid: {
                name: rng.choice([1.5, True, None, 'x,"y"', "=1+1", "2026-01-01T00:00:00.000Z"])
                for name in rng.sample(["A__c", "B__c", "C__c"], rng.randint(1, 3))
            }
            for rid in ids
        }
        rows = [(number * 10 + i, rng.choice(["a@x.io", " B@x.io", "=cmd", 42])) for i in range(2)]
        groups.append(SpooledGroup(rows, ids, changes))
    folders = {}
    for way in ("report", "report_written"):
        results = StreamResults(
            results_dir=tmp_path / way,
            stream="s",
            sobject="Contact",
            environment="dev",
            logger=logging.getLogger("test.results"),
        )
        for spooled in groups:
            if way == "report":
                report(results, restore(spooled), "update_all")
            else:
                report_written(results, spooled)
        results.finish()
        folders[way] = (results.folder, dict(results.counts))
    (one, counts_one), (two, counts_two) = folders.values()
    assert counts_one == counts_two and counts_one["updated"] == 600
    assert (one / "updated.csv").read_bytes() == (two / "updated.csv").read_bytes()
