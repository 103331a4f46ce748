"""SOQL limits, type groups, errors and the parsed query's node types (see soql.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

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
