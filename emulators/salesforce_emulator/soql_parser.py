"""The SOQL parser: tokens to a :class:`Query` (see soql.py)."""

from __future__ import annotations

import datetime as _dt

from .soql_ast import (
    MAX_OFFSET,
    MAX_QUERY_LENGTH,
    MAX_WHERE_STRING_LENGTH,
    And,
    Comparison,
    Literal,
    Not,
    Or,
    OrderItem,
    Query,
    SoqlError,
    _error,
)
from .soql_lexer import (
    _INT64_MAX,
    _date_range,
    _decode_like,
    _decode_string,
    _like_length,
    _new_tuple,
    _normalize_datetime,
    _Token,
    _tokenize,
)

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
