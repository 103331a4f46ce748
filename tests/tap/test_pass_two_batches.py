"""Pass 2 in batches emits what it emitted row by row: the same winners (every duplicate
policy, empty and unseen keys, repeats across batches) and the same record values, types
included (the column-wise conversion only ever saves time)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tap_walkme_insights import csv_reader
from tap_walkme_insights.dedupe import DUPLICATE_POLICIES, KeyIndex
from tap_walkme_insights.inference import ValueMismatch
from tap_walkme_insights.row_codec import CodecColumn, RowCodec
from walkme_tap_helpers import run_tap

_KEYS = st.lists(
    st.sampled_from(["", " ", "a@x.com", "A@X.com ", "b", " b", "B", "c@y", "d", "e", "f"]),
    max_size=60,
)


def _pass_one(keys: list[str], policy: str) -> KeyIndex:
    index = KeyIndex(policy=policy)
    for row, key in enumerate(keys, 1):
        index.add(key, row)
    return index


@settings(max_examples=300, deadline=None)
@given(
    _KEYS,
    st.sampled_from([p for p in DUPLICATE_POLICIES if p != "fail"]),
    st.lists(st.integers(1, 20), max_size=10),
    st.booleans(),
)
def test_winners_in_is_is_winner_row_by_row(
    keys: list[str], policy: str, cuts: list[int], unseen: bool
) -> None:
    rows = [f"u{i}@z" for i in range(30)] + keys  # a first batch without repeats: the fast path
    # Pass 2 may meet keys pass 1 never saw (the export changed in between): never winners.
    seen = rows[: len(rows) // 2] if unseen else rows
    one, batched = _pass_one(seen, policy), _pass_one(seen, policy)
    expected = [one.is_winner(key, row) for row, key in enumerate(rows, 1)]
    got: list[bool] = []
    start = 0
    for cut in [*cuts, len(rows)]:
        batch = rows[start : start + cut]
        wins = batched.winners_in(batch, start)
        got.extend([True] * len(batch) if wins is None else wins)
        start += len(batch)
        if start >= len(rows):
            break
    assert got == expected
    assert batched._winners == one._winners  # "first" winners are fixed the same way


def test_winners_in_under_fail_names_every_row_a_winner() -> None:
    keys = ["a@x", "b@x", "c", "", "d"]
    index = _pass_one(keys, "fail")
    assert index.winners_in(keys[:2], 0) == [True, True]
    assert index.winners_in(keys[2:], 2) == [True, False, True]


_CELLS = [
    "", " ", "0", "-0", "+0", "007", "12", "-12", "9" * 18, "9" * 19, "12.5", "-0.25",
    "100.00", "1e3", "true", "false", "TRUE", "yes", "N/A", "2026-11-26", "2024-02-29",
    "2026-04-31", "2026-11-26 14:03:22", "2026-11-26T14:03:22Z", "2026-11-26T14:03:22+00:00",
    "2026-11-26T24:00:00Z", "2026-11-26T14:03:22.5Z", "text", "Zoë",
]  # fmt: skip
_TYPES = ["string", "integer", "number", "boolean", "date", "date-time"]


def _typed(value: Any) -> Any:
    """A value with its type, so 1 and 1.0 and True differ."""
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, dict):
        return {k: (type(v).__name__, v) for k, v in value.items()}
    return value


def _row_by_row(codec: RowCodec, rows: list[list[str]]) -> Any:
    try:
        return _typed([codec.record(cells) for cells in rows])
    except ValueMismatch as problem:
        return type(problem)


def _batched(codec: RowCodec, rows: list[list[str]]) -> Any:
    try:
        return _typed(codec.records(rows))
    except ValueMismatch as problem:
        return type(problem)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_TYPES), min_size=0, max_size=5),
    st.lists(st.lists(st.sampled_from(_CELLS), min_size=5, max_size=5), max_size=30),
    st.sampled_from(["2026-11-26T14:03:22Z", "2026-11-26", "12", "true", "x"]),
)
def test_records_are_record_row_by_row(types: list[str], rows: list[list[str]], fill: str) -> None:
    codec = RowCodec([CodecColumn(i, f"c{i}", t) for i, t in enumerate(types)])
    for _ in range(2):  # the second time, cells are known to the distinct-value caches
        assert _batched(codec, rows) == _row_by_row(codec, rows)
    # Columns all of one good shape take the column-wise path: the same values again.
    good = [[fill] * 5 for _ in rows]
    assert _batched(codec, good) == _row_by_row(codec, good)


def test_a_report_read_in_small_batches_emits_the_same_records(
    write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(11)
    lines = []
    for i in range(400):
        key = f"U{rng.randint(0, 150)}@X.com" if i % 3 else f"u{i}@x.com"  # repeats, any case
        stamp = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00Z"
        score = rng.choice(["12", "3.5", ""])
        lines.append(f"{key},{score},{stamp},{rng.choice(['true', 'false'])},t{i}")
    lines[77] = " ,1,2026-01-01,true,empty key"
    lines[201] = "v@x.com,1,2024-02-29T10:00:00+00:00,yes,slow path"  # leap day, 'yes'
    path = write_csv("Email,Score,Seen,Done,Note\n" + "\n".join(lines) + "\n")
    for policy in ("last", "first"):
        config = {"report_name": "r", "source": str(path), "key_column": "Email"}
        config["duplicate_keys"] = policy
        whole = run_tap(config).records["r"]
        with monkeypatch.context() as small:
            small.setattr(csv_reader, "BATCH_ROWS", 7)
            small.setattr(csv_reader, "_SIZE_CHECK_ROWS", 3)
            batched = run_tap(config).records["r"]
        assert _typed(batched) == _typed(whole)
        winners: dict[str, dict[str, Any]] = {}
        for number, line in enumerate(lines):
            key = line.split(",")[0].strip().casefold()
            if key and (policy == "last" or key not in winners):
                winners[key] = {"order": number, "note": line.split(",")[-1]}
        by_order = sorted(winners.values(), key=lambda w: w["order"])
        assert [r["note"] for r in batched] == [w["note"] for w in by_order]
