"""Big seed files are streamed: same records as ``json.loads``, bounded memory, clear errors.

The reader is checked directly on files (tiny read sizes force a refill inside every kind of
token), and one emulator is started on a seed above the streaming threshold and queried over
HTTP, then reset (which reads the file again).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from salesforce_emulator.org import STREAM_SEED_BYTES
from salesforce_emulator.seed_file import SeedFile, SeedFormatError
from salesforce_emulator.testing import SalesforceEmulator


def records_of(seed: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(name, r) for name, rs in (seed.get("records") or {}).items() for r in rs]


def write(tmp_path: Path, text: str, name: str = "seed.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


AWKWARD_SEED = {
    "org": {"name": "Stream Org", "api_limit": 123456},
    "fields": {"Contact": [{"name": "Score__c", "type": "double"}]},
    "records": {
        "Contact": [
            {"LastName": "Plain", "Email": "plain@example.com", "Score__c": 1.5},
            {"LastName": 'Quote " and \\ back', "Email": "zoë.müller@example.com"},
            {"LastName": "Esc \u00e9 \U0001f600 \n", "Score__c": 12345678901234567890},
            {"LastName": "Exp", "Score__c": -1.25e-7, "IsDeleted": True},
        ],
        "Lead": [],
        "Account": [{"Name": "Acme"}],
    },
}


@pytest.mark.parametrize("read_chars", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 1, 4])
def test_reader_gives_what_json_loads_gives(tmp_path: Path, read_chars: int, indent) -> None:
    path = write(tmp_path, json.dumps(AWKWARD_SEED, indent=indent, ensure_ascii=indent == 1))
    seed = SeedFile(path, read_chars=read_chars)
    assert seed.metadata() == {k: v for k, v in AWKWARD_SEED.items() if k != "records"}
    assert list(seed.records()) == records_of(AWKWARD_SEED)
    assert list(seed.records()) == records_of(AWKWARD_SEED)  # readable again (reset)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.dictionaries(
        st.sampled_from(["Contact", "Lead", "Account"]),
        st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=4), max_size=5),
        max_size=3,
    ),
    meta=st.dictionaries(st.sampled_from(["org", "users", "fields"]), json_values, max_size=3),
    read_chars=st.integers(1, 40),
    indent=st.sampled_from([None, 0, 2]),
)
# a number cut by a refill ("0." of "0.0") must be read on, not ended early
@example(records={}, meta={"org": 0.0}, read_chars=1, indent=None)
def test_property_any_layout_any_read_size(
    tmp_path: Path, records, meta, read_chars: int, indent
) -> None:
    seed = {**meta, "records": records}
    path = write(tmp_path, json.dumps(seed, indent=indent))
    reader = SeedFile(path, read_chars=read_chars)
    assert reader.metadata() == meta
    assert list(reader.records()) == records_of(seed)


@pytest.mark.parametrize("nested_from", [None, 0, 1500, 2999])
def test_big_arrays_decoded_in_runs_match_json_loads(tmp_path: Path, nested_from) -> None:
    """Past 64 KiB of buffer the reader decodes many records per ``json.loads``, cutting
    after a ``}``: strings full of ``}``, ``},`` and ``}]`` must not fool it, and records with
    nested objects (from ``nested_from`` on) make it fall back to one record at a time."""
    records = []
    for n in range(3000):
        record: dict[str, Any] = {
            "LastName": f'R{n} }}, {{"x": 1}} ] }}\n,',
            "Email": f"r{n}@example.com",
            "Tricky__c": "}" * (n % 5) + "," + "]" * (n % 3),
        }
        if nested_from is not None and n >= nested_from:
            record["Nested"] = {"a": {"b": [1, {"c": "}"}]}, "d": "},"}
        records.append(record)
    seed = {"records": {"Contact": records, "Lead": records[:10]}}
    for indent in (None, 1):
        path = write(tmp_path, json.dumps(seed, indent=indent))
        assert list(SeedFile(path).records()) == records_of(seed)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"records": {"Contact": []}, "fields": {}}', "put 'records' last"),
        ('{"records": {"Contact": [{"LastName": "A"} {"LastName": "B"}]}}', "expected ','"),
        ('{"records": {"Contact": [{"LastName": "A"}', "character"),
        ('{"records": {"Contact": {"LastName": "A"}}}', "must be a JSON array"),
        ('["not", "an", "object"]', "must be a JSON object"),
        ('{"records": {"Contact": []}} trailing', "unexpected text"),
    ],
)
def test_broken_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    seed = SeedFile(write(tmp_path, text), read_chars=5)
    with pytest.raises(SeedFormatError, match=message):
        seed.metadata()
        list(seed.records())


def test_null_records_are_no_records(tmp_path: Path) -> None:
    seed = SeedFile(write(tmp_path, '{"org": {"name": "X"}, "records": null}'))
    assert seed.metadata() == {"org": {"name": "X"}}
    assert list(seed.records()) == []


@pytest.mark.slow
def test_emulator_streams_a_big_seed_file_and_rereads_it_on_reset(tmp_path: Path) -> None:
    """A seed over the threshold: metadata first, records streamed, queryable, reset works."""
    path = tmp_path / "big-seed.json"
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"fields": {"Contact": [{"name": "Blob__c", "type": "textarea"}]},\n')
        out.write(' "records": {"Contact": [\n')
        padding = "x" * 300
        while out.tell() <= STREAM_SEED_BYTES + 1000:
            record = {
                "LastName": f"Big{count}",
                "Email": f"Big.User{count}@Example.com",
                "Blob__c": padding,
            }
            if count % 10 == 0:
                record["WalkMe_Last_Seen__c"] = "2026-11-26T14:03:22.000+0000"
            out.write(("," if count else "") + json.dumps(record) + "\n")
            count += 1
        out.write("]}}\n")
    with SalesforceEmulator(seeds=("default", str(path)), start_timeout=120) as sf:
        token, instance = sf.login()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"

        def query(soql: str) -> dict[str, Any]:
            response = session.get(
                f"{instance}/services/data/v67.0/query", params={"q": soql}, timeout=30
            )
            assert response.status_code == 200, response.text
            return response.json()

        keys = ", ".join(f"'big.user{n}@example.com'" for n in (0, 1, count - 1))
        found = query(
            f"SELECT Id, Email, Name, Blob__c, WalkMe_Last_Seen__c FROM Contact "
            f"WHERE Email IN ({keys})"
        )
        assert found["totalSize"] == 3
        by_email = {r["Email"]: r for r in found["records"]}
        assert by_email["Big.User0@Example.com"]["WalkMe_Last_Seen__c"] == (
            "2026-11-26T14:03:22.000+0000"
        )
        assert by_email["Big.User1@Example.com"]["Name"] == "Big1"
        assert all(r["Blob__c"] == "x" * 300 for r in found["records"])
        total = query("SELECT COUNT() FROM Contact WHERE LastName LIKE 'Big%'")["totalSize"]
        assert total == count
        sf.reset()  # re-applies the startup seeds: the file is streamed again
        assert query("SELECT COUNT() FROM Contact WHERE LastName LIKE 'Big%'")["totalSize"] == count
