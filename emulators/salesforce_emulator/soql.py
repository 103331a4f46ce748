"""SOQL parser and SOQL → SQLite translator for the Salesforce emulator.

The emulator answers ``/query`` and ``/queryAll`` by parsing the SOQL statement here
(:func:`parse`, syntax only, no schema needed) and translating it into one parameterised SQLite
statement over the store layout fixed in ``docs/architecture.md`` (:func:`to_sql`, which needs
the object's :class:`ObjectSchema` to resolve field names and check literal types). Errors are
raised as :class:`SoqlError` carrying Salesforce's ``errorCode`` and a message shaped like
Salesforce's (the statement excerpt, a caret, ``ERROR at Row:R:Column:C`` and the reason), so the
server can return ``[{"message": e.message, "errorCode": e.error_code}]`` with HTTP 400.

Subset: ``SELECT f1, f2 | COUNT() FROM Object [WHERE cond] [ORDER BY f [ASC|DESC]
[NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]``. Conditions: ``= != <> < <= > >= IN (..)
NOT IN (..) LIKE``, ``AND``/``OR`` (mixing them without parentheses is a ``MALFORMED_QUERY``, as
in Salesforce), ``NOT`` at the start of a (parenthesised) condition, literals ``'strings'``
(Salesforce's escapes), numbers, ``true``/``false``, ``null``, dates ``2024-01-31``, datetimes
``2024-01-31T10:00:00Z`` / ``…+02:00`` (normalised to UTC), and the date keywords ``TODAY``,
``YESTERDAY``, ``TOMORROW``, ``LAST_N_DAYS:n``, ``NEXT_N_DAYS:n`` (evaluated in UTC).

Semantics follow Salesforce rather than SQL:

* text comparisons are case-insensitive (``COLLATE SFCI``; ``LIKE`` via a case-folding ``GLOB``);
* ``f = null`` is ``IS NULL``; ``f != null`` is ``IS NOT NULL``; ``''`` compares like ``null``;
* ``!=``, ``NOT IN`` and ``NOT (...)`` also match rows where the field is null;
* 15-character Ids are accepted and widened to the stored 18-character form;
* deleted rows (``IsDeleted = 1``) are excluded unless ``include_deleted`` (``queryAll``).

Every value taken from the statement reaches SQLite as a ``?`` parameter; the SQL text holds
only schema-canonical quoted identifiers and fixed constants (``0``, ``''``).

Index assumption (for the store): the hot statement is
``SELECT Id, Email, … FROM Contact WHERE Email IN (300 keys) AND IsDeleted = false``. Text
equality (``=``, ``!=``, ``IN``, ``NOT IN``) is translated to ``sfci_fold("Email") IN (?, ?, …)``
with every parameter already case-folded: equal under the ``SFCI`` collation means equal after
:func:`sfci_fold`, so the answer is the same, but SQLite can serve it from an index on the
expression and compare in C. (A ``COLLATE SFCI`` index calls back into Python for every
comparison of every B-tree step: ~7,000 calls and ~5 ms per 300-key query on 100k rows.) Every
connection that runs these statements registers the deterministic function
(``conn.create_function(SFCI_FOLD, 1, sfci_fold, deterministic=True)``) and the store creates,
for every text-like field clients match on (at least ``Email`` on Contact and Lead, plus
external-Id / idLookup fields)::

    CREATE INDEX "ix_Contact_Email" ON "Contact" (sfci_fold("Email"))

Ordering comparisons (``<``, ``>=``…) and ``ORDER BY`` still use ``COLLATE SFCI``.
``"Id" = ?`` / ``"Id" IN (…)`` are emitted without a collation, so the primary key serves them.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "ANY",
    "MAX_OFFSET",
    "MAX_QUERY_LENGTH",
    "MAX_WHERE_STRING_LENGTH",
    "ONE",
    "SFCI_FOLD",
    "And",
    "Comparison",
    "Literal",
    "Not",
    "ObjectSchema",
    "Or",
    "OrderItem",
    "Query",
    "SoqlError",
    "canonical_fields",
    "invalid_type_error",
    "parse",
    "sfci_fold",
    "to_sql",
]

MAX_QUERY_LENGTH = 100_000
"""Longest SOQL statement Salesforce accepts, in characters."""
MAX_WHERE_STRING_LENGTH = 4_000
"""Longest string literal Salesforce accepts in a WHERE clause, in characters."""
MAX_OFFSET = 2_000
"""Largest OFFSET Salesforce accepts."""

TEXT_TYPES = frozenset(
    {
        "string",
        "email",
        "textarea",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
        "time",
    }
)
ID_TYPES = frozenset({"id", "reference"})
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent", "long"})
# Salesforce names the expected type by its SOAP type in filter-type errors.
_SOAP_TYPE = {
    "int": "int",
    "long": "long",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "boolean": "boolean",
    "date": "date",
    "datetime": "dateTime",
    "id": "id",
    "reference": "id",
}


SFCI_FOLD = "sfci_fold"
"""Name of the SQL function :func:`sfci_fold` that translated statements call."""


def sfci_fold(value: object) -> object:
    """The SFCI comparison key: text case-folded (Unicode ``str.casefold``), other values as is.

    Two texts are equal under the ``SFCI`` collation exactly when their keys are equal.
    Registered on connections as the deterministic SQL function :data:`SFCI_FOLD`.
    """
    return value.casefold() if isinstance(value, str) else value


class SoqlError(Exception):
    """A query Salesforce rejects: ``error_code`` is its ``errorCode``, ``message`` its text."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True)
