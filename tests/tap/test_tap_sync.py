"""The tap end to end on local exports: schema, records, bad input, duplicates, bookmarks."""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import tracemalloc
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from singer_sdk.exceptions import ConfigValidationError
from tap_walkme_insights.csv_reader import CsvFormatError
from tap_walkme_insights.dedupe import DuplicateKeyError
from tap_walkme_insights.streams import TypeMismatchError
from tap_walkme_insights.tap import TapWalkMeInsights
from walkme_tap_helpers import run_tap

ONBOARDING = (
    "\ufeffEnd User ID,Onboarding Progress (%),Onboarding Completed,Last seen timestamp,"
    "Total sessions,Answer Freetext,Date (UTC)\n"
    'ann@x.com,45.5,true,2026-11-26 14:03:22,12,"hi, there",2026-11-01\n'
    'BOB@x.com,100,false,2026-11-26T14:03:22Z,3,"two\nlines",2026-11-02\n'
    "  ,1,true,,1,,\n"
    "Ann@X.com ,50,true,,13,last wins,\n"
)


def flat(path: Path | str, **extra: object) -> dict[str, object]:
    return {"report_name": "onboarding", "source": str(path), "key_column": "End User ID", **extra}


def test_schema_records_and_metadata(write_csv: Callable[..., Path], caplog) -> None:
    path = write_csv(ONBOARDING)
    result = run_tap(flat(path, system="Acme CRM", environment="Production"), caplog=caplog)
    schema = result.schema("onboarding")["properties"]
    assert list(schema) == [
        "end_user_id",
        "onboarding_progress_pct",
        "onboarding_completed",
        "last_seen_timestamp",
        "total_sessions",
        "answer_freetext",
        "date_utc",
    ]
    assert schema["end_user_id"]["type"] == ["string"]
    assert schema["onboarding_progress_pct"]["type"] == ["number", "null"]
    assert schema["last_seen_timestamp"]["format"] == "date-time"
    assert schema["date_utc"]["format"] == "date"
    records = result.records["onboarding"]
    assert records == [
        {
            "end_user_id": "BOB@x.com",
            "onboarding_progress_pct": 100,
            "onboarding_completed": False,
            "last_seen_timestamp": "2026-11-26T14:03:22+00:00",
            "total_sessions": 3,
            "answer_freetext": "two\nlines",
            "date_utc": "2026-11-02",
        },
        {
            "end_user_id": "Ann@X.com ",  # the key as written; compared trimmed and casefolded
            "onboarding_progress_pct": 50,
            "onboarding_completed": True,
            "last_seen_timestamp": None,
            "total_sessions": 13,
            "answer_freetext": "last wins",
            "date_utc": None,
        },
    ]
    assert "1 row(s) with an empty key skipped (first: [3])" in result.logs
    assert "1 duplicate row(s) over 1 key(s) resolved by duplicate_keys='last'" in result.logs
    bookmark = result.state["bookmarks"]["onboarding"]
    assert bookmark["export"]["path"] == str(path.resolve())
    assert bookmark["system"] == "Acme CRM"
    assert bookmark["environment"] == "Production"


def test_catalog_keeps_original_headers(write_csv: Callable[..., Path]) -> None:
    path = write_csv(ONBOARDING)
    tap = TapWalkMeInsights(
        config=flat(path, system="Acme", environment="Test"), parse_env_config=False
    )
    entry = tap.catalog_dict["streams"][0]
    assert entry["key_properties"] == ["end_user_id"]
    metadata = {tuple(m["breadcrumb"]): m["metadata"] for m in entry["metadata"]}
    assert metadata[("properties", "onboarding_progress_pct")]["walkme-column"] == (
        "Onboarding Progress (%)"
    )
    root = metadata[()]
    assert root["walkme-key-column"] == "End User ID"
    assert root["walkme-system"] == "Acme"
    assert root["walkme-environment"] == "Test"
    assert root["walkme-source"] == str(path.resolve())


def test_missing_key_column_lists_the_columns(write_csv: Callable[..., Path]) -> None:
    path = write_csv(ONBOARDING)
    with pytest.raises(ConfigValidationError) as raised:
        run_tap(flat(path, key_column="Email"))
    message = str(raised.value)
    assert "key_column 'Email' is not a column" in message
    assert "'End User ID', 'Onboarding Progress (%)'" in message


