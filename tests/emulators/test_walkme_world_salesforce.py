"""One command, one consistent demo world: the generated seed loads into the Salesforce emulator
and SOQL over real HTTP finds exactly the matches expected.json promises for the report keys."""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import pytest
import requests
from salesforce_emulator.testing import SalesforceEmulator
from walkme_emulator.generator import generate

ROWS = 400


def soql_literal(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{escaped}'"


def query(sf, token, soql):
    records, url = [], f"{sf.api_base}/query"
    params = {"q": soql}
    while url:
        response = requests.get(
            url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        response.raise_for_status()
        body = response.json()
        records += body["records"]
        url = sf.url + body["nextRecordsUrl"] if body.get("nextRecordsUrl") else None
        params = None
    return records


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    expected = generate(rows=ROWS, seed=11, out_dir=out)
    with SalesforceEmulator(seeds=["default", str(out / "salesforce-seed.json")]) as sf:
        yield out, expected, sf


def test_every_seed_record_is_loaded(world):
    out, expected, sf = world
    seed = json.loads((out / "salesforce-seed.json").read_text(encoding="utf-8"))
    for sobject, records in seed["records"].items():
        stored = {r["Email"] for r in sf.records(sobject) if r.get("Email")}
        assert {r["Email"] for r in records} <= stored
        assert expected["salesforce_seed"]["records"][sobject] == len(records)


@pytest.mark.parametrize("report", ["onboarding", "nps"])
def test_soql_matches_agree_with_expected(world, report):
    out, expected, sf = world
    summary = expected["reports"][report]
    with (out / f"{report}.csv").open(encoding="utf-8", newline="") as handle:
        keys = {row["End User ID"].strip() for row in csv.DictReader(handle)}
    keys.discard("")
    token = sf.access_token()
    found = defaultdict(list)
    ordered = sorted(keys)
    extra = ", IsConverted" if summary["sobject"] == "Lead" else ""
    for start in range(0, len(ordered), 100):
        batch = ", ".join(soql_literal(k) for k in ordered[start : start + 100])
        soql = f"SELECT Id, Email{extra} FROM {summary['sobject']} WHERE Email IN ({batch})"
        for record in query(sf, token, soql):
            found[record["Email"].casefold()].append(record)
    by_key = {k.casefold(): found.get(k.casefold(), []) for k in keys}
    assert len(by_key) == summary["distinct_keys"]
    single = [v[0] for v in by_key.values() if len(v) == 1]
    converted = sum(1 for r in single if r.get("IsConverted"))
    assert sum(1 for v in by_key.values() if len(v) > 1) == summary["ambiguous"]
    assert len(single) - converted == summary["should_match"]
    assert converted == summary["converted"]
    assert sum(1 for v in by_key.values() if not v) == summary["unmatched"]
