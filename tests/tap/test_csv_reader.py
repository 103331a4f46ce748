"""Streaming CSV reading: BOM, encodings, quoting, ragged rows, invalid bytes, row numbers."""

from __future__ import annotations

import codecs
import io

import pytest
from tap_walkme_insights.csv_reader import CsvFormatError, CsvOptions, ReportCsv


def read(data: bytes, **options: str) -> tuple[list[str], list[tuple[int, list[str]]], ReportCsv]:
    reader = ReportCsv(io.BytesIO(data), CsvOptions(**options), "test.csv")
    rows = list(reader.rows())
    return reader.header, rows, reader


def test_utf8_bom_is_removed() -> None:
    header, rows, _ = read(codecs.BOM_UTF8 + "End User ID,Score\nzoë@x.com,1\n".encode())
    assert header == ["End User ID", "Score"]
    assert rows == [(1, ["zoë@x.com", "1"])]


def test_utf16_with_bom() -> None:
    header, rows, _ = read("Email,Name\r\nzoë@x.com,Zoë\r\n".encode("utf-16"))
    assert header == ["Email", "Name"]
    assert rows == [(1, ["zoë@x.com", "Zoë"])]


def test_latin1_with_encoding_setting() -> None:
    data = "Email,Name\nzoe@x.com,Zoë Müller\n".encode("latin-1")
    _, rows, _ = read(data, encoding="latin-1")
    assert rows[0][1] == ["zoe@x.com", "Zoë Müller"]


def test_invalid_bytes_are_reported_with_row_and_line() -> None:
    data = b"Email,Name\na@x.com,Ann\nb@x.com,Bob\r\nc@x.com,Zo\xeb\n"
    with pytest.raises(CsvFormatError) as raised:
        read(data)
    message = str(raised.value)
    assert "row 3 (line 4)" in message
    assert "utf-8" in message
    assert "encoding" in message


def test_invalid_bytes_replaced_when_asked() -> None:
    data = b"Email,Name\nc@x.com,Zo\xeb\n"
    _, rows, reader = read(data, encoding_errors="replace")
    assert rows == [(1, ["c@x.com", "Zo\ufffd"])]
    assert reader.counts.replaced_bytes_rows == 1


def test_quoted_delimiters_quotes_and_embedded_newlines() -> None:
    data = b'Email,Comment,Score\na@x.com,"Great, really ""great""\nsecond line",9\nb@x.com,ok,7\n'
    _, rows, _ = read(data)
    assert rows == [
        (1, ["a@x.com", 'Great, really "great"\nsecond line', "9"]),
        (2, ["b@x.com", "ok", "7"]),
    ]


def test_crlf_line_endings_and_blank_lines() -> None:
    _, rows, _ = read(b"Email,Score\r\n\r\na@x.com,1\r\n\r\nb@x.com,2\r\n")
    assert rows == [(1, ["a@x.com", "1"]), (2, ["b@x.com", "2"])]


def test_ragged_row_fails_with_row_number_by_default() -> None:
    data = b'Email,Score\na@x.com,1\nb@x.com,"multi\nline",extra\nc@x.com,3\n'
    with pytest.raises(CsvFormatError) as raised:
        read(data)
    message = str(raised.value)
    assert "row 2 (ending on line 4) has 3 cells but the header has 2" in message
    assert "ragged_rows" in message


def test_ragged_rows_skipped_and_counted() -> None:
    data = b"Email,Score\na@x.com,1\nb@x.com\nc@x.com,3,4\nd@x.com,4\n"
    _, rows, reader = read(data, ragged_rows="skip")
    assert rows == [(1, ["a@x.com", "1"]), (4, ["d@x.com", "4"])]
    assert reader.counts.ragged_skipped == 2
    assert reader.counts.ragged_rows_seen == [2, 3]


def test_unterminated_quote_is_reported() -> None:
    with pytest.raises(CsvFormatError, match="row 1"):
        read(b'Email,Score\na@x.com,"1\n')


def test_semicolon_delimiter() -> None:
    _, rows, _ = read(b"Email;Score\na@x.com;1,5\n", delimiter=";")
    assert rows == [(1, ["a@x.com", "1,5"])]


def test_empty_export() -> None:
    with pytest.raises(CsvFormatError, match="empty"):
        read(b"")


def test_header_cells_are_trimmed() -> None:
    header, _, _ = read(b" Email , Score \n")
    assert header == ["Email", "Score"]


def test_options_are_validated() -> None:
    with pytest.raises(CsvFormatError, match="Unknown encoding"):
        CsvOptions(encoding="klingon")
    with pytest.raises(CsvFormatError, match="ragged_rows"):
        CsvOptions(ragged_rows="pad")


def test_many_rows_stream_with_bounded_memory() -> None:
    import tracemalloc

    rows = 200_000
    body = b"Email,Score,Comment\n" + b"".join(
        b"user%d@x.com,%d,some comment text\n" % (i, i) for i in range(rows)
    )
    stream = io.BytesIO(body)
    tracemalloc.start()
    reader = ReportCsv(stream, CsvOptions(), "big.csv")
    count = sum(1 for _ in reader.rows())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == rows
    assert peak < 2_000_000, f"peak {peak} bytes while streaming {len(body)} bytes"