def test_key_column_matches_case_insensitively_or_by_property_name(
    write_csv: Callable[..., Path],
) -> None:
    path = write_csv(ONBOARDING)
    for key in ("end user id", "end_user_id"):
        result = run_tap(flat(path, key_column=key))
        assert len(result.records["onboarding"]) == 2


def test_first_row_policy(write_csv: Callable[..., Path]) -> None:
    path = write_csv(ONBOARDING)
    result = run_tap(flat(path, duplicate_keys="first"))
    ann = [
        r for r in result.records["onboarding"] if r["end_user_id"].strip().lower() == "ann@x.com"
    ]
    assert [r["answer_freetext"] for r in ann] == ["hi, there"]


def test_fail_policy_stops_before_any_record(write_csv: Callable[..., Path]) -> None:
    path = write_csv(ONBOARDING)
    with pytest.raises(DuplicateKeyError, match="rows 1 and 4"):
        run_tap(flat(path, duplicate_keys="fail"))


def test_value_not_fitting_inferred_type_stops_sync_naming_row_and_column(
    write_csv: Callable[..., Path],
) -> None:
    rows = "".join(f"u{i}@x.com,{i}\n" for i in range(1, 6)) + "u6@x.com,N/A\n"
    path = write_csv("Email,Total sessions\n" + rows)
    config = flat(path, key_column="Email", infer_sample_rows=3)
    with pytest.raises(TypeMismatchError) as raised:
        run_tap(config)
    message = str(raised.value)
    assert "row 6 column 'Total sessions' (integer)" in message
    assert "N/A" not in message  # values can be personal data; rows and columns are enough
    assert "column_types" in message
    # The fix the message names works, and keeps the value as written.
    config["column_types"] = {"Total sessions": "string"}
    records = run_tap(config).records["onboarding"]
    assert records[-1] == {"email": "u6@x.com", "total_sessions": "N/A"}
    # Reading the whole export for inference also works.
    config.pop("column_types")
    config["infer_sample_rows"] = 0
    assert run_tap(config).schema("onboarding")["properties"]["total_sessions"]["type"] == [
        "string",
        "null",
    ]


def test_column_type_override_by_property_name(write_csv: Callable[..., Path]) -> None:
    path = write_csv("Email,Score\na@x.com,1\nb@x.com,0\n")
    config = flat(path, key_column="Email", column_types={"score": "boolean"})
    result = run_tap(config)
    assert result.schema("onboarding")["properties"]["score"]["type"] == ["boolean", "null"]
    assert [r["score"] for r in result.records["onboarding"]] == [True, False]


def test_unknown_column_in_column_types_is_a_config_error(write_csv: Callable[..., Path]) -> None:
    path = write_csv("Email,Score\na@x.com,1\n")
    with pytest.raises(ConfigValidationError, match="'Scroe' is not a column"):
        run_tap(flat(path, key_column="Email", column_types={"Scroe": "integer"}))


def test_latin1_export_without_encoding_setting_is_reported(write_csv: Callable[..., Path]) -> None:
    path = write_csv("Email,Name\na@x.com,Ann\nz@x.com,Zoë\n".encode("latin-1"))
    with pytest.raises(ConfigValidationError, match=r"row 2 \(line 3\).*not valid utf-8"):
        run_tap(flat(path, key_column="Email"))
    result = run_tap(flat(path, key_column="Email", encoding="latin-1"))
    assert result.records["onboarding"][1]["name"] == "Zoë"


def test_invalid_bytes_after_discovery_sample_fail_the_sync(write_csv: Callable[..., Path]) -> None:
    body = "Email,Name\n" + "".join(f"u{i}@x.com,n{i}\n" for i in range(5))
    path = write_csv(body.encode() + b"bad@x.com,\xff\xfe\n")
    with pytest.raises(CsvFormatError, match=r"row 6 \(line 7\)"):
        run_tap(flat(path, key_column="Email", infer_sample_rows=2))