class ObjectSchema:
    """An sObject as the translator needs it: canonical name and field name → Salesforce type."""

    name: str
    fields: dict[str, str]
    _by_lower: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_lower", {n.lower(): n for n in self.fields})

    def resolve(self, name: str) -> str | None:
        """Return the canonical spelling of field ``name`` (any case), or None if unknown."""
        return self._by_lower.get(name.lower())


# --------------------------------------------------------------------------- syntax tree


class Literal(NamedTuple):
    """A literal in a WHERE clause.

    ``kind`` is ``string`` (value: str), ``like`` (value: tuple of pattern parts, see
    :data:`ANY` / :data:`ONE`), ``number`` (int | float), ``boolean`` (bool), ``null`` (None),
    ``date`` (``YYYY-MM-DD``), ``datetime`` (UTC storage text) or ``daterange`` (value:
    ``(first_day, day_after_last)`` as ISO dates).
    """

    kind: str
    value: object
    pos: int
    text: str


@dataclass(frozen=True)
class Comparison:
    """``field op value``; ``op`` is one of = != < <= > >= LIKE IN NOT IN (``<>`` becomes !=)."""

    field: str
    op: str
    value: Literal | tuple[Literal, ...]
    pos: int


@dataclass(frozen=True)
class And:
    items: tuple[object, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[object, ...]


@dataclass(frozen=True)
class Not:
    item: object


@dataclass(frozen=True)
class OrderItem:
    field: str
    descending: bool
    nulls_first: bool | None  # None: Salesforce's default (first for ASC, last for DESC)
    pos: int


@dataclass(frozen=True)
class Query:
    """A parsed SOQL statement. Names are as written; :func:`to_sql` canonicalises them."""

    object_name: str
    fields: tuple[str, ...]
    where: object | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
    is_count: bool = False
    text: str = field(default="", repr=False)
    field_positions: tuple[int, ...] = field(default=(), repr=False)
    object_position: int = field(default=0, repr=False)


class _Wildcard:
    __slots__ = ("symbol",)

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def __repr__(self) -> str:
        return f"<LIKE {self.symbol}>"


ANY = _Wildcard("%")
"""LIKE pattern part: any run of characters."""
ONE = _Wildcard("_")
"""LIKE pattern part: exactly one character."""


# --------------------------------------------------------------------------- errors


def _excerpt(text: str, pos: int, *, one_based: bool) -> tuple[str, int, int, int]:
    """Return (window, caret offset, row, column) for an error at ``pos`` in ``text``."""
    pos = max(0, min(pos, len(text)))
    row_start = text.rfind("\n", 0, pos) + 1
    row_end = text.find("\n", pos)
    if row_end == -1:
        row_end = len(text)
    row = text.count("\n", 0, pos) + 1
    column = pos - row_start
    start = row_start
    if pos - row_start > 40:  # long line: start a few words before the error, as Salesforce does
        space = text.find(" ", pos - 40, pos)
        start = space + 1 if space != -1 else pos - 40
    end = row_end
    if row_end - pos > 80:
        space = text.rfind(" ", pos + 1, pos + 80)
        end = space if space != -1 else pos + 80
    caret = pos - start + (1 if one_based else 0)
    return text[start:end], caret, row, column + (1 if one_based else 0)


def _error(code: str, text: str, pos: int, reason: str, *, one_based: bool = False) -> SoqlError:
    """Build a SoqlError shaped like Salesforce's (excerpt, caret, row/column, reason).

    Syntax errors count columns from 0 (as Salesforce's parser does), semantic errors from 1.
    """
    window, caret, row, column = _excerpt(text, pos, one_based=one_based)
    return SoqlError(
        code, f"\n{window}\n{' ' * caret}^\nERROR at Row:{row}:Column:{column}\n{reason}"
    )


def _row_col(text: str, pos: int) -> tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1)


