"""The short RECORD path (:mod:`target_salesforce_update.record_messages`) does what the SDK's
does: the same batches, counts, STATE and errors; streams that are not plain keep the SDK's.

The first tests run two small singer-sdk targets side by side — the SDK's own path and the
mixin's — over one input, with a sink that records every batch it is given. The last one runs
the real target against the emulator both ways and compares the results files."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from singer_sdk import typing as th
from singer_sdk.exceptions import MissingKeyPropertiesError
from singer_sdk.sinks import BatchSink
from singer_sdk.target_base import Target
from target_harness import record_message, run_target, schema_message, unique_domain
from target_salesforce_update.record_messages import PlainRecordMessages


class RecordingSink(BatchSink):
    """Keeps a copy of every batch it is handed."""

    batches: list[list[dict]]

    def process_batch(self, context: dict) -> None:
        type(self).batches.append([dict(record) for record in context["records"]])


class SdkTarget(Target):
    name = "sdk-path"
    config_jsonschema = th.PropertiesList(th.Property("unused", th.StringType)).to_dict()
    default_sink_class = RecordingSink


class ShortTarget(PlainRecordMessages, SdkTarget):
    name = "short-path"


SCHEMA = {
    "type": "SCHEMA",
    "stream": "s",
    "schema": {
        "type": "object",
        "properties": {"email": {"type": ["string"]}, "n": {"type": ["integer", "null"]}},
    },
    "key_properties": ["email"],
}


def _lines(records: list[dict]) -> str:
    messages = [SCHEMA]
    messages += [{"type": "RECORD", "stream": "s", "record": r} for r in records]
    messages.append({"type": "STATE", "value": {"bookmarks": {"s": {"n": len(records)}}}})
    return "".join(json.dumps(m) + "\n" for m in messages)


def _run(cls: type[Target], records: list[dict], **config) -> tuple[list, int, str, Target]:
    RecordingSink.batches = []
    target = cls(config={"batch_size_rows": 3, **config}, validate_config=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        target.listen(io.StringIO(_lines(records)))
    read = sum(sink._total_records_read for sink in target._sinks_active.values())
    return RecordingSink.batches, read, out.getvalue(), target


RECORDS = [
    {"email": f"u{i}@x.example", "n": i, **({"_sdc_extracted_at": "2026-12-03"} if i == 2 else {})}
    for i in range(7)
]


def test_a_plain_stream_gives_the_same_batches_counts_and_state_by_the_short_path():
    sdk = _run(SdkTarget, RECORDS, validate_records=False)
    short = _run(ShortTarget, RECORDS, validate_records=False)
    assert short[3]._plain_sinks["s"] is short[3]._sinks_active["s"]  # the short path was taken
    assert short[:3] == sdk[:3]
    batches = short[0]
    assert [len(b) for b in batches] == [3, 3, 1]  # drained when full, then at the end
    assert all("_sdc_extracted_at" not in r for b in batches for r in b)  # removed, as the SDK does
    assert '"bookmarks": {"s": {"n": 7}}' in short[2]


def test_a_record_without_its_key_property_stops_the_run_with_the_sdks_error():
    records = [{"email": "a@x.example", "n": 1}, {"n": 2}]
    for cls in (SdkTarget, ShortTarget):
        with pytest.raises(MissingKeyPropertiesError):
            _run(cls, records, validate_records=False)


@pytest.mark.parametrize(
    "config",
    [
        {"validate_records": True},  # the SDK validates each record
        {"validate_records": False, "add_record_metadata": True},  # it adds _sdc columns
        {"validate_records": False, "stream_maps": {"s": {"m": "n * 2"}}},  # a map changes it
        {"validate_records": False, "stream_maps": {"s": {"__alias__": "t"}}},  # or renames it
        {"validate_records": False, "flattening_enabled": True, "flattening_max_depth": 1},
    ],
    ids=["validate", "metadata", "map", "alias", "flattening"],
)
def test_streams_that_are_not_plain_keep_the_sdks_steps(config):
    sdk = _run(SdkTarget, RECORDS, **config)
    short = _run(ShortTarget, RECORDS, **config)
    assert not any(short[3]._plain_sinks.values())
    if "add_record_metadata" in config:  # the _sdc stamps differ from run to run
        strip = [
            [{k: v for k, v in r.items() if not k.startswith("_sdc")} for r in b] for b in sdk[0]
        ]
        assert [
            [{k: v for k, v in r.items() if not k.startswith("_sdc")} for r in b] for b in short[0]
        ] == strip
        assert "_sdc_received_at" in short[0][0][0]
    else:
        assert short[0] == sdk[0]
    assert short[1:3] == sdk[1:3]
    if "stream_maps" in config and "m" in config["stream_maps"]["s"]:
        assert short[0][0][0]["m"] == 0 and short[0][1][0]["m"] == 6


def test_the_real_target_writes_and_reports_the_same_by_either_path(sf, base_config):
    """Against the emulator: a plain stream, and the same rows through the SDK's steps (a
    target-side map that keeps every value forces them), update the same values and report
    the same lines."""
    outcomes = {}
    for label, extra in (("short", {}), ("sdk", {"stream_maps": {"onboarding": {"kept": "1"}}})):
        domain = unique_domain()
        sf.seed(
            {
                "records": {
                    "Contact": [
                        {"LastName": "T", "Email": f"u{i}@{domain}", "WalkMe_NPS_Score__c": 3}
                        for i in range(4)
                    ]
                }
            }
        )
        rows = [{"email": f"u{i}@{domain}", "nps": str(i)} for i in range(5)]
        config = base_config(
            field_mapping={"nps": "WalkMe_NPS_Score__c"}, batch_size_rows=2, **extra
        )
        run = run_target(config, [schema_message()] + [record_message(r) for r in rows])
        assert run.error is None
        summary = run.summary()
        lines = {
            category: [
                (r["row"], r["key"].replace(domain, "d"), r["outcome"], r["new_values"])
                for r in run.rows(category)
            ]
            for category in ("updated", "unchanged", "unmatched")
        }
        stored = {
            email.replace(domain, "d"): record["WalkMe_NPS_Score__c"]
            for email, record in _contacts(sf, domain).items()
        }
        outcomes[label] = (summary["counts"], lines, stored)
    assert outcomes["short"] == outcomes["sdk"]
    counts, lines, stored = outcomes["short"]
    assert counts["updated"] == 3 and counts["unchanged"] == 1 and counts["unmatched"] == 1
    assert stored == {f"u{i}@d": float(i) for i in range(4)}


def _contacts(sf, domain: str) -> dict[str, dict]:
    return {
        r["Email"]: r
        for r in sf.records("Contact")
        if (r.get("Email") or "").endswith(domain) and not r.get("IsDeleted")
    }