def test_ragged_rows(write_csv: Callable[..., Path], caplog) -> None:
    path = write_csv("Email,Score\na@x.com,1\nb@x.com,2,3\nc@x.com,3\n")
    with pytest.raises(CsvFormatError, match="row 2"):
        run_tap(flat(path, key_column="Email", infer_sample_rows=1))
    result = run_tap(flat(path, key_column="Email", ragged_rows="skip"), caplog=caplog)
    assert [r["email"] for r in result.records["onboarding"]] == ["a@x.com", "c@x.com"]
    assert "skipped 1 ragged row(s) (first: [2])" in result.logs


def test_bookmark_skips_an_export_already_synced(write_csv: Callable[..., Path], caplog) -> None:
    path = write_csv(ONBOARDING)
    first = run_tap(flat(path))
    assert len(first.records["onboarding"]) == 2
    again = run_tap(flat(path), state=first.state, caplog=caplog)
    assert "onboarding" not in again.records
    assert "already synced" in again.logs
    assert (
        again.state["bookmarks"]["onboarding"]["export"]
        == first.state["bookmarks"]["onboarding"]["export"]
    )
    # Without state (Meltano --full-refresh) the newest export is read again.
    assert len(run_tap(flat(path)).records["onboarding"]) == 2


def test_folder_reads_the_newest_export(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    older = write_csv("Email,Score\nold@x.com,1\n", "exports/2026-11-25.csv")
    newer = write_csv("Email,Score\nnew@x.com,2\n", "exports/2026-11-26.csv")
    write_csv("not,an,export\n", "exports/notes.txt")
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_700_086_400, 1_700_086_400))
    config = flat(tmp_path / "exports", key_column="Email")
    result = run_tap(config)
    assert result.records["onboarding"] == [{"email": "new@x.com", "score": 2}]
    assert result.state["bookmarks"]["onboarding"]["export"]["path"] == str(newer.resolve())
    # Same newest export → nothing; a newer one appears → only it is read.
    assert "onboarding" not in run_tap(config, state=result.state).records
    newest = write_csv("Email,Score\nnewest@x.com,3\n", "exports/2026-11-27.csv")
    os.utime(newest, (1_700_172_800, 1_700_172_800))
    later = run_tap(config, state=result.state)
    assert later.records["onboarding"] == [{"email": "newest@x.com", "score": 3}]


def test_glob_and_gzip(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    write_csv("Email,Score\nold@x.com,1\n", "in/a.csv")
    packed = gzip.compress(b"Email,Score\ngz@x.com,7\n")
    gz = write_csv(packed, "in/b.csv.gz")
    os.utime(gz, (4_000_000_000, 4_000_000_000))
    result = run_tap(flat(str(tmp_path / "in" / "*.csv*"), key_column="Email"))
    assert result.records["onboarding"] == [{"email": "gz@x.com", "score": 7}]


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigValidationError, match="matches no export"):
        run_tap(flat(tmp_path / "empty", key_column="Email"))


def test_several_reports(write_csv: Callable[..., Path]) -> None:
    onboarding = write_csv(ONBOARDING, "onboarding.csv")
    nps = write_csv("End User ID,Answer\na@x.com,9\nb@x.com,10\n", "nps.csv")
    config = {
        "reports": [
            {"name": "onboarding", "source": str(onboarding), "key_column": "End User ID"},
            {
                "name": "nps",
                "source": str(nps),
                "key_column": "End User ID",
                "column_types": {"Answer": "number"},
                "system": "Support portal",
            },
        ],
        "system": "Acme CRM",
    }
    result = run_tap(config)
    assert len(result.records["onboarding"]) == 2
    assert result.records["nps"] == [
        {"end_user_id": "a@x.com", "answer": 9},
        {"end_user_id": "b@x.com", "answer": 10},
    ]
    assert result.schema("nps")["properties"]["answer"]["type"] == ["number", "null"]
    bookmarks = result.state["bookmarks"]
    assert bookmarks["nps"]["system"] == "Support portal"
    assert bookmarks["onboarding"]["system"] == "Acme CRM"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "No report configured"),
        (
            {"reports": [{"name": "a", "source": "x", "key_column": "k"}], "source": "y"},
            "use one or the other",
        ),
        (
            {
                "reports": [
                    {"name": "a", "source": "x", "key_column": "k"},
                    {"name": "a", "source": "y", "key_column": "k"},
                ]
            },
            "unique",
        ),
        ({"report_name": "bad name!", "source": "x", "key_column": "k"}, "valid stream name"),
        ({"report_name": "a", "source": "x"}, "missing key_column"),
        ({"report_name": "a", "source": "/nonexistent/x.csv", "key_column": "k"}, "does not"),
        ({"report_name": "a", "source": "foo://b/x.csv", "key_column": "k"}, "unknown scheme"),
        ({"report_name": "a", "source": "x.csv", "key_column": "k", "region": "mars"}, "mars"),
    ],
)
def test_config_errors(config: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigValidationError) as raised:
        run_tap(config)
    assert message in f"{raised.value} {raised.value.errors}"


