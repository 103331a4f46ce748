"""Pure tests of the SOQL helpers: quoting, literals and IN-clause batching."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote as url_quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from target_salesforce_update.soql import (
    MAX_LITERAL_CHARS,
    in_clause,
    in_clause_batches,
    literal,
    quote,
    quote_identifier,
)

_UNESCAPE = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


def unquote(text: str) -> str:
    """Reference reader for a SOQL string literal; fails on anything Salesforce would reject."""
    assert text[0] == "'" and text[-1] == "'"
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        assert char != "'", "unescaped quote ends the literal early"
        if char == "\\":
            nxt = body[i + 1]
            if nxt == "u":
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            assert nxt in _UNESCAPE, f"invalid escape \\{nxt}"
            out.append(_UNESCAPE[nxt])
            i += 2
            continue
        assert ord(char) >= 0x20 and char != "\x7f", "raw control character in literal"
        out.append(char)
        i += 1
    return "".join(out)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a@example.com", "'a@example.com'"),
        ("o'brien@example.com", "'o\\'brien@example.com'"),
        ("back\\slash", "'back\\\\slash'"),
        ("\\'", "'\\\\\\''"),
        ('say "hi"', "'say \\\"hi\\\"'"),
        ("tab\tnew\nret\rbs\bff\f", "'tab\\tnew\\nret\\rbs\\bff\\f'"),
        ("nul\x00del\x7f", "'nul\\u0000del\\u007f'"),
        ("ünïcødé 日本 🙂", "'ünïcødé 日本 🙂'"),
        ("", "''"),
    ],
)
def test_quote_escapes(value: str, expected: str) -> None:
    assert quote(value) == expected
    assert unquote(quote(value)) == value


@given(st.text())
def test_quote_round_trips_any_string(value: str) -> None:
    assert unquote(quote(value)) == value


def test_quote_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        quote(5)  # type: ignore[arg-type]


def test_quote_identifier() -> None:
    assert quote_identifier("WalkMe_Segment__c") == "WalkMe_Segment__c"
    assert quote_identifier("Account.Name") == "Account.Name"
    for bad in ("", "Email)", "Email OR Id", "1abc", "Email--"):
        with pytest.raises(ValueError, match="API name"):
            quote_identifier(bad)


@pytest.mark.parametrize(
    ("value", "sf_type", "expected"),
    [
        (None, "string", "null"),
        (True, "boolean", "true"),
        ("FALSE", "boolean", "false"),
        (3, "int", "3"),
        (2.0, "double", "2"),
        (1e20, "double", "100000000000000000000"),
        (0.000001, "percent", "0.000001"),
        ("12.50", "currency", "12.50"),
        (dt.date(2024, 2, 29), "date", "2024-02-29"),
        ("2024-02-29T10:00:00Z", "date", "2024-02-29"),
        ("2024-02-29T10:00:00+02:00", "datetime", "2024-02-29T08:00:00.000Z"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 678000), "datetime", "2024-01-02T03:04:05.678Z"),
        ("003000000000001AAA", "id", "'003000000000001AAA'"),
        ("x'y", "email", "'x\\'y'"),
        (True, "string", "'True'"),
    ],
)
def test_literal(value: object, sf_type: str, expected: str) -> None:
    assert literal(value, sf_type) == expected


@pytest.mark.parametrize(
    ("value", "sf_type"), [("maybe", "boolean"), ("nan", "double"), ("x", "int")]
)
def test_literal_rejects_bad_values(value: object, sf_type: str) -> None:
    with pytest.raises(ValueError):
        literal(value, sf_type)


def test_in_clause() -> None:
    assert in_clause("Email", ["a@x.io", "b'c@x.io"]) == "Email IN ('a@x.io','b\\'c@x.io')"
    with pytest.raises(ValueError):
        in_clause("Email", [])


def _encoded(field: str, batch: list[str]) -> int:
    return len(url_quote(in_clause(field, batch), safe=""))


@given(
    values=st.lists(st.text(max_size=60), max_size=80),
    max_chars=st.integers(min_value=1000, max_value=3000),  # > any 60-char key
    max_values=st.integers(min_value=1, max_value=50),
)
def test_in_clause_batches_respect_budgets_and_order(
    values: list[str], max_chars: int, max_values: int
) -> None:
    batches = list(in_clause_batches("Email", values, max_chars=max_chars, max_values=max_values))
    assert [v for batch in batches for v in batch] == values
    for batch in batches:
        assert 1 <= len(batch) <= max_values
        assert _encoded("Email", batch) <= max_chars


def test_in_clause_batches_fill_greedily() -> None:
    values = [f"user{i:04d}@example.com" for i in range(1000)]
    batches = list(in_clause_batches("Email", values, max_chars=8000, max_values=200))
    # each quoted, encoded key is 27 chars + 3 for the encoded comma: ~265 fit in 8,000,
    # so max_values is the binding limit here.
    assert [len(b) for b in batches] == [200] * 5
    small = list(in_clause_batches("Email", values[:100], max_chars=1000, max_values=200))
    assert all(_encoded("Email", b) <= 1000 for b in small)
    assert _encoded("Email", small[0] + [small[1][0]]) > 1000  # full before the split


def test_in_clause_batches_reject_oversized_keys() -> None:
    with pytest.raises(ValueError, match="4000"):
        list(in_clause_batches("Email", ["x" * (MAX_LITERAL_CHARS + 1)], max_chars=10**6))
    with pytest.raises(ValueError, match="budget"):
        list(in_clause_batches("Email", ["é" * 100], max_chars=200))
    with pytest.raises(ValueError, match="API name"):
        list(in_clause_batches("Email) OR (Id", ["a"], max_chars=1000))


def test_in_clause_batches_empty_input() -> None:
    assert list(in_clause_batches("Email", [], max_chars=1000, max_values=10)) == []


def test_statement_fits_request_line() -> None:
    """Default budgets keep a whole SELECT well under Salesforce's 16,384-byte request line."""
    values = [f"ünïcødé.user{i}@example.com" for i in range(2000)]
    for batch in in_clause_batches("Email", values):
        soql = f"SELECT Id, Email FROM Contact WHERE {in_clause('Email', batch)}"
        assert len(url_quote(soql, safe="")) < 9000
        assert re.search(r"IN \(.*\)$", soql)


def test_redact_literals_hides_every_key_a_query_error_quotes():
    from target_salesforce_update.soql import redact_literals

    text = "\nId FROM Contact WHERE Email IN ('a@x.io','o\\'b@y.io','c@z\n ^\nERROR at Row:1"
    shown = redact_literals(text)
    for key in ("a@x.io", "o\\'b@y.io", "b@y.io", "c@z"):
        assert key not in shown
    assert "WHERE Email IN (" in shown and "ERROR at Row:1" in shown
