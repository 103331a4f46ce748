"""Pure SOQL helpers: literal quoting and IN-clause batching.

Salesforce string literals are single-quoted and understand the escapes ``\\\\ \\' \\" \\n \\r
\\t \\b \\f \\uXXXX``; any other backslash sequence is a MALFORMED_QUERY. Escaping only the quote
(a common mistake) lets a backslash in a key break or change the statement, so :func:`quote`
escapes the backslash first and every control character after it.

:func:`in_clause_batches` splits match keys so that each ``Field IN (...)`` stays under a
character budget measured *after* URL encoding: the statement travels in the query string of a
GET, whose request line must stay under 16,384 bytes, and the encoded length is never shorter
than the statement itself, so the same budget also bounds the 100,000-character statement limit.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Iterable, Iterator
from urllib.parse import quote as url_quote

__all__ = [
    "DEFAULT_IN_CLAUSE_MAX_CHARS",
    "DEFAULT_IN_CLAUSE_MAX_VALUES",
    "MAX_LITERAL_CHARS",
    "in_clause",
    "in_clause_batches",
    "literal",
    "quote",
    "quote_identifier",
    "redact_literals",
]

MAX_LITERAL_CHARS = 4000
"""Salesforce rejects a string in a WHERE clause longer than this."""

DEFAULT_IN_CLAUSE_MAX_CHARS = 8000
"""URL-encoded budget for one ``IN (...)`` clause; leaves room for SELECT, host and headers
within the 16,384-byte request-line-plus-headers limit."""

DEFAULT_IN_CLAUSE_MAX_VALUES = 200
"""Keys per statement: keeps each page of results (and each debug line) small."""

_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
# Other C0 controls and DEL have no short escape; \uXXXX is the documented form.
_ESCAPE_TABLE = str.maketrans(
    {
        **{chr(c): f"\\u{c:04x}" for c in (*range(0x20), 0x7F)},
        **_ESCAPES,
    }
)

# A quoted literal (escapes included), or an unterminated one running to the end of the line.
_LITERAL = re.compile(r"'(?:[^'\\\n]|\\.)*(?:'|$)", re.M)

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")

_NUMERIC_TYPES = {"int", "double", "currency", "percent", "long"}
_BOOLEAN_TYPES = {"boolean"}


def quote(value: str) -> str:
    """Return ``value`` as a single-quoted SOQL string literal with every escape applied.

    >>> quote("o'brien@example.com")
    "'o\\\\'brien@example.com'"
    """
    if not isinstance(value, str):
        raise TypeError(f"quote() takes a str, not {type(value).__name__}")
    return "'" + value.translate(_ESCAPE_TABLE) + "'"


def redact_literals(text: str) -> str:
    """``text`` with every quoted SOQL literal replaced by ``'…'``.

    Salesforce's query errors quote the statement, and a match query's literals are other
    rows' keys (report values): they must not reach a log line or summary.json.

    >>> redact_literals("unexpected token: 'a@x.com' near IN ('b@y.com', 'c")
    "unexpected token: '…' near IN ('…', '…'"
    """
    return _LITERAL.sub("'…'", text)


def quote_identifier(name: str) -> str:
    """Check that ``name`` is a plain API name (``Email``, ``Account.Name``) and return it.

    SOQL has no identifier quoting, so names from configuration are validated instead of being
    pasted into a statement unchecked.
    """
    if not _IDENTIFIER.match(name):
        raise ValueError(
            f"{name!r} is not a Salesforce API name: use letters, digits and underscores, "
            "starting with a letter (for example Email or WalkMe_Segment__c)"
        )
    return name


def literal(value: object, sf_type: str = "string") -> str:
    """Return a SOQL literal for ``value`` as a field of Salesforce type ``sf_type``.

    ``None`` becomes ``null``; booleans ``true``/``false``; numbers plain decimal text (never
    exponent notation); dates ``YYYY-MM-DD``; datetimes ISO 8601 in UTC with ``Z``; everything
    else (string, email, id, reference, picklist, ...) a quoted string.
    """
    sf_type = sf_type.lower()
    if value is None:
        return "null"
    if sf_type in _BOOLEAN_TYPES:
        return _boolean_literal(value)
    if sf_type in _NUMERIC_TYPES:
        return _number_literal(value)
    if sf_type == "date":
        return _date_literal(value)
    if sf_type == "datetime":
        return _datetime_literal(value)
    return quote(str(value))


def _boolean_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().lower()
    if text in {"true", "false"}:
        return text
    raise ValueError(f"{value!r} is not a boolean: use true or false")


def _number_literal(value: object) -> str:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, not a number")
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        number = decimal.Decimal(int(value))
    return format(number, "f")


def _date_literal(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return dt.date.fromisoformat(text[:10]).isoformat()


def _datetime_literal(value: object) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{value!r} is not a datetime")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond // 1000:03d}Z"


def in_clause(field: str, values: Iterable[str]) -> str:
    """Return ``Field IN ('a','b',...)`` for string ``values`` (at least one)."""
    quoted = [quote(v) for v in values]
    if not quoted:
        raise ValueError("in_clause() needs at least one value")
    return f"{quote_identifier(field)} IN ({','.join(quoted)})"


def _encoded_len(text: str) -> int:
    return len(url_quote(text, safe=""))


def in_clause_batches(
    field: str,
    values: Iterable[str],
    *,
    max_chars: int = DEFAULT_IN_CLAUSE_MAX_CHARS,
    max_values: int = DEFAULT_IN_CLAUSE_MAX_VALUES,
) -> Iterator[list[str]]:
    """Split ``values`` into lists whose ``in_clause(field, batch)`` fits the budgets.

    Each yielded list keeps the input order and holds at most ``max_values`` values; the
    URL-encoded text of ``in_clause(field, batch)`` is at most ``max_chars`` characters. Values
    are not de-duplicated (that is the caller's business). A single value whose literal alone
    exceeds the budget, or exceeds Salesforce's 4,000-character literal limit, raises
    ``ValueError`` rather than producing a statement Salesforce would reject.
    """
    if max_values < 1:
        raise ValueError("max_values must be at least 1")
    prefix = _encoded_len(f"{quote_identifier(field)} IN ()")
    separator = _encoded_len(",")
    batch: list[str] = []
    size = prefix
    for value in values:
        if len(value) > MAX_LITERAL_CHARS:
            raise ValueError(
                f"a match key is {len(value)} characters long; Salesforce compares at most "
                f"{MAX_LITERAL_CHARS} characters in a WHERE clause: drop or shorten that key"
            )
        cost = _encoded_len(quote(value))
        if prefix + cost > max_chars:
            raise ValueError(
                f"a match key needs {cost} URL-encoded characters, more than the IN-clause "
                f"budget of {max_chars}: raise max_chars or drop that key"
            )
        extra = cost + (separator if batch else 0)
        if batch and (len(batch) >= max_values or size + extra > max_chars):
            yield batch
            batch, size, extra = [], prefix, cost
        batch.append(value)
        size += extra
    if batch:
        yield batch
