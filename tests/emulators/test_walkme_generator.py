"""The demo-world generator: deterministic, exact counts, awkward keys, a matching Salesforce seed.

The consistency test re-derives every count in expected.json independently from the written CSV
and seed files (keys trimmed and case-folded, last row wins), so the files and the summary can
never drift apart.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from walkme_emulator.generator import GeneratorError, generate
from walkme_emulator.report_catalog import NPS_HEADER, ONBOARDING_HEADER

ROWS = 3000
GENERATE = [sys.executable, "-m", "walkme_emulator.cli", "generate", "--rows"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    expected = generate(rows=ROWS, seed=42, out_dir=out)
    return out, expected


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    return header, rows


def norm(key: str) -> str:
    return key.strip().casefold()


def test_files_and_headers(world):
    out, _ = world
    assert sorted(p.name for p in out.iterdir()) == [
        "expected.json",
        "nps.csv",
        "onboarding.csv",
        "salesforce-seed.json",
    ]
    header, rows = read_csv(out / "onboarding.csv")
    assert tuple(header) == ONBOARDING_HEADER
    assert len(rows) == ROWS
    header, rows = read_csv(out / "nps.csv")
    assert tuple(header) == NPS_HEADER
    assert len(rows) == ROWS


def test_same_seed_same_bytes_other_seed_other_bytes(world, tmp_path):
    out, _ = world
    again = tmp_path / "again"
    generate(rows=ROWS, seed=42, out_dir=again)
    for name in ("onboarding.csv", "nps.csv", "salesforce-seed.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    other = tmp_path / "other"
    generate(rows=ROWS, seed=43, out_dir=other)
    assert (other / "onboarding.csv").read_bytes() != (out / "onboarding.csv").read_bytes()


def test_parallel_generation_writes_the_same_bytes(world, tmp_path):
    out, expected = world
    parallel = generate(rows=ROWS, seed=42, out_dir=tmp_path, jobs=2)
    for name in ("onboarding.csv", "nps.csv", "salesforce-seed.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    assert parallel["reports"] == expected["reports"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in out.iterdir())


def test_one_report_alone_is_the_same_report(world, tmp_path):
    out, _ = world
    expected = generate(rows=ROWS, seed=42, out_dir=tmp_path, reports=["nps"])
    assert (tmp_path / "nps.csv").read_bytes() == (out / "nps.csv").read_bytes()
    assert not (tmp_path / "onboarding.csv").exists()
    assert list(expected["reports"]) == ["nps"]
    seed = json.loads((tmp_path / "salesforce-seed.json").read_text(encoding="utf-8"))
    assert list(seed["records"]) == ["Lead"]


def test_values_are_realistic(world):
    out, _ = world
    _, onboarding = read_csv(out / "onboarding.csv")
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    for row in onboarding:
        if not row["End User ID"]:
            continue
        progress = row["Onboarding Progress (%)"]
        assert re.fullmatch(r"\d{1,3}\.\d\d", progress)
        assert 0 <= float(progress) <= 100
        assert row["Onboarding Completed"] == ("true" if progress == "100.00" else "false")
        assert iso.match(row["First seen timestamp"])
        assert iso.match(row["Last seen timestamp"])
        assert row["First seen timestamp"] <= row["Last seen timestamp"] <= "2026-11-26T09:00:00Z"
        assert row["Total sessions"].isdigit()
        assert row["Feature Adoption"] in {"Low", "Medium", "High"}
    _, nps = read_csv(out / "nps.csv")
    comments = [row["Answer Freetext"] for row in nps]
    assert all(0 <= int(row["Answer"]) <= 10 for row in nps)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", row["Date (UTC)"]) for row in nps)
    assert all(row["Question Date & Time (UTC)"].startswith(row["Date (UTC)"]) for row in nps)
    assert any("\n" in c for c in comments)
    assert any("," in c for c in comments)
    assert any('"' in c for c in comments)
    assert any(not c for c in comments)


def test_awkward_keys_are_present_and_counted(world):
    out, expected = world
    for report in ("onboarding", "nps"):
        _, rows = read_csv(out / f"{report}.csv")
        keys = [row["End User ID"] for row in rows if row["End User ID"]]
        assert any(k != k.strip() for k in keys), "surrounding spaces"
        assert any("+" in k for k in keys), "plus addresses"
        assert any("'" in k for k in keys), "apostrophes"
        assert any(not k.isascii() for k in keys), "non-ASCII"
        assert any(k.strip() != k.strip().lower() for k in keys), "mixed case"
        awkward = expected["reports"][report]["awkward_keys"]
        distinct = expected["reports"][report]["distinct_keys"]
        assert set(awkward) == {
            "mixed_case",
            "plus_address",
            "apostrophe",
            "non_ascii",
            "surrounding_spaces",
        }
        assert 0.05 * distinct < awkward["mixed_case"] < 0.15 * distinct
        assert all(count > 0 for count in awkward.values())


def _last_rows(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    last: dict[str, dict[str, str]] = {}
    for row in rows:
        key = row["End User ID"]
        if key.strip():
            last[norm(key)] = row
    return last


def _same(report_value: str, record_value, field: str) -> bool:
    """Report cell vs seed value after the obvious coercion (null_values: skip)."""
    if report_value == "":
        return True
    if record_value is None:
        return False
    if isinstance(record_value, bool):
        return report_value == ("true" if record_value else "false")
    if isinstance(record_value, (int, float)):
        return float(report_value) == float(record_value)
    if field.endswith(("_Seen__c",)):
        return report_value.replace("Z", ".000+0000") == record_value
    return report_value == record_value


@pytest.mark.parametrize("report", ["onboarding", "nps"])
def test_seed_and_expected_agree_with_the_csv(world, report):
    out, expected = world
    summary = expected["reports"][report]
    sobject = summary["sobject"]
    _, rows = read_csv(out / f"{report}.csv")
    seed = json.loads((out / "salesforce-seed.json").read_text(encoding="utf-8"))
    records = seed["records"][sobject]
    assert expected["salesforce_seed"]["records"][sobject] == len(records)
    by_email = defaultdict(list)
    for record in records:
        by_email[norm(record["Email"])].append(record)

    last = _last_rows(rows)
    assert summary["rows"] == len(rows) == ROWS
    assert summary["empty_key_rows"] == sum(1 for r in rows if not r["End User ID"].strip())
    assert summary["distinct_keys"] == len(last)

    counts = defaultdict(int)
    unchanged = 0
    for key, row in last.items():
        live = [r for r in by_email.get(key, []) if not r.get("IsDeleted")]
        deleted = [r for r in by_email.get(key, []) if r.get("IsDeleted")]
        if len(live) > 1:
            counts["duplicated"] += 1
        elif len(live) == 1 and live[0].get("IsConverted"):
            counts["converted"] += 1
        elif len(live) == 1:
            exact = live[0]["Email"] == row["End User ID"].strip()
            counts["match_exact" if exact else "match_case"] += 1
            mapping = summary["field_mapping"]
            if all(_same(row[col], live[0].get(fld), fld) for col, fld in mapping.items()):
                unchanged += 1
        elif deleted:
            counts["deleted_only"] += 1
        else:
            counts["missing"] += 1
    assert {k: v for k, v in summary["keys"].items() if v} == dict(counts)
    assert summary["unchanged"] == unchanged
    assert summary["should_match"] == counts["match_exact"] + counts["match_case"]
    assert summary["should_update"] == summary["should_match"] - unchanged
    assert summary["unmatched"] == counts["missing"] + counts["deleted_only"]
    assert summary["ambiguous"] == counts["duplicated"]
    assert summary["ambiguous_records"] == sum(
        len(by_email[k]) for k in last if len(by_email.get(k, [])) > 1
    )
    for category in ("match_exact", "match_case", "missing", "duplicated", "deleted_only"):
        assert counts[category] > 0, category
    if sobject == "Lead":
        assert counts["converted"] > 0
    bystanders = set(by_email) - set(last)
    assert len(bystanders) == summary["bystander_records"] > 0


def test_repeated_nps_keys_are_consecutive_oldest_first(world):
    out, expected = world
    _, rows = read_csv(out / "nps.csv")
    assert expected["reports"]["nps"]["duplicate_key_rows"] > 0
    previous_key, previous_time = None, ""
    seen_spellings = set()
    for row in rows:
        key = norm(row["End User ID"])
        if key and key == previous_key:
            assert row["Question Date & Time (UTC)"] > previous_time
            seen_spellings.add(row["End User ID"])
        previous_key, previous_time = key, row["Question Date & Time (UTC)"]
    assert seen_spellings


def test_zero_rows_and_bom(tmp_path):
    expected = generate(rows=0, seed=1, out_dir=tmp_path, bom=True)
    raw = (tmp_path / "onboarding.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfEnd User ID,")
    assert raw.count(b"\n") == 1
    assert expected["reports"]["nps"]["distinct_keys"] == 0
    json.loads((tmp_path / "salesforce-seed.json").read_text(encoding="utf-8"))


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(GeneratorError, match="unknown report"):
        generate(rows=1, out_dir=tmp_path, reports=["usage"])
    with pytest.raises(GeneratorError, match="--as-of"):
        generate(rows=1, out_dir=tmp_path, as_of="yesterday")


def test_cli_generate_with_separate_seed_path(tmp_path):
    seed_path = tmp_path / "sf" / "seed.json"
    out = str(tmp_path / "w")
    result = subprocess.run(
        [*GENERATE, "500", "--seed", "7", "--out", out, "--salesforce-seed", str(seed_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    summary = json.loads(result.stdout)
    assert summary["reports"]["onboarding"]["rows"] == 500
    assert seed_path.is_file()
    expected = json.loads((tmp_path / "w" / "expected.json").read_text(encoding="utf-8"))
    assert expected["salesforce_seed"]["path"] == str(seed_path)
    bad = subprocess.run(
        [*GENERATE, "1", "--out", str(tmp_path / "x"), "--reports", "usage"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "choose from onboarding, nps" in bad.stderr
