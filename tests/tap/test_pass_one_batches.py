"""Pass 1 in batches gives what it gave row by row: rows, counts, logs, errors, key winners,
and the same verdict on every cell (the batch checks only ever skip the row-by-row path)."""

from __future__ import annotations

import io
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tap_walkme_insights import csv_reader
from tap_walkme_insights.csv_reader import CsvFormatError, CsvOptions, ReportCsv
from tap_walkme_insights.dedupe import (
    DUPLICATE_POLICIES,
    DuplicateKeyError,
    KeyIndex,
    fingerprints_of,
    key_fingerprint,
    normalize_key,
)
from tap_walkme_insights.row_codec import CodecColumn, RowCodec
from walkme_tap_helpers import run_tap

# -- reader ---------------------------------------------------------------------------------


class _NoTell(io.RawIOBase):
    """A stream that cannot tell its position (batches are then sized by characters)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._inner.readinto(buffer)

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")

    def seekable(self) -> bool:
        return False


def _outcome(read: Callable[[ReportCsv], list[tuple[int, list[str]]]], data: bytes, **options: str):
    logger = logging.getLogger(csv_reader.__name__)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    rows: list[tuple[int, list[str]]] = []
    error = None
    try:
        reader = ReportCsv(io.BytesIO(data), CsvOptions(**options), "t.csv")
        try:
            rows.extend(read(reader))
        except CsvFormatError as raised:
            error = str(raised)
        counts = reader.counts
    finally:
        logger.removeHandler(handler)
    return rows, error, counts, [r.getMessage() for r in records]


def _by_rows(reader: ReportCsv) -> Any:
    yield from reader.rows()


def _by_batches(reader: ReportCsv) -> Any:
    for start, batch in reader.row_batches():
        assert batch
        yield from enumerate(batch, start + 1)


_CASES = {
    "plain": b"k,v\n" + b"".join(b"a%d@x.com,%d\n" % (i, i) for i in range(300)),
    "blank lines and crlf": b"k,v\r\n\r\na,1\r\n\r\n\r\nb,2\r\nc,3",
    "multi-line cells": b'k,v\na,"x\ny"\nb,"1\r\n2\n3"\n' * 40,
    "ragged": b"k,v\n"
    + b"".join(b"a%d,1\n" % i + (b"r,1,2\n" if i % 7 == 3 else b"") for i in range(120)),
    "bad bytes": b"k,v\n" + b"a,1\n" * 150 + b'b,"x\n\xff"\n' + b"c,3\n" * 10,
    "bad csv": b"k,v\n" + b"a,1\n" * 150 + b'b,"x"y\n' + b"c,3\n" * 10,
    "unterminated": b"k,v\n" + b"a,1\n" * 150 + b'b,"x\n',
}


@pytest.mark.parametrize("case", sorted(_CASES))
@pytest.mark.parametrize("options", [{}, {"ragged_rows": "skip"}, {"encoding_errors": "replace"}])
@pytest.mark.parametrize(
    ("rows", "size_check", "budget"), [(2048, 64, 1 << 20), (5, 2, 40), (64, 3, 1)]
)
def test_row_batches_give_what_rows_gives(
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    options: dict[str, str],
    rows: int,
    size_check: int,
    budget: int,
) -> None:
    monkeypatch.setattr(csv_reader, "BATCH_ROWS", rows)
    monkeypatch.setattr(csv_reader, "_SIZE_CHECK_ROWS", size_check)
    monkeypatch.setattr(csv_reader, "BATCH_BYTES", budget)
    data = _CASES[case]
    expected = _outcome(_by_rows, data, **options)
    assert _outcome(_by_batches, data, **options) == expected
    utf16 = data.decode("utf-8", errors="replace").encode("utf-16")
    assert _outcome(_by_batches, utf16, **options) == _outcome(_by_rows, utf16, **options)


def test_row_batches_are_bounded_by_rows_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"k,v\n" + b"".join(b"a%d,%s\n" % (i, b"x" * 1000) for i in range(3000))
    for stream in (io.BytesIO(data), _NoTell(data)):
        reader = ReportCsv(stream, CsvOptions(), "t.csv")  # type: ignore[arg-type]
        sizes = [len(batch) for _, batch in reader.row_batches()]
        assert sum(sizes) == 3000
        assert max(sizes) <= csv_reader.BATCH_ROWS
        assert max(sizes) * 1000 <= csv_reader.BATCH_BYTES + csv_reader._SIZE_CHECK_ROWS * 1010
    narrow = b"k,v\n" + b"a,1\n" * 5000
    sizes = [len(b) for _, b in ReportCsv(io.BytesIO(narrow), CsvOptions(), "t").row_batches()]
    assert max(sizes) <= csv_reader.BATCH_ROWS
    assert sum(sizes) == 5000


# -- keys -----------------------------------------------------------------------------------

_KEYS = st.lists(
    st.sampled_from(["", " ", "a@x.com", "A@X.com ", "b", " b", "B", "c@y", "d", "e", "f"]),
    max_size=60,
)


def _state(index: KeyIndex) -> tuple[Any, ...]:
    return (
        index.empty_keys,
        index.empty_key_rows,
        index.duplicate_rows,
        index.duplicated_keys,
        index._seen,
        index._winners,
    )


def _run(index: KeyIndex, feed: Callable[[], None]) -> str | None:
    try:
        feed()
    except DuplicateKeyError as error:
        return str(error)
    return None


@settings(max_examples=300, deadline=None)
@given(_KEYS, st.sampled_from(DUPLICATE_POLICIES), st.lists(st.integers(1, 20), max_size=10))
def test_add_batch_is_add_row_by_row(keys: list[str], policy: str, cuts: list[int]) -> None:
    unique = [f"u{i}@z" for i in range(30)] + keys  # batches without repeats take the fast path
    one = KeyIndex(policy=policy)
    error_one = _run(one, lambda: [one.add(k, row) for row, k in enumerate(unique, 1)])
    batched = KeyIndex(policy=policy)

    def feed() -> None:
        start = 0
        for cut in [*cuts, len(unique)]:
            batched.add_batch(unique[start : start + cut], start)
            start += cut
            if start >= len(unique):
                return

    assert _run(batched, feed) == error_one
    if error_one is None:
        assert _state(batched) == _state(one)
        for row, key in enumerate(unique, 1):
            assert batched.is_winner(key, row) == one.is_winner(key, row)


def test_batch_fingerprints_are_key_fingerprints() -> None:
    keys = [" Ann@Example.COM ", "User-1", "user-1", "Zoë@X.com", "STRASSE@x.de"]
    forms = [normalize_key(k) or "" for k in keys]
    assert fingerprints_of(forms) == [key_fingerprint(k) for k in keys]


# -- cells ----------------------------------------------------------------------------------

_STAMP_PARTS = st.tuples(
    st.sampled_from(["0000", "0001", "1999", "2024", "2025", "9999"]),
    st.sampled_from([f"{m:02d}" for m in range(0, 14)] + ["19", "20", "99"]),
    st.sampled_from([f"{d:02d}" for d in range(0, 33)] + ["39", "40", "99"]),
    st.sampled_from([f"{h:02d}" for h in range(0, 26)] + ["30", "99"]),
    st.sampled_from(["00", "05", "59", "60", "61", "99"]),
    st.sampled_from(["00", "30", "59", "60", "99"]),
)
_SHAPES = ["{}-{}-{}", "{}-{}-{}T{}:{}:{}", "{}-{}-{} {}:{}:{}", "{}-{}-{}T{}:{}:{}Z"]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["date", "date-time"]),
    st.sampled_from(_SHAPES),
    st.lists(_STAMP_PARTS, min_size=1, max_size=40),
    st.lists(st.integers(0, 39), max_size=5),
)
def test_stamp_batches_are_judged_as_row_by_row(
    column_type: str, shape: str, parts: list[tuple[str, ...]], empties: list[int]
) -> None:
    cells = [shape.format(*p) for p in parts]
    for at in empties:
        if at < len(cells):
            cells[at] = ""
    codec = RowCodec([CodecColumn(0, "k", "string"), CodecColumn(1, "t", column_type)])
    rows = [["k", cell] for cell in cells]
    expected = all(codec.fits_fast(row) for row in rows)
    # one shape a batch: the batch check is exact (it never sends a good batch row by row)
    assert codec.fits_fast_batch(rows) == expected


_CELLS = [
    "", " ", "0", "-0", "+0", "00", "007", "12", "-12", "9" * 18, "9" * 19, "12.5", "-0.25",
    "100.00", "1e3", ".5", "5.", "true", "false", "TRUE", "yes", "t", "1", "N/A", "a\x1fb",
    "\x1f", "2026-11-26", "2024-02-29", "2026-02-28", "2026-04-31", "0000-01-01",
    "2026-11-26 14:03:22", "2026-11-26T14:03:22Z", "2026-11-26T14:03:22+00:00",
    "2026-11-26T24:00:00Z", "2026-11-26T14:03:22.5Z", "\uff12\uff10\uff12\uff16-11-26",
    "2026-11-26\n",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["integer", "number", "boolean", "date", "date-time"]),
        min_size=1,
        max_size=4,
    ),
    st.lists(st.lists(st.sampled_from(_CELLS), min_size=4, max_size=4), min_size=1, max_size=30),
)
def test_a_batch_passes_only_when_every_row_passes(types: list[str], rows: list[list[str]]) -> None:
    codec = RowCodec([CodecColumn(i, f"c{i}", t) for i, t in enumerate(types)])
    for _ in range(2):  # the second time, cells are known to the distinct-value caches
        if codec.fits_fast_batch(rows):
            assert all(codec.fits_fast(row) for row in rows)


# -- the tap --------------------------------------------------------------------------------


def _config(path: Path, **extra: object) -> dict[str, object]:
    return {"report_name": "r", "source": str(path), "key_column": "Email", **extra}


def test_a_duplicate_is_refused_before_a_later_bad_row_of_its_batch(
    write_csv: Callable[..., Path],
) -> None:
    head = "Email,Score\n" + "".join(f"u{i}@x.com,{i}\n" for i in range(20)) + "u3@x.com,1\n"
    for tail in ("ragged,1,2\n", 'bad,"x"y\n'):
        with pytest.raises(DuplicateKeyError, match="rows 4 and 21"):
            run_tap(_config(write_csv(head + tail), duplicate_keys="fail", infer_sample_rows=5))
    bad_bytes = (head + "zz,").encode() + b"\xff\n"
    with pytest.raises(DuplicateKeyError, match="rows 4 and 21"):
        run_tap(_config(write_csv(bad_bytes), duplicate_keys="fail", infer_sample_rows=5))


def test_mismatches_are_reported_in_row_order_across_batches(
    write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_reader, "BATCH_ROWS", 7)
    monkeypatch.setattr(csv_reader, "_SIZE_CHECK_ROWS", 3)
    rng = random.Random(7)
    lines = []
    for i in range(200):
        stamp = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00Z"
        lines.append(f"u{i}@x.com,{i},{stamp},{rng.choice(['true', 'false'])}")
    body = "Email,Score,Seen,Done\n" + "\n".join(lines) + "\n"
    path = write_csv(body)
    run_tap(_config(path))  # discovery infers integer, date-time, boolean
    bad = lines[:]
    for at in (5, 17, 18, 150):
        bad[at] = bad[at].replace("true", "maybe").replace("false", "maybe")
    bad[40] = bad[40].replace(",40,", ",4x,")
    bad[99] = bad[99].replace("T10:", "T25:")
    catalog_types = {"column_types": {"Score": "integer", "Seen": "date-time", "Done": "boolean"}}
    path.write_text("Email,Score,Seen,Done\n" + "\n".join(bad) + "\n")
    with pytest.raises(ValueError, match="6 cell") as raised:
        run_tap(_config(path, **catalog_types))
    rows = [int(part.split()[1]) for part in str(raised.value).split("; ") if "row " in part]
    assert rows == [6, 18, 19, 41, 100, 151]
