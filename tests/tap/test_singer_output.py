"""The tap's msgspec writer emits the same JSON values as the SDK's default writer."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import sys
from contextlib import redirect_stdout

import pytest
from singer_sdk.singerlib.encoding.simple import (
    RecordMessage,
    SchemaMessage,
    SimpleSingerWriter,
    StateMessage,
)
from tap_walkme_insights.singer_output import SingerStdoutWriter

UTC = dt.timezone.utc
RECORD = {
    "end_user_id": "dağ.núñez@globex-traders.example",
    "pct": 100.0,
    "small": 1e-7,
    "big": 1e16,
    "avg": 16.96,
    "n": 9_223_372_036_854_775_807,
    "neg": -3,
    "done": True,
    "none": None,
    "text": 'quote " backslash \\ newline \n tab \t emoji 🎉 nul \x00',
}


def _both(message) -> tuple[str, str]:
    sdk = SimpleSingerWriter().format_message(message)
    ours = SingerStdoutWriter().format_message(message)
    assert ours.endswith(b"\n") and ours.count(b"\n") == 1
    return sdk, ours.decode()


@pytest.mark.parametrize(
    "extracted",
    [
        dt.datetime(2026, 11, 27, 9, 15, 44, 949286, tzinfo=UTC),
        dt.datetime(2026, 11, 27, 9, 15, 44, tzinfo=UTC),  # no microseconds
        None,
    ],
)
def test_record_is_the_same_json_value(extracted) -> None:
    message = RecordMessage(stream="s", record=RECORD, version=3, time_extracted=extracted)
    sdk, ours = _both(message)
    for parse_float in (float, decimal.Decimal):  # how targets read numbers
        a = json.loads(sdk, parse_float=parse_float)
        b = json.loads(ours, parse_float=parse_float)
        assert a == b
        assert {k: type(v) for k, v in a["record"].items()} == {
            k: type(v) for k, v in b["record"].items()
        }
    if extracted is not None:
        assert json.loads(ours)["time_extracted"] == extracted.isoformat(sep="T")


def test_other_messages_are_byte_identical() -> None:
    schema = SchemaMessage(
        stream="s", schema={"type": "object", "properties": {}}, key_properties=[]
    )
    state = StateMessage(value={"bookmarks": {"s": {"at": dt.datetime(2026, 1, 1, tzinfo=UTC)}}})
    for message in (schema, state):
        sdk, ours = _both(message)
        assert ours == sdk + "\n"


@pytest.mark.parametrize(
    "record",
    [
        {"dec": decimal.Decimal("1.10"), "neg": decimal.Decimal("-0.5")},  # numbers, as the SDK
        {"lone_surrogate": "a\udcffb"},  # msgspec refuses it: the SDK's encoder takes over
    ],
)
def test_decimals_and_unencodable_values(record) -> None:
    sdk, ours = _both(RecordMessage(stream="s", record=record))
    assert json.loads(ours, parse_float=decimal.Decimal) == json.loads(
        sdk, parse_float=decimal.Decimal
    )


def test_text_stdout_is_written_as_text_and_state_is_flushed(monkeypatch) -> None:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        writer = SingerStdoutWriter()
        writer.write_message(RecordMessage(stream="s", record={"a": "é"}))
        writer.write_message(StateMessage(value={"bookmarks": {}}))
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [m["type"] for m in lines] == ["RECORD", "STATE"]
    assert lines[0]["record"] == {"a": "é"}

    flushed: list[bytes] = []

    class Binary(io.BytesIO):
        def flush(self) -> None:
            flushed.append(self.getvalue())

    binary = Binary()
    stdout = io.TextIOWrapper(binary, encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    writer = SingerStdoutWriter()
    writer.write_message(RecordMessage(stream="s", record={"a": 1}))
    assert flushed == []  # records are left to the buffer
    writer.write_message(StateMessage(value={"bookmarks": {}}))
    assert flushed and flushed[-1].count(b"\n") == 2  # the STATE goes out with its records


def test_time_extracted_format_matches_isoformat_across_seconds_and_zones() -> None:
    from tap_walkme_insights.singer_output import _UtcIsoformat

    fmt = _UtcIsoformat()
    start = dt.datetime(2026, 12, 31, 23, 59, 58, 999_999, tzinfo=UTC)
    moments = [start + dt.timedelta(microseconds=step) for step in range(0, 3_000_001, 250_001)]
    moments += [
        dt.datetime(2026, 1, 1, tzinfo=UTC),
        dt.datetime(2026, 2, 1, tzinfo=UTC),  # same second/minute/hour/day, other month
        dt.datetime(2026, 2, 1, 0, 0, 0, 1, tzinfo=UTC),
        dt.datetime(2026, 2, 1, tzinfo=dt.timezone(dt.timedelta(0))),
        dt.datetime(2026, 2, 1, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
    ]
    for moment in moments:
        assert fmt(moment) == moment.isoformat(sep="T")


def test_records_are_written_in_blocks_and_before_the_state(monkeypatch) -> None:
    binary = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(binary, encoding="utf-8"))
    writer = SingerStdoutWriter()
    record = RecordMessage(stream="s", record={"text": "x" * 1000})
    for _ in range(50):
        writer.write_message(record)
    assert binary.getvalue() == b""  # ~50 KB pending: nothing written yet
    for _ in range(20):
        writer.write_message(record)
    assert binary.getvalue().count(b"\n") >= 60  # the block went out once it passed 64 KB
    writer.write_message(StateMessage(value={"bookmarks": {}}))
    lines = binary.getvalue().splitlines()
    assert len(lines) == 71
    assert json.loads(lines[-1])["type"] == "STATE"


def test_pending_records_at_exit_are_written_or_dropped_quietly(monkeypatch) -> None:
    binary = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(binary, encoding="utf-8"))
    writer = SingerStdoutWriter()
    writer.write_message(RecordMessage(stream="s", record={"a": 1}))
    writer._write_pending_at_exit()  # what the atexit hook runs after an abnormal end
    assert json.loads(binary.getvalue())["record"] == {"a": 1}

    class ClosedPipe(io.BytesIO):
        def write(self, data: bytes) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(ClosedPipe(), encoding="utf-8"))
    writer.write_message(RecordMessage(stream="s", record={"a": 2}))
    writer._write_pending_at_exit()  # the reader went away: no second traceback
