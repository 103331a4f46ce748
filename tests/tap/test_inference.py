"""Type inference and conversion never lose or change a value."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tap_walkme_insights.inference import (
    ValueMismatch,
    column_type_of,
    convert,
    infer_types,
    json_schema_for,
)


def infer(*values: str) -> str:
    return infer_types([[v] for v in values], 1)[0]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("1", "22", "-3", ""), "integer"),
        (("1", "2.5", "1e3"), "number"),
        (("true", "FALSE", "True"), "boolean"),
        (("2026-11-01", "2026-02-28"), "date"),
        (("2026-11-01 10:00:00", "2026-11-01T10:00:00Z"), "date-time"),
        (("2026-11-01", "2026-11-01T10:00:00+02:00"), "date-time"),
        (("007", "12"), "string"),  # leading zeros are identifiers
        (("1,234", "12"), "string"),  # thousands separators
        (("0.1", "12345678901234567890.5"), "string"),  # a float cannot hold it exactly
        (("99999999999999999999",), "string"),  # beyond int64, and not exact as float
        (("yes", "no"), "string"),  # only true/false is inferred as boolean
        (("1", "0"), "integer"),
        (("N/A", "3"), "string"),
        (("", " "), "string"),  # all empty
        (("2026-13-01",), "string"),  # not a calendar date
        (("NaN", "inf"), "string"),
    ],
)
def test_inference(values: tuple[str, ...], expected: str) -> None:
    assert infer(*values) == expected


def test_inference_is_per_column() -> None:
    rows = [["a@x.com", "1", "true"], ["b@x.com", "2.5", "false"]]
    assert infer_types(rows, 3) == ["string", "number", "boolean"]


@pytest.mark.parametrize(
    ("text", "column_type", "expected"),
    [
        ("42", "integer", 42),
        (" 42 ", "integer", 42),
        ("42", "number", 42),
        ("45.50", "number", 45.5),
        ("1e3", "number", 1000.0),
        ("TRUE", "boolean", True),
        ("no", "boolean", False),
        ("2026-11-26 14:03:22", "date-time", "2026-11-26T14:03:22+00:00"),
        ("2026-11-26T14:03:22Z", "date-time", "2026-11-26T14:03:22+00:00"),
        ("2026-11-26T14:03:22.5+02:00", "date-time", "2026-11-26T14:03:22.500000+02:00"),
        ("2026-11-26", "date-time", "2026-11-26T00:00:00+00:00"),
        ("2026-11-26", "date", "2026-11-26"),
        ("  as written, with spaces ", "string", "  as written, with spaces "),
        ("", "string", None),
        ("", "integer", None),
        ("   ", "number", None),
        ("007", "string", "007"),
    ],
)
def test_convert(text: str, column_type: str, expected: object) -> None:
    assert convert(text, column_type) == expected


@pytest.mark.parametrize(
    ("text", "column_type"),
    [
        ("N/A", "integer"),
        ("1.5", "integer"),
        ("0.1000000000000000055511151231257827", "number"),
        ("maybe", "boolean"),
        ("26/11/2026", "date"),
        ("yesterday", "date-time"),
    ],
)
def test_value_that_does_not_fit_raises_without_the_value(text: str, column_type: str) -> None:
    with pytest.raises(ValueMismatch) as raised:
        convert(text, column_type)
    assert text not in str(raised.value)


def test_number_values_survive_json_round_trip_exactly() -> None:
    for text in ("0.1", "45.67", "-0.25", "123456.789", "1e-7"):
        value = convert(text, "number")
        assert repr(value) == repr(float(text))


@pytest.mark.parametrize("column_type", ["integer", "number", "boolean", "date", "date-time"])
def test_schema_round_trip(column_type: str) -> None:
    assert column_type_of(json_schema_for(column_type)) == column_type


def test_unknown_schema_is_string() -> None:
    assert column_type_of({"type": ["string", "integer", "null"]}) == "string"


def test_fast_exactness_rule_agrees_with_decimal_comparison() -> None:
    import random
    from decimal import Decimal

    rng = random.Random(7)
    for _ in range(5000):
        digits = rng.randint(1, 18)
        mantissa = str(rng.randint(10 ** (digits - 1), 10**digits - 1))
        point = rng.randint(0, digits)
        text = f"{mantissa[:point] or '0'}.{mantissa[point:] or '0'}"
        text = text.lstrip("0") if not text.startswith("0.") else text
        if text.startswith("."):
            text = "0" + text
        exact = Decimal(repr(float(text))) == Decimal(text)
        try:
            convert(text, "number")
            fits = True
        except ValueMismatch:
            fits = False
        assert fits == exact, text


def test_check_agrees_with_convert() -> None:
    from tap_walkme_insights.inference import check

    for text, column_type in [("2026-11-26T14:03:22Z", "date-time"), ("2026-11-31", "date-time")]:
        try:
            convert(text, column_type)
            converted = True
        except ValueMismatch:
            converted = False
        try:
            check(text, column_type)
            checked = True
        except ValueMismatch:
            checked = False
        assert converted == checked


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [
                    "",
                    " ",
                    "1",
                    "2.5",
                    "-3",
                    "true",
                    "False",
                    "x",
                    "2026-01-02",
                    " 7 ",
                    "2026-01-02T03:04:05Z",
                    "1e3",
                    "NaN",
                    "12%",
                ]
            ),
            min_size=3,
            max_size=3,
        ),
        max_size=40,
    )
)
def test_inference_that_skips_texts_already_judged_gives_what_judging_every_cell_gives(rows):
    """Cells repeat: a column skips texts it has judged, and text columns skip everything
    once decided; the inferred types are still those of judging every cell."""
    from tap_walkme_insights.inference import ColumnTypeInferrer, _fits

    candidates = [list(ColumnTypeInferrer._CANDIDATES) for _ in range(3)]
    seen = [False] * 3
    for row in rows:
        for index, cell in enumerate(row):
            if cell.strip():
                seen[index] = True
                candidates[index] = [n for n in candidates[index] if _fits(cell.strip(), n)]
    expected = [
        (next(iter(c), "string") if s else "string") for c, s in zip(candidates, seen, strict=True)
    ]
    assert infer_types(rows, 3) == expected