class _CountingSink(io.TextIOBase):
    """A stdout that counts RECORD messages and keeps nothing."""

    records = 0

    def write(self, text: str) -> int:
        self.records += text.count('"type":"RECORD"')
        return len(text)


def test_sync_memory_does_not_grow_with_row_size(write_csv: Callable[..., Path]) -> None:
    """5,000 rows of ~4 KB each: the peak stays far below the export's size (rows are
    streamed; only the key → row number index grows, by key)."""
    filler = "x" * 4000
    body = "Email,Score,Comment\n" + "".join(
        f"user{i}@example.com,{i},{filler}\n" for i in range(5_000)
    )
    path = write_csv(body)
    sink = _CountingSink()
    tracemalloc.start()
    with redirect_stdout(sink):
        TapWalkMeInsights(config=flat(path, key_column="Email"), parse_env_config=False).sync_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sink.records == 5_000
    assert len(body) > 20_000_000
    assert peak < 8_000_000, f"peak {peak} bytes for a {len(body)}-byte export"


def test_input_catalog_types_are_honoured(write_csv: Callable[..., Path]) -> None:
    path = write_csv("Email,Total sessions\na@x.com,12\nb@x.com,7\n")
    config = flat(path, key_column="Email")
    catalog = TapWalkMeInsights(config=config, parse_env_config=False).catalog_dict
    properties = catalog["streams"][0]["schema"]["properties"]
    assert properties["total_sessions"]["type"] == ["integer", "null"]
    properties["total_sessions"]["type"] = ["string", "null"]
    sink = io.StringIO()
    with redirect_stdout(sink):
        TapWalkMeInsights(config=config, catalog=catalog, parse_env_config=False).sync_all()
    records = [m for m in sink.getvalue().splitlines() if '"type":"RECORD"' in m]
    assert '"total_sessions":"12"' in records[0]


def test_stream_maps_apply(write_csv: Callable[..., Path]) -> None:
    path = write_csv("Email,Score\nA@x.com,1\n")
    config = flat(
        path,
        key_column="Email",
        stream_maps={"onboarding": {"email_lower": "email.lower()", "score": "__NULL__"}},
    )
    records = run_tap(config).records["onboarding"]
    assert records == [{"email": "A@x.com", "email_lower": "a@x.com"}]


@pytest.mark.skipif(importlib.util.find_spec("adlfs") is not None, reason="adlfs is installed")
def test_missing_cloud_backend_names_the_extra() -> None:
    config = {"report_name": "a", "source": "az://container/x.csv", "key_column": "k"}
    with pytest.raises(ConfigValidationError, match=r"tap-walkme-insights\[azure\]"):
        run_tap(config)


def test_new_columns_since_discovery_are_ignored_with_one_warning(
    write_csv: Callable[..., Path], caplog
) -> None:
    path = write_csv("Email,Score\na@x.com,1\n")
    config = flat(path, key_column="Email")
    catalog = TapWalkMeInsights(config=config, parse_env_config=False).catalog_dict
    path.write_text("Email,Score,Country\na@x.com,1,IE\n")
    caplog.set_level("WARNING")
    sink = io.StringIO()
    with redirect_stdout(sink):
        TapWalkMeInsights(config=config, catalog=catalog, parse_env_config=False).sync_all()
    assert '"record":{"email":"a@x.com","score":1}' in sink.getvalue()
    assert caplog.text.count("columns not in the catalog are ignored") == 1
    assert "'Country'" in caplog.text