def invalid_type_error(query: Query) -> SoqlError:
    """The INVALID_TYPE error Salesforce returns when ``query.object_name`` is not an sObject."""
    name = query.object_name
    return _error(
        "INVALID_TYPE",
        query.text,
        query.object_position,
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, "
        "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names.",
        one_based=True,
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
_COMPARISON_OPS = {"=": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Parser:
    """Recursive descent over the token list; one instance per statement."""

    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0

    # -- helpers
    def peek(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind == "lexerror":
            raise _error("MALFORMED_QUERY", self.text, token.pos, token.text)
        return token

    def advance(self) -> _Token:
        token = self.peek()
        if token.kind != "eof":
            self.index += 1
        return token

    def is_word(self, word: str, offset: int = 0) -> bool:
        token = self.tokens[min(self.index + offset, len(self.tokens) - 1)]
        return token.kind == "name" and token.text.upper() == word

    def unexpected(self, token: _Token | None = None) -> SoqlError:
        token = token or self.peek()
        if token.kind == "lexerror":
            return _error("MALFORMED_QUERY", self.text, token.pos, token.text)
        return _error("MALFORMED_QUERY", self.text, token.pos, f"unexpected token: {token.text}")

    def expect_word(self, word: str) -> _Token:
        if not self.is_word(word):
            raise self.unexpected()
        return self.advance()

    def expect_punct(self, symbol: str) -> _Token:
        token = self.peek()
        if token.kind != "punct" or token.text != symbol:
            raise self.unexpected()
        return self.advance()

    def expect_name(self) -> _Token:
        token = self.peek()
        if token.kind != "name":
            raise self.unexpected()
        return self.advance()

    def expect_integer(self) -> int:
        token = self.peek()
        if token.kind != "number" or not token.text.isdigit():
            raise self.unexpected()
        self.advance()
        return min(int(token.text), _INT64_MAX)  # SQLite binds at most 64-bit integers

    # -- grammar
    def query(self) -> Query:
        self.expect_word("SELECT")
        fields: list[str] = []
        positions: list[int] = []
        is_count = False
        if self.is_word("COUNT") and self.tokens[self.index + 1].text == "(":
            self.advance()
            self.advance()
            self.expect_punct(")")
            is_count = True
        else:
            while True:
                token = self.expect_name()
                if token.text.upper() == "FROM":
                    raise self.unexpected(token)
                if self.peek().text == "(":  # aggregate / FIELDS(...) functions: unsupported
                    raise self.unexpected(self.peek())
                fields.append(token.text)
                positions.append(token.pos)
                if self.peek().text != ",":
                    break
                self.advance()
        self.expect_word("FROM")
        object_token = self.expect_name()
        where = None
        if self.is_word("WHERE"):
            self.advance()
            where = self.condition()
        order_by: list[OrderItem] = []
        if self.is_word("ORDER"):
            self.advance()
            self.expect_word("BY")
            while True:
                order_by.append(self.order_item())
                if self.peek().text != ",":
                    break
                self.advance()
        limit = offset = None
        if self.is_word("LIMIT"):
            self.advance()
            limit = self.expect_integer()
        if self.is_word("OFFSET"):
            self.advance()
            offset_token = self.peek()
            offset = self.expect_integer()
            if offset > MAX_OFFSET:
                raise _error(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    self.text,
                    offset_token.pos,
                    f"Maximum SOQL offset allowed is {MAX_OFFSET}",
                )
        if self.peek().kind != "eof":
            raise self.unexpected()
        return Query(
            object_name=object_token.text,
            fields=tuple(fields),
            where=where,
            order_by=tuple(order_by),
            limit=limit,
            offset=offset,
            is_count=is_count,
            text=self.text,
            field_positions=tuple(positions),
            object_position=object_token.pos,
        )

    def order_item(self) -> OrderItem:
        token = self.expect_name()
        descending = False
        if self.is_word("ASC"):
            self.advance()
        elif self.is_word("DESC"):
            self.advance()
            descending = True
        nulls_first = None
        if self.is_word("NULLS"):
            self.advance()
            if self.is_word("FIRST"):
                nulls_first = True
            elif self.is_word("LAST"):
                nulls_first = False
            else:
                raise self.unexpected()
            self.advance()
        return OrderItem(token.text, descending, nulls_first, token.pos)

    def condition(self) -> object:
        """``[NOT] unary (AND unary)*`` or ``… (OR unary)*``; mixing AND and OR is an error."""
        if self.is_word("NOT"):
            self.advance()
            first: object = Not(self.unary())
        else:
            first = self.unary()
        if not (self.is_word("AND") or self.is_word("OR")):
            return first
        joiner = self.peek().text.upper()
        items = [first]
        while self.is_word(joiner):
            self.advance()
            items.append(self.unary())
        if self.is_word("AND") or self.is_word("OR"):
            raise self.unexpected()
        return And(tuple(items)) if joiner == "AND" else Or(tuple(items))

    def unary(self) -> object:
        token = self.peek()
        if token.kind == "punct" and token.text == "(":
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        if token.kind != "name" or token.text.upper() in ("NOT", "AND", "OR"):
            raise self.unexpected()
        return self.comparison()

    def comparison(self) -> Comparison:
        field_token = self.advance()
        token = self.peek()
        if token.kind == "op":
            self.advance()
            return Comparison(
                field_token.text, _COMPARISON_OPS[token.text], self.value(), field_token.pos
            )
        upper = token.text.upper() if token.kind == "name" else ""
        if upper == "LIKE":
            self.advance()
            return Comparison(field_token.text, "LIKE", self.value(like=True), field_token.pos)
        if upper == "IN" or (upper == "NOT" and self.is_word("IN", 1)):
            op = "IN" if upper == "IN" else "NOT IN"
            self.advance()
            if op == "NOT IN":
                self.advance()
            self.expect_punct("(")
            values = self.value_list()
            self.expect_punct(")")
            return Comparison(field_token.text, op, tuple(values), field_token.pos)
        raise self.unexpected()

    def value_list(self) -> list[Literal]:
        """The values of ``IN (...)``; strings (the common case) skip the general dispatch."""
        tokens = self.tokens
        values: list[Literal] = []
        while True:
            token = tokens[self.index]
            if token.kind == "string":
                self.index += 1
                values.append(self.string(token))
            else:
                values.append(self.value())
            token = tokens[self.index]
            if token.kind != "punct" or token.text != ",":
                return values
            self.index += 1

    def string(self, token: _Token) -> Literal:
        decoded = _decode_string(self.text, token)
        if len(decoded) > MAX_WHERE_STRING_LENGTH:
            raise self.too_long(token, len(decoded))
        return _new_tuple(Literal, ("string", decoded, token.pos, token.text))

    def too_long(self, token: _Token, length: int) -> SoqlError:
        return _error(
            "MALFORMED_QUERY",
            self.text,
            token.pos,
            f"String literal is too long: {length:,} characters. Each string in a WHERE "
            f"clause may have at most {MAX_WHERE_STRING_LENGTH:,} characters.",
        )

    def value(self, *, like: bool = False) -> Literal:
        token = self.advance()
        kind = token.kind
        if kind == "string":
            if not like:
                return self.string(token)
            parts = _decode_like(self.text, token)
            length = _like_length(parts)
            if length > MAX_WHERE_STRING_LENGTH:
                raise self.too_long(token, length)
            return Literal("like", parts, token.pos, token.text)
        if kind == "number":
            text = token.text
            number: int | float = int(text) if text.lstrip("+-").isdigit() else float(text)
            if isinstance(number, int) and abs(number) > _INT64_MAX:
                number = float(number)  # beyond SQLite's integers; compares as REAL
            return Literal("number", number, token.pos, text)
        if kind == "date":
            try:
                _dt.date.fromisoformat(token.text)
            except ValueError:
                raise self.invalid_literal(token, "date") from None
            return Literal("date", token.text, token.pos, token.text)
        if kind == "datetime":
            normalized = _normalize_datetime(token.text)
            if normalized is None:
                raise self.invalid_literal(token, "datetime")
            return Literal("datetime", normalized, token.pos, token.text)
        if kind == "name":
            upper = token.text.upper()
            if upper == "NULL":
                return Literal("null", None, token.pos, token.text)
            if upper in ("TRUE", "FALSE"):
                return Literal("boolean", upper == "TRUE", token.pos, token.text)
            day_range = _date_range(token.text)
            if day_range is not None:
                return Literal("daterange", day_range, token.pos, token.text)
        raise self.unexpected(token)

    def invalid_literal(self, token: _Token, kind: str) -> SoqlError:
        return _error("MALFORMED_QUERY", self.text, token.pos, f"Invalid {kind}: {token.text}")


def parse(text: str) -> Query:
    """Parse a SOQL statement (syntax only). Raises SoqlError("MALFORMED_QUERY", …)."""
    if len(text) > MAX_QUERY_LENGTH:
        raise SoqlError(
            "MALFORMED_QUERY",
            f"Query is too long: {len(text):,} characters. SOQL statements cannot be longer "
            f"than {MAX_QUERY_LENGTH:,} characters.",
        )
    return _Parser(text, _tokenize(text)).query()


# --------------------------------------------------------------------------- translation


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_ID15_RE = re.compile(r"[a-zA-Z0-9]{15}")
_ID18_RE = re.compile(r"[a-zA-Z0-9]{15}[A-Za-z0-5]{3}")
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _id18(value: str) -> str | None:
    """Canonical 18-character form of a 15- or 18-character Salesforce Id, None if malformed."""
    if _ID15_RE.fullmatch(value) is None and _ID18_RE.fullmatch(value) is None:
        return None
    id15 = value[:15]
    suffix = ""
    for chunk in range(3):
        bits = 0
        for offset in range(5):
            if "A" <= id15[chunk * 5 + offset] <= "Z":
                bits |= 1 << offset
        suffix += _SUFFIX_ALPHABET[bits]
    return id15 + suffix


@functools.cache
def _casefold_classes() -> dict[str, str]:
    """Map each character to a GLOB class of every character with the same casefold.

    Built once, on the first LIKE: cased scripts all live below U+20000. Characters whose
    casefold is several characters (``ß`` → ``ss``) only match themselves in LIKE.
    """
    groups: dict[str, list[str]] = {}
    for code in range(0x20000):
        char = chr(code)
        folded = char.casefold()
        if len(folded) == 1 and (folded != char or char.lower() != char or char.upper() != char):
            groups.setdefault(folded, []).append(char)
    classes: dict[str, str] = {}
    for folded, members in groups.items():
        chars = sorted({folded, *members})
        if len(chars) > 1:
            for char in chars:
                classes[char] = "[" + "".join(chars) + "]"
    return classes


def _glob_pattern(parts: tuple[object, ...]) -> str:
    """Translate LIKE parts into a case-folding SQLite GLOB pattern (``[Kk\u212a]`` per letter).

    SQLite's own LIKE folds ASCII only; GLOB with a class per letter folds all of Unicode the
    way the SFCI collation does, and needs no SQL function registered by the store.
    """
    classes = _casefold_classes()
    out: list[str] = []
    for part in parts:
        if part is ANY:
            out.append("*")
        elif part is ONE:
            out.append("?")
        else:
            for char in part:  # type: ignore[union-attr]
                if char in "*?[":
                    out.append(f"[{char}]")
                else:
                    out.append(classes.get(char, char))
    return "".join(out)


class _Translator:
    """Turns a parsed Query into SQL for one ObjectSchema; collects ``?`` parameters."""

    def __init__(self, query: Query, schema: ObjectSchema) -> None:
        self.query = query
        self.schema = schema
        self.params: list[object] = []

    def fail(self, code: str, pos: int, reason: str) -> SoqlError:
        return _error(code, self.query.text, pos, reason, one_based=True)

    def resolve(self, name: str, pos: int) -> tuple[str, str]:
        """Canonical name and type of a field, or INVALID_FIELD like Salesforce's."""
        canonical = self.schema.resolve(name)
        if canonical is not None:
            return canonical, self.schema.fields[canonical].lower()
        if "." in name:
            relationship = name.split(".", 1)[0]
            raise self.fail(
                "INVALID_FIELD",
                pos,
                f"Didn't understand relationship '{relationship}' in field path. If you are "
                "attempting to use a custom relationship, be sure to append the '__r' after the "
                "custom relationship name. Please reference your WSDL or the describe call for "
                "the appropriate names.",
            )
        raise self.fail(
            "INVALID_FIELD",
            pos,
            f"No such column '{name}' on entity '{self.schema.name}'. If you are attempting to "
            "use a custom field, be sure to append the '__c' after the custom field name. Please "
            "reference your WSDL or the describe call for the appropriate names.",
        )

    # -- WHERE
    def condition(self, node: object) -> str:
        if isinstance(node, Comparison):
            return self.comparison(node)
        if isinstance(node, And):
            return " AND ".join(f"({self.condition(item)})" for item in node.items)
        if isinstance(node, Or):
            return " OR ".join(f"({self.condition(item)})" for item in node.items)
        if isinstance(node, Not):
            # Salesforce's logic is two-valued: NOT (Email = 'x') also matches null Emails.
            return f"NOT IFNULL(({self.condition(node.item)}), 0)"
        raise TypeError(f"unknown condition node {node!r}")

    def type_error(self, name: str, sf_type: str, literal: Literal) -> SoqlError:
        if sf_type in TEXT_TYPES:
            expected = "string and should be enclosed in quotes"
        else:
            expected = f"{_SOAP_TYPE.get(sf_type, sf_type)} and should not be enclosed in quotes"
        return self.fail(
            "INVALID_FIELD",
            literal.pos,
            f"value of filter criterion for field '{name}' must be of type {expected}",
        )

    def scalar(self, name: str, sf_type: str, literal: Literal) -> object:
        """The SQLite value for a non-null literal compared with a field of ``sf_type``."""
        kind = literal.kind
        if sf_type in TEXT_TYPES:
            if kind == "string":
                return literal.value
        elif sf_type in ID_TYPES:
            if kind == "string":
                value = literal.value
                canonical = _id18(value) if value else ""  # type: ignore[arg-type]
                if canonical is None:
                    raise self.fail(
                        "INVALID_QUERY_FILTER_OPERATOR", literal.pos, f"invalid ID field: {value}"
                    )
                return canonical
        elif sf_type == "boolean":
            if kind == "boolean":
                return 1 if literal.value else 0
        elif sf_type in NUMBER_TYPES:
            if kind == "number":
                return literal.value
        elif sf_type == "date":
            if kind == "date":
                return literal.value
        elif sf_type == "datetime":
            if kind == "datetime":
                return literal.value
        elif kind == "string":  # unknown / other types stored as text
            return literal.value
        raise self.type_error(name, sf_type, literal)

    def comparison(self, node: Comparison) -> str:
        name, sf_type = self.resolve(node.field, node.pos)
        column = _quote_ident(name)
        text_like = sf_type in TEXT_TYPES or sf_type not in _SOAP_TYPE
        op = node.op
        if op in ("IN", "NOT IN"):
            return self.membership(name, column, sf_type, node)
        literal = node.value
        assert isinstance(literal, Literal)
        if op == "LIKE":
            if literal.kind != "like":
                raise self.type_error(name, sf_type, literal)
            if not (text_like or sf_type in ID_TYPES):
                raise self.fail(
                    "INVALID_FIELD",
                    node.pos,
                    f"invalid operator on field '{name}': LIKE can only be used on string fields",
                )
            self.params.append(_glob_pattern(literal.value))  # type: ignore[arg-type]
            return f"{column} GLOB ?"
        if literal.kind == "daterange":
            return self.date_range(name, column, sf_type, op, literal)
        if literal.kind == "null" or (
            literal.kind == "string" and literal.value == "" and (text_like or sf_type in ID_TYPES)
        ):
            if op == "=":
                return (
                    f"{column} IS NULL"
                    if literal.kind == "null"
                    else f"({column} IS NULL OR {column} = '')"
                )
            if op == "!=":
                return (
                    f"{column} IS NOT NULL"
                    if literal.kind == "null"
                    else f"({column} IS NOT NULL AND {column} <> '')"
                )
            return "0"  # ordering comparisons with null match nothing
        value = self.scalar(name, sf_type, literal)
        if text_like and op in ("=", "!="):
            self.params.append(sfci_fold(value))
            target = f"{SFCI_FOLD}({column})"
        else:
            self.params.append(value)
            target = f"{column} COLLATE SFCI" if text_like else column
        if op == "!=":
            return f"({column} IS NULL OR {target} <> ?)"
        return f"{target} {op} ?"

    def membership(self, name: str, column: str, sf_type: str, node: Comparison) -> str:
        text_like = sf_type in TEXT_TYPES or sf_type not in _SOAP_TYPE
        values: list[object] = []
        has_null = False
        for literal in node.value:  # type: ignore[union-attr]
            if literal.kind == "null" or (
                literal.kind == "string"
                and literal.value == ""
                and (text_like or sf_type in ID_TYPES)
            ):
                has_null = True
            elif literal.kind in ("like", "daterange"):
                raise self.type_error(name, sf_type, literal)
            else:
                values.append(self.scalar(name, sf_type, literal))
        if text_like:
            target = f"{SFCI_FOLD}({column})"
            values = [sfci_fold(v) for v in values]
        else:
            target = column
        placeholders = ",".join("?" * len(values))
        self.params.extend(values)
        if node.op == "IN":
            if not values:
                return f"({column} IS NULL OR {column} = '')"
            clause = f"{target} IN ({placeholders})"
            return f"({clause} OR {column} IS NULL OR {column} = '')" if has_null else clause
        if not values:
            return f"({column} IS NOT NULL AND {column} <> '')"
        clause = f"{target} NOT IN ({placeholders})"
        if has_null:
            return f"({column} IS NOT NULL AND {column} <> '' AND {clause})"
        return f"({column} IS NULL OR {clause})"

    def date_range(self, name: str, column: str, sf_type: str, op: str, literal: Literal) -> str:
        first, after = literal.value  # type: ignore[misc]
        if sf_type == "datetime":
            first, after = _day_start(first), _day_start(after)
        elif sf_type != "date":
            raise self.type_error(name, sf_type, literal)
        if op == "=":
            self.params.extend((first, after))
            return f"({column} >= ? AND {column} < ?)"
        if op == "!=":
            self.params.extend((first, after))
            return f"({column} IS NULL OR {column} < ? OR {column} >= ?)"
        bound, sql_op = {
            "<": (first, "<"),
            "<=": (after, "<"),
            ">": (after, ">="),
            ">=": (first, ">="),
        }[op]
        self.params.append(bound)
        return f"{column} {sql_op} ?"

    # -- whole statement
    def select_columns(self) -> list[str]:
        names: list[str] = []
        seen: set[str] = set()
        for name, pos in zip(self.query.fields, self.query.field_positions, strict=False):
            canonical, _ = self.resolve(name, pos)
            if canonical in seen:
                raise self.fail("MALFORMED_QUERY", pos, f"duplicate field selected: {canonical}")
            seen.add(canonical)
            names.append(canonical)
        return names

    def translate(self, include_deleted: bool) -> str:
        query = self.query
        table = _quote_ident(self.schema.name)
        if query.is_count:
            select = "1"
        else:
            columns = self.select_columns()
            if not any(c == "Id" for c in columns) and self.schema.resolve("Id") == "Id":
                columns.append("Id")
            select = ", ".join(_quote_ident(c) for c in columns)
        clauses: list[str] = []
        if not include_deleted:
            clauses.append('"IsDeleted" = 0')
        if query.where is not None:
            clauses.append(f"({self.condition(query.where)})")
        # Only schema-canonical, quoted identifiers are interpolated; values are ? parameters.
        sql = f"SELECT {select} FROM {table}"  # noqa: S608
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        if query.order_by and not query.is_count:
            terms = []
            for item in query.order_by:
                name, sf_type = self.resolve(item.field, item.pos)
                term = _quote_ident(name)
                if sf_type in TEXT_TYPES or sf_type not in _SOAP_TYPE:
                    term += " COLLATE SFCI"
                term += " DESC" if item.descending else " ASC"
                if item.nulls_first is not None:
                    term += " NULLS FIRST" if item.nulls_first else " NULLS LAST"
                terms.append(term)
            sql += " ORDER BY " + ", ".join(terms)
        if query.limit is not None or query.offset is not None:
            sql += " LIMIT ?"
            self.params.append(query.limit if query.limit is not None else -1)
            if query.offset is not None:
                sql += " OFFSET ?"
                self.params.append(query.offset)
        if query.is_count:
            if query.limit is None and query.offset is None:
                sql = "SELECT COUNT(*)" + sql[len("SELECT 1") :]
            else:
                sql = f"SELECT COUNT(*) FROM ({sql})"  # noqa: S608
        return sql


def to_sql(
    query: Query, schema: ObjectSchema, *, include_deleted: bool = False
) -> tuple[str, list]:
    """Translate ``query`` into ``(sql, params)`` for SQLite over the emulator's store.

    Result columns: :func:`canonical_fields` in SELECT order, then ``"Id"`` if it was not
    requested (the server needs it for ``attributes.url``; it is not part of the record). For
    ``SELECT COUNT()`` the statement returns one row with the count. Rows with ``IsDeleted = 1``
    are excluded unless ``include_deleted``. Raises SoqlError (INVALID_FIELD for unknown fields
    or wrongly typed literals, MALFORMED_QUERY for a duplicate field,
    INVALID_QUERY_FILTER_OPERATOR for a malformed Id literal).
    """
    translator = _Translator(query, schema)
    sql = translator.translate(include_deleted)
    return sql, translator.params


def canonical_fields(query: Query, schema: ObjectSchema) -> list[str]:
    """The requested fields with their canonical spelling, in SELECT order ([] for COUNT())."""
    if query.is_count:
        return []
    return _Translator(query, schema).select_columns()
