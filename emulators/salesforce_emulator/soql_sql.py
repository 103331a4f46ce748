"""SOQL to SQLite: a parsed :class:`Query` to one SQL statement (see soql.py)."""

from __future__ import annotations

from .soql_ast import (
    _SOAP_TYPE,
    ID_TYPES,
    NUMBER_TYPES,
    SFCI_FOLD,
    TEXT_TYPES,
    And,
    Comparison,
    Literal,
    Not,
    ObjectSchema,
    Or,
    Query,
    SoqlError,
    _error,
    sfci_fold,
)
from .soql_lexer import (
    _day_start,
)
from .soql_sql_terms import glob_pattern, id18, quote_ident


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
                canonical = id18(value) if value else ""  # type: ignore[arg-type]
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
        column = quote_ident(name)
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
            self.params.append(glob_pattern(literal.value))  # type: ignore[arg-type]
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
        table = quote_ident(self.schema.name)
        if query.is_count:
            select = "1"
        else:
            columns = self.select_columns()
            if not any(c == "Id" for c in columns) and self.schema.resolve("Id") == "Id":
                columns.append("Id")
            select = ", ".join(quote_ident(c) for c in columns)
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
                term = quote_ident(name)
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
