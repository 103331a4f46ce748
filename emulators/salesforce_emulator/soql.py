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

from .soql_ast import (
    ANY,
    MAX_OFFSET,
    MAX_QUERY_LENGTH,
    MAX_WHERE_STRING_LENGTH,
    ONE,
    SFCI_FOLD,
    And,
    Comparison,
    Literal,
    Not,
    ObjectSchema,
    Or,
    OrderItem,
    Query,
    SoqlError,
    invalid_type_error,
    sfci_fold,
)
from .soql_parser import parse
from .soql_sql import canonical_fields, to_sql

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
