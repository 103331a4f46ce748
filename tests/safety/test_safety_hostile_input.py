"""Hostile input: every hostile row gets a clear error or a counted, reported rejection, and
nothing partial is written.

Target side (its console script over Singer messages): keys shaped like SOQL injection, report
values starting with ``= + - @`` (data in Salesforce, inert in the results CSVs), 1 MB values
and keys, invalid UTF-8, and malformed, out-of-order or unknown-stream Singer messages. Tap side
(its console script over CSV exports): 1 MB cells, invalid UTF-8, thousands of columns,
duplicate column names.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .safety_harness import (
    TAP,
    all_csv_cells,
    bookmark,
    child_env,
    org_snapshot,
    record_line,
    results_rows,
    run_target,
    schema_line,
    state_line,
    summaries,
    target_config,
)

FORMULA_STARTS = ("=", "+", "-", "@")


def _email(i: int) -> str:
    return f"safety.{i:05d}@example.com"


def _by_email(snapshot: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(r.get("Email") or "").casefold(): r for r in snapshot.values() if r.get("Email")}


def _changed(before: dict, after: dict) -> set[str]:
    return {rid for rid in after if after[rid] != before.get(rid)}


def _singer(rows: list[dict[str, Any]], stream: str = "onboarding") -> str:
    lines = [schema_line(stream), *(record_line(r, stream) for r in rows)]
    return "\n".join([*lines, state_line(bookmark(len(rows), stream))]) + "\n"


def _counts(results: Path) -> dict[str, int]:
    [summary] = summaries(results)
    return summary["counts"]


# ---------------------------------------------------------------------------- keys


INJECTION_KEYS = [
    "x' OR Email != '",
    f"{_email(1)}' OR Email LIKE '%",
    "\\' OR Email != \\'",
    "') OR (Email != '",
    f"{_email(2)}\\",
    "%",
    "_",
    "%@example.com",
    "' OR '1'='1",
    "\\",
    "'",
    f"{_email(3)}' OR Id != null OR Email = '",
]


def test_soql_injection_shaped_keys_match_only_themselves(sf: Any, tmp_path: Path) -> None:
    before = org_snapshot(sf)
    rows = [{"email": key, "segment": "INJECTED"} for key in INJECTION_KEYS]
    rows.append({"email": _email(4), "segment": "legit"})
    finished = run_target(target_config(sf, tmp_path / "results"), _singer(rows), tmp_path)
    assert finished.returncode == 0, finished.stderr[-3000:]
    after = org_snapshot(sf)
    changed = _changed(before, after)
    assert [after[rid]["Email"] for rid in changed] == [_email(4)]
    assert after[next(iter(changed))]["WalkMe_Segment__c"] == "legit"
    counts = _counts(tmp_path / "results")
    assert counts["unmatched"] == len(INJECTION_KEYS), counts
    assert counts["updated"] == 1


# ---------------------------------------------------------------------------- formula cells


FORMULAS = ["=1+2", "+SUM(A1:A9)", "-2+3", "@cmd", '=HYPERLINK("http://x.example","y")']


def test_formula_values_are_data_in_salesforce_and_inert_in_results_csvs(
    sf: Any, tmp_path: Path
) -> None:
    rows = [{"email": _email(10 + i), "segment": v} for i, v in enumerate(FORMULAS)]
    unmatched_keys = ["=evil()@example.com", "+1@example.com", "-x@example.com", "@x@example.com"]
    rows += [{"email": key, "segment": "=1"} for key in unmatched_keys]
    rows.append({"email": "=reject@example.com", "progress": "=not a number"})  # rejected row
    finished = run_target(target_config(sf, tmp_path / "results"), _singer(rows), tmp_path)
    assert finished.returncode == 0, finished.stderr[-3000:]

    stored = _by_email(org_snapshot(sf))
    for i, value in enumerate(FORMULAS):
        assert stored[_email(10 + i)]["WalkMe_Segment__c"] == value  # written as data, exactly

    dangerous = [
        (path.name, cell)
        for path, cell in all_csv_cells(tmp_path / "results")
        if cell.startswith(FORMULA_STARTS)
    ]
    assert dangerous == [], f"cells a spreadsheet would run: {dangerous[:5]}"
    [summary] = summaries(tmp_path / "results")
    reported = {r["key"] for r in results_rows(summary, "unmatched")}
    assert reported == {"'" + key for key in unmatched_keys}
    assert summary["counts"]["rejected"] == 1


# ---------------------------------------------------------------------------- huge values


def test_one_megabyte_value_and_key_are_counted_rejections_and_nothing_partial_is_written(
    sf: Any, tmp_path: Path
) -> None:
    before = org_snapshot(sf)
    huge = "x" * 1_000_000
    rows = [
        {"email": _email(20), "segment": huge, "progress": 50},  # value too long for the field
        {"email": huge + "@example.com", "segment": "fine"},  # key too long to look up
        {"email": _email(21), "segment": "fine"},  # an ordinary row next to them
    ]
    finished = run_target(target_config(sf, tmp_path / "results"), _singer(rows), tmp_path)
    assert finished.returncode == 0, finished.stderr[-3000:]
    counts = _counts(tmp_path / "results")
    assert counts["rejected"] == 2, counts
    assert counts["updated"] == 1, counts
    after = org_snapshot(sf)
    assert [after[rid]["Email"] for rid in _changed(before, after)] == [_email(21)]
    assert huge not in (tmp_path / "stderr").read_text(), "a 1 MB value was logged"


# ---------------------------------------------------------------------------- encoding


def _with_invalid_utf8(field: str) -> tuple[bytes, str]:
    """Singer input: two good rows around one whose ``field`` holds the byte 0xFF."""
    good = [{"email": _email(30), "segment": "ok"}, {"email": _email(32), "segment": "ok"}]
    marker = "INVALIDBYTE"
    bad = {"email": _email(31), "segment": "ok"}
    bad[field] = marker + "@example.com" if field == "email" else marker
    data = "\n".join(
        [
            schema_line(),
            record_line(good[0]),
            record_line(bad),
            record_line(good[1]),
            state_line(bookmark(3)),
            "",
        ]
    ).encode()
    return data.replace(marker.encode(), b"caf\xff"), _email(31)


@pytest.mark.parametrize(
    "field",
    ["segment", "email"],
)
def test_invalid_utf8_in_a_record_is_a_counted_rejection_or_a_clear_error(
    field: str, sf: Any, tmp_path: Path
) -> None:
    before = org_snapshot(sf)
    data, _ = _with_invalid_utf8(field)
    finished = run_target(target_config(sf, tmp_path / "results"), data, tmp_path)
    after = org_snapshot(sf)
    changed = {after[rid]["Email"] for rid in _changed(before, after)}
    [summary] = summaries(tmp_path / "results")
    if finished.returncode == 0:  # row-level rejection: the other rows are applied
        assert summary["counts"]["rejected"] == 1, summary["counts"]
        assert changed == {_email(30), _email(32)}
    else:  # or the input refused before anything is written, naming the problem and the row
        error = summary["error"].lower()
        assert "utf-8" in error and "row" in error and "codec" not in error, error
        assert changed == set()
    assert "still failing after" not in finished.stderr


# ---------------------------------------------------------------------------- Singer protocol


def _protocol_cases() -> dict[str, tuple[str, str]]:
    r1 = record_line({"email": _email(40), "segment": "p"})
    r2 = record_line({"email": _email(41), "segment": "p"})
    end = state_line(bookmark(2))
    return {
        "malformed-json": (f"{schema_line()}\n{r1}\n{{not json\n{r2}\n{end}\n", "JSON"),
        "record-before-schema": (f"{r1}\n{schema_line()}\n{r2}\n{end}\n", "before"),
        "message-without-type": (f'{schema_line()}\n{r1}\n{{"stream": "onboarding"}}\n', "type"),
        "json-array-line": (f"{schema_line()}\n{r1}\n[1, 2]\n{end}\n", ""),
        "truncated-last-line": (f"{schema_line()}\n{r1}\n{r2[: len(r2) // 2]}", "JSON"),
        "unknown-stream-after-rows": (
            f"{schema_line()}\n{r1}\n{schema_line('mystery')}\n"
            f"{record_line({'email': _email(41)}, 'mystery')}\n{end}\n",
            "mystery",
        ),
    }


@pytest.mark.parametrize("case", list(_protocol_cases()))
def test_bad_singer_messages_stop_with_a_clear_error_and_write_nothing(
    case: str, sf: Any, tmp_path: Path
) -> None:
    text, says = _protocol_cases()[case]
    config = target_config(sf, tmp_path / "results")
    if case == "unknown-stream-after-rows":  # only the onboarding stream has an integration
        integration = {k: config.pop(k) for k in ("sobject", "match_property", "field_mapping")}
        config["streams"] = {"onboarding": integration}
    before = org_snapshot(sf)
    finished = run_target(config, text, tmp_path)
    assert finished.returncode != 0
    assert finished.states == []
    assert org_snapshot(sf) == before, "rows were written from a broken input"
    last_line = finished.stderr.strip().splitlines()[-1]
    assert says.lower() in last_line.lower(), last_line
    assert sf.stats()["records_updated"] == 0


# ---------------------------------------------------------------------------- tap side


def _tap(tmp_path: Path, content: bytes) -> subprocess.CompletedProcess[str]:
    report = tmp_path / "report.csv"
    report.write_bytes(content)
    config = tmp_path / "tap.json"
    config.write_text(
        json.dumps({"report_name": "r", "source": str(report), "key_column": "End User ID"})
    )
    return subprocess.run(
        [TAP, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(),
        check=False,
    )


def _messages(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_tap_keeps_a_one_megabyte_cell_whole(tmp_path: Path) -> None:
    big = "y" * 1_000_000
    done = _tap(tmp_path, f"End User ID,Comment\na@x.com,{big}\nb@x.com,ok\n".encode())
    assert done.returncode == 0, done.stderr[-2000:]
    records = [m["record"] for m in _messages(done.stdout) if m["type"] == "RECORD"]
    assert {r["end_user_id"]: r["comment"] for r in records} == {"a@x.com": big, "b@x.com": "ok"}
    assert big not in done.stderr


def test_tap_refuses_invalid_utf8_naming_the_row_and_the_fix(tmp_path: Path) -> None:
    done = _tap(tmp_path, b"End User ID,Segment\na@x.com,ok\nb@x.com,caf\xe9\n")
    assert done.returncode != 0
    assert not [m for m in _messages(done.stdout) if m["type"] in ("RECORD", "STATE")]
    assert "utf-8" in done.stderr.lower() and "row 2" in done.stderr and "encoding" in done.stderr


def test_tap_handles_a_header_of_thousands_of_columns(tmp_path: Path) -> None:
    width = 3000
    header = ["End User ID", *(f"Metric #{i} (%)" for i in range(width))]
    row = ["a@x.com", *(str(i) for i in range(width))]
    done = _tap(tmp_path, (",".join(header) + "\n" + ",".join(row) + "\n").encode())
    assert done.returncode == 0, done.stderr[-2000:]
    [record] = [m["record"] for m in _messages(done.stdout) if m["type"] == "RECORD"]
    assert len(record) == width + 1
    assert record["metric_number_2999_pct"] == 2999


def test_tap_duplicate_column_names_get_distinct_properties(tmp_path: Path) -> None:
    done = _tap(tmp_path, b"End User ID,Score,Score,score\na@x.com,1,2,3\n")
    assert done.returncode == 0, done.stderr[-2000:]
    [record] = [m["record"] for m in _messages(done.stdout) if m["type"] == "RECORD"]
    assert record == {"end_user_id": "a@x.com", "score": 1, "score_2": 2, "score_3": 3}


def test_tap_refuses_a_duplicated_key_column(tmp_path: Path) -> None:
    done = _tap(tmp_path, b"End User ID,End User ID,Score\na@x.com,b@x.com,1\n")
    assert done.returncode != 0
    assert not [m for m in _messages(done.stdout) if m["type"] in ("RECORD", "STATE")]
    assert "matches several columns" in done.stderr
