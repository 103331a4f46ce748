"""SOQL tokens, string and LIKE literal decoding, and date literals (see soql.py)."""

from __future__ import annotations

import datetime as _dt
import re
from typing import NamedTuple

from .soql_ast import (
    ANY,
    ONE,
    SoqlError,
    _error,
    _row_col,
)

# --------------------------------------------------------------------------- tokenizer

# Alternatives are ordered by frequency in real statements (strings, commas, names first);
# ``name`` also takes date keywords with a number (``LAST_N_DAYS:30``).
_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<string>'[^'\\]*(?:\\.[^'\\]*)*')
    | (?P<punct>[(),])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*(?::\d+)?)
    | (?P<op>!=|<>|<=|>=|=|<|>)
    | (?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?(?:Z|[+-]\d\d:?\d\d))(?![\w:.])
    | (?P<date>\d{4}-\d\d-\d\d)(?![\w:.-])
    | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?![\w.:-])
    | (?P<unterminated>'[^'\\]*(?:\\.[^'\\]*)*\\?\Z)
    | (?P<eof>\Z)
    | (?P<bad>.)
    )""",
    re.X | re.S,
)


class _Token(NamedTuple):
    kind: str
    text: str
    pos: int


# NamedTuple instances built without the Python-level __new__ (3-5x cheaper on the hot path of
# a 300-key IN list).
_new_tuple = tuple.__new__


def _tokenize(text: str) -> list[_Token]:
    """Split ``text`` into tokens; a lexical error becomes a final ``lexerror`` token.

    The error is raised only when the parser reaches it, so an earlier syntax error wins, as in
    Salesforce's (lazy) lexer: ``Email = 'O'Brien'`` fails at ``Brien``, not at the open quote.
    One regex does all the work; the Python loop only labels its matches.
    """
    tokens: list[_Token] = []
    append = tokens.append
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        start = m.start(kind)
        if kind == "eof":
            break
        if kind == "unterminated":
            row, col = _row_col(text, len(text))
            reason = f"line {row}:{col} mismatched character '<EOF>' expecting '''"
            append(_new_tuple(_Token, ("lexerror", reason, start)))
            return tokens
        if kind == "bad":
            row, col = _row_col(text, start)
            reason = f"line {row}:{col} no viable alternative at character '{m.group(kind)}'"
            append(_new_tuple(_Token, ("lexerror", reason, start)))
            return tokens
        append(_new_tuple(_Token, (kind, m.group(kind), start)))
    append(_Token("eof", "<EOF>", len(text)))
    return tokens


# --------------------------------------------------------------------------- string literals

_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    # The SOQL reference ("Quoted String Escape Sequences") lists the upper-case forms too.
    "N": "\n",
    "R": "\r",
    "T": "\t",
    "B": "\b",
    "F": "\f",
}
_ESCAPE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)", re.S)
_LIKE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)|([%_])", re.S)
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _fix_surrogates(value: str) -> str:
    """Join UTF-16 surrogate pairs written as two ``\\uXXXX`` escapes; replace lone halves."""
    if not _SURROGATE_RE.search(value):
        return value
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _bad_escape(text: str, token: _Token, body: str, start: int) -> SoqlError:
    """MALFORMED_QUERY for an escape at ``body[start]`` that Salesforce does not accept."""
    sequence = body[start : start + 2]
    if sequence == "\\u":
        detail = f"Illegal unicode sequence. '{body[start : start + 6]}' in string literal."
    else:
        detail = f"Illegal character sequence '{sequence}' in string literal."
    return _error(
        "MALFORMED_QUERY", text, token.pos, f"Invalid string literal {token.text}. {detail}"
    )


def _decode_string(text: str, token: _Token) -> str:
    """Value of a quoted string token, applying Salesforce's escapes (outside LIKE)."""
    body = token.text[1:-1]
    if "\\" not in body:
        return body
    # Fast path for the escapes quoting functions produce: split on escaped backslashes (runs
    # of backslashes pair up from their start, exactly as the escape scanner pairs them), undo
    # the common escapes in each piece, and fall back to the full scanner if any backslash is
    # left over (\u, \b, \f or an invalid sequence).
    pieces = [
        piece.replace("\\'", "'")
        .replace('\\"', '"')
        .replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
        for piece in body.split("\\\\")
    ]
    if not any("\\" in piece for piece in pieces):
        return "\\".join(pieces)
    parts: list[str] = []
    last = 0
    for m in _ESCAPE_RE.finditer(body):
        parts.append(body[last : m.start()])
        escape = m.group(1)
        simple = _SIMPLE_ESCAPES.get(escape)
        if simple is not None:
            parts.append(simple)
        elif len(escape) == 5:
            parts.append(chr(int(escape[1:], 16)))
        else:
            raise _bad_escape(text, token, body, m.start())
        last = m.end()
    parts.append(body[last:])
    return _fix_surrogates("".join(parts))


def _decode_like(text: str, token: _Token) -> tuple[object, ...]:
    """LIKE pattern parts: literal text and ANY / ONE wildcards (``\\%``, ``\\_`` are literal)."""
    body = token.text[1:-1]
    parts: list[object] = []
    chunk: list[str] = []
    last = 0
    for m in _LIKE_RE.finditer(body):
        chunk.append(body[last : m.start()])
        last = m.end()
        wildcard = m.group(2)
        if wildcard is not None:
            joined = "".join(chunk)
            if joined:
                parts.append(_fix_surrogates(joined))
            chunk = []
            parts.append(ANY if wildcard == "%" else ONE)
            continue
        escape = m.group(1)
        simple = _SIMPLE_ESCAPES.get(escape)
        if simple is not None:
            chunk.append(simple)
        elif escape in ("%", "_"):
            chunk.append(escape)
        elif len(escape) == 5:
            chunk.append(chr(int(escape[1:], 16)))
        else:
            raise _bad_escape(text, token, body, m.start())
    chunk.append(body[last:])
    literal = "".join(chunk)
    if literal:
        parts.append(_fix_surrogates(literal))
    return tuple(parts)


def _like_length(parts: tuple[object, ...]) -> int:
    return sum(len(p) if isinstance(p, str) else 1 for p in parts)


# --------------------------------------------------------------------------- dates

_DATE_WORDS = {"TODAY": (0, 1), "YESTERDAY": (-1, 0), "TOMORROW": (1, 2)}
_N_DAY_WORDS = {"LAST_N_DAYS", "NEXT_N_DAYS"}


def _utc_today() -> _dt.date:
    return _dt.datetime.now(_dt.timezone.utc).date()


def _date_range(word: str) -> tuple[str, str] | None:
    """UTC day range [first, after_last) for a date keyword, or None if not a supported one."""
    upper = word.upper()
    today = _utc_today()
    if upper in _DATE_WORDS:
        lo, hi = _DATE_WORDS[upper]
    else:
        name, _, number = upper.partition(":")
        if name not in _N_DAY_WORDS or not number:
            return None
        n = int(number)
        lo, hi = (-n, 1) if name == "LAST_N_DAYS" else (1, n + 1)
    try:
        return (
            (today + _dt.timedelta(days=lo)).isoformat(),
            (today + _dt.timedelta(days=hi)).isoformat(),
        )
    except OverflowError:  # LAST_N_DAYS:99999999 reaches past year 1 / 9999
        return None


def _normalize_datetime(literal: str) -> str | None:
    """``2024-01-31T10:00:00+02:00`` → ``2024-01-31T08:00:00.000+0000`` (None if invalid)."""
    text = literal[:-1] + "+00:00" if literal.endswith("Z") else literal
    if text[-5] in "+-" and text[-3] != ":":  # +0200 → +02:00
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        value = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    value = value.astimezone(_dt.timezone.utc)
    return (
        f"{value.year:04d}"
        + value.strftime("-%m-%dT%H:%M:%S.")
        + f"{value.microsecond // 1000:03d}+0000"
    )


def _day_start(iso_date: str) -> str:
    return f"{iso_date}T00:00:00.000+0000"


# --------------------------------------------------------------------------- parser

_INT64_MAX = 2**63 - 1
