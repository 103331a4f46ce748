"""RowCodec's one-regex fast path gives exactly what inference.check/convert give, cell by cell."""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from singer_sdk import Stream
from tap_walkme_insights.inference import COLUMN_TYPES, ValueMismatch, check, convert
from tap_walkme_insights.row_codec import CodecColumn, RowCodec
from tap_walkme_insights.streams import ReportStream
from tap_walkme_insights.tap import TapWalkMeInsights
from walkme_tap_helpers import run_tap

EDGE_CELLS = [
    "", " ", "0", "-0", "+0", "00", "007", "12", "-12", "+12", "9" * 18, "9" * 19,
    "9223372036854775807", "9223372036854775808", "1_000", "\uff11\uff12", "12.5",
    "-0.25", "0.0", "-0.0",
    "100.00", "123456789.123456", "1234567890.5", "0.1234567", ".5", "5.", "1e3", "1E-3",
    "true", "false", "TRUE", "False", "tRuE", "yes", "no", "t", "f", "1", "y", "\u017f",
    "2026-11-26", "2024-02-29", "2023-02-29", "2026-02-28", "2026-13-01", "2026-04-31",
    "0000-01-01", "0001-01-01", "9999-12-31", "2026-11-26 14:03:22", "2026-11-26T14:03:22Z",
    "2026-11-26T14:03:22+00:00", "2026-11-26T14:03:22-00:00", "2026-11-26T14:03:22+05:30",
    "2026-11-26T14:03:22.5Z", "2026-11-26T14:03:22.000000Z", "2026-11-26T14:03Z",
    "2026-11-26T24:00:00Z", "2026-11-26T23:59:60Z", "2026-11-26t14:03:22Z",
    "2026-11-26T14:03:22ZZ", " 2026-11-26 ", "2026-11-26\n", "12\n", "a\x1fb", "\x1f", "N/A",
]  # fmt: skip

_TYPED = [t for t in COLUMN_TYPES if t != "string"]


def _reference(cell: str, column_type: str) -> tuple[str, Any]:
    try:
        check(cell, column_type)
        value = convert(cell, column_type)
    except ValueMismatch:
        return ("misfit", None)
    return ("ok", (type(value), value))


def _codec_result(codec: RowCodec, cells: list[str]) -> list[tuple[str, Any]]:
    problems = {column.index for column, _ in codec.check_slow(cells)}
    fast = codec.fits_fast(cells)
    if fast:
        assert not problems, "the fast path admitted a cell that inference refuses"
    try:
        record = codec.record(cells)
    except ValueMismatch:
        assert problems
        record = None
    results = []
    for column in codec.columns:
        if record is None:
            results.append(("misfit", None) if column.index in problems else ("?", None))
        else:
            value = record[column.prop]
            results.append(("ok", (type(value), value)))
    return results


def _codec(types: list[str]) -> RowCodec:
    return RowCodec([CodecColumn(i, f"c{i}", t) for i, t in enumerate(types)])


@pytest.mark.parametrize("column_type", COLUMN_TYPES)
@pytest.mark.parametrize("cell", EDGE_CELLS)
def test_edge_cells_match_inference(cell: str, column_type: str) -> None:
    codec = _codec(["string", column_type, "integer"])
    [_, got, _] = _codec_result(codec, ["key", cell, "1"])
    assert got == _reference(cell, column_type)


_cell_alphabet = st.sampled_from([*"0123456789+-.eETZ: tTrRuUeEfFaAlLsS\x1f\n", "\u0661", "\u017f"])
_cells = st.one_of(
    st.sampled_from(EDGE_CELLS),
    st.text(_cell_alphabet, max_size=26),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?)?\Z"),
    st.from_regex(r"\A[+-]?[0-9]{1,20}(\.[0-9]{1,8})?\Z"),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    types=st.lists(st.sampled_from(COLUMN_TYPES), min_size=1, max_size=5),
    data=st.data(),
)
def test_rows_match_inference_cell_by_cell(types: list[str], data: st.DataObject) -> None:
    cells = [data.draw(_cells) for _ in types]
    codec = _codec(types)
    got = _codec_result(codec, cells)
    expected = [_reference(cell, t) for cell, t in zip(cells, types, strict=True)]
    if any(kind == "misfit" for kind, _ in expected):
        assert [k for k, _ in got if k == "misfit"] == [k for k, _ in expected if k == "misfit"]
    else:
        assert got == expected


def test_common_demo_rows_take_the_fast_path() -> None:
    codec = _codec(["string", "number", "boolean", "date-time", "date-time", "integer", "date"])
    row = ["a@x.com", "100.00", "true", "2025-11-30T06:17:15Z", "", "813", "2026-11-01"]
    assert codec.fits_fast(row)
    assert codec.record(row) == {
        "c0": "a@x.com",
        "c1": 100.0,
        "c2": True,
        "c3": "2025-11-30T06:17:15+00:00",
        "c4": None,
        "c5": 813,
        "c6": "2026-11-01",
    }


def test_generate_record_messages_override_matches_the_sdk() -> None:
    """The stream overrides a private SDK method: fail loudly if the SDK changes it."""
    sdk = inspect.signature(Stream._generate_record_messages)
    ours = inspect.signature(ReportStream._generate_record_messages)
    assert list(sdk.parameters) == list(ours.parameters) == ["self", "record"]
    source = inspect.getsource(Stream._write_record_message)
    assert "self._generate_record_messages(record)" in source


def test_deselected_properties_are_not_emitted(write_csv: Callable[..., Path]) -> None:
    path = write_csv("Email,Score,Country\na@x.com,1,IE\n")
    config = {"report_name": "onboarding", "source": str(path), "key_column": "Email"}
    catalog = TapWalkMeInsights(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"][0]["metadata"]:
        if entry["breadcrumb"] == ["properties", "country"]:
            entry["metadata"]["selected"] = False

    from tap_walkme_insights.tap import TapWalkMeInsights as Tap

    sink = io.StringIO()
    with redirect_stdout(sink):
        Tap(config=config, catalog=catalog, parse_env_config=False).sync_all()
    assert '"record":{"email":"a@x.com","score":1}' in sink.getvalue()
    assert run_tap(config).records["onboarding"] == [
        {"email": "a@x.com", "score": 1, "country": "IE"}
    ]
