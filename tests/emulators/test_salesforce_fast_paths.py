"""The emulator's fast paths give exactly what the plain code gives.

Seeds and Bulk jobs use ``validation.converter`` instead of ``coerce`` and ``ids.make_ids``
instead of ``make_id``; the write path uses ``value_checker`` and ``rounder`` instead of
``check_value`` and ``round_number``; these properties pin them to the originals on awkward
inputs.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from salesforce_emulator import ids
from salesforce_emulator.bulk_job import DELIMITERS
from salesforce_emulator.bulk_query import _cell, _column_cells
from salesforce_emulator.csv_out import quote_all
from salesforce_emulator.validation import (
    TypeMismatch,
    check_value,
    coerce,
    converter,
    round_number,
    rounder,
    value_checker,
)

TYPES = [
    "string",
    "email",
    "textarea",
    "picklist",
    "reference",
    "boolean",
    "int",
    "long",
    "double",
    "currency",
    "percent",
    "date",
    "datetime",
    "time",
]

datetime_like = st.builds(
    lambda y, mo, d, h, mi, s, frac, sep, tz: (
        f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{frac}{tz}"
    ),
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["", ".", ".5", ".123", ".000", ".123456789", ".1234567890"]),
    st.sampled_from(["T", " ", "t"]),
    st.sampled_from(["", "Z", "+0000", "+00:00", "-00:00", "-0000", "+02:00", " Z", "z"]),
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(
        ["true", "FALSE", " yes", "no", "1", "0", "1.5", " 2 ", "nan", "inf", "1e400", "#N/A"]
    ),
    datetime_like,
    st.builds(
        lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
    ),
    st.lists(st.integers(), max_size=2),
)


def outcome(function: Any, value: Any) -> tuple[Any, ...]:
    try:
        result = function(value)
    except TypeMismatch as exc:
        return ("mismatch", exc.field_name, exc.sf_type, repr(exc.value))
    except (OverflowError, ValueError) as exc:
        return ("error", type(exc).__name__)
    return ("ok", type(result).__name__, repr(result))


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(TYPES), values)
@example("datetime", "0001-01-01T00:00:00")  # years below 1000 keep four digits
def test_converter_is_coerce(sf_type: str, value: Any) -> None:
    fdesc = {"name": "Field__c", "type": sf_type}
    assert outcome(converter(fdesc), value) == outcome(lambda v: coerce(fdesc, v), value)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["003", "00Q", "a0B", "005"]),
    st.one_of(st.integers(1, 10_000), st.integers(1, 62**10 - 5_000)),
    st.integers(0, 4_000),
)
def test_make_ids_is_make_id_in_a_row(prefix: str, start: int, count: int) -> None:
    assert ids.make_ids(prefix, start, count) == [
        ids.make_id(prefix, n) for n in range(start, start + count)
    ]


PICKLIST = [
    {"active": True, "value": "Low"},
    {"active": True, "value": "High"},
    {"active": False, "value": "Old"},
    {"active": True, "value": ""},
]
field_descriptions = st.fixed_dictionaries(
    {"name": st.just("Field__c"), "label": st.just("Field"), "type": st.sampled_from(TYPES)},
    optional={
        "nillable": st.booleans(),
        "length": st.sampled_from([0, 1, 3, 80]),
        "restrictedPicklist": st.booleans(),
        "picklistValues": st.just(PICKLIST),
        "precision": st.sampled_from([0, 2, 5, 18]),
        "scale": st.sampled_from([0, 2, 4, 6]),
        "digits": st.sampled_from([0, 3, 9]),
    },
).map(lambda f: {**f, "type": "multipicklist"} if f.get("length") == 1 else f)
stored_values = st.one_of(
    values,
    st.sampled_from(["Low", "High", "Old", "Low;High", "Low;Old", "", "abcd", "a@b.co", "x@"]),
    st.floats(-1e6, 1e6),
    st.integers(-(10**10), 10**10),
)


@settings(max_examples=1500, deadline=None)
@given(field_descriptions, stored_values)
@example({"name": "F", "label": "F", "type": "percent", "precision": 5, "scale": 2}, 999.99)
@example({"name": "F", "label": "F", "type": "percent", "precision": 5, "scale": 2}, 1000.0)
@example({"name": "F", "label": "F", "type": "double"}, float("nan"))
@example({"name": "F", "label": "F", "type": "int", "digits": 3}, 999)
@example({"name": "F", "label": "F", "type": "int", "digits": 3}, True)
def test_value_checker_is_check_value(fdesc: dict[str, Any], value: Any) -> None:
    assert value_checker(fdesc)(value) == check_value(fdesc, value)


@settings(max_examples=600, deadline=None)
@given(field_descriptions, stored_values)
def test_rounder_is_round_number(fdesc: dict[str, Any], value: Any) -> None:
    expected = round_number(fdesc, value)
    rounded = rounder(fdesc)
    got = value if rounded is None else rounded(value)
    assert (type(got), repr(got)) == (type(expected), repr(expected))


csv_cells = st.text(
    alphabet=st.sampled_from(["a", "é", '"', ",", "\t", "|", "\r", "\n", " ", "\0", "x"]),
    max_size=6,
)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.lists(csv_cells, max_size=5), max_size=6),
    st.sampled_from(list(DELIMITERS.values())),
    st.sampled_from(["\n", "\r\n"]),
)
def test_quote_all_is_csv_writer(rows: list[list[str]], delimiter: str, line_end: str) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator=line_end).writerows(
        rows
    )
    assert quote_all(rows, delimiter, line_end) == out.getvalue()


stored_cells = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.sampled_from([0, 0.0, -0.0, 1, 1.0, 10**20, 1e20, 2**53 + 1, float(2**53)]),
    st.text(max_size=4),
)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(TYPES), st.lists(stored_cells, max_size=12))
def test_column_cells_are_cells(sf_type: str, column: list[Any]) -> None:
    assert list(_column_cells(column, sf_type)) == [_cell(v, sf_type) for v in column]
