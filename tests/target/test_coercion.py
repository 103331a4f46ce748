"""Coercion of source values to Salesforce field types, and the comparison used for diffs."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from target_salesforce_update.coercion import (
    SUPPORTED_TYPES,
    CoercionError,
    FieldSpec,
    coerce,
    coercer,
    values_equal,
)


def spec(type_: str, **kw) -> FieldSpec:
    return FieldSpec(name=kw.pop("name", "F__c"), type=type_, **kw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("yes", True), ("FALSE", False), (0, False), ("1", True), (" t ", True)],
)
def test_boolean(value, expected):
    assert coerce(value, spec("boolean")) is expected


@pytest.mark.parametrize("value", ["maybe", 2, "2.0"])
def test_boolean_rejects(value):
    with pytest.raises(CoercionError, match="not a boolean"):
        coerce(value, spec("boolean"))


def test_numbers_round_to_scale_and_check_precision():
    percent = spec("percent", precision=5, scale=2)
    assert coerce("45.555", percent) == 45.56
    assert coerce("45.5%", percent) == 45.5
    assert coerce(100, percent) == 100.0
    with pytest.raises(CoercionError, match="too large"):
        coerce(1000, percent)
    assert coerce("12.4", spec("double", precision=18, scale=0)) == 12
    assert isinstance(coerce("12.4", spec("double", precision=18, scale=0)), int)
    with pytest.raises(CoercionError, match="not a number"):
        coerce("twelve", spec("double", precision=18, scale=0))
    with pytest.raises(CoercionError, match="boolean"):
        coerce(True, spec("currency", precision=18, scale=2))
    with pytest.raises(CoercionError, match="finite"):
        coerce(float("nan"), spec("double", precision=18, scale=2))
    with pytest.raises(CoercionError, match="not a number"):
        coerce("NaN", spec("double", precision=18, scale=2))


def test_int():
    assert coerce("42", spec("int", digits=9)) == 42
    assert coerce(42.0, spec("int", digits=9)) == 42
    with pytest.raises(CoercionError, match="whole"):
        coerce("4.2", spec("int", digits=9))
    with pytest.raises(CoercionError, match="digits"):
        coerce(10**10, spec("int", digits=9))


def test_dates_and_datetimes_in_utc():
    date = spec("date")
    assert coerce("2024-03-01", date) == "2024-03-01"
    assert coerce("2024-03-01T23:30:00Z", date) == "2024-03-01"
    assert coerce(dt.date(2024, 3, 1), date) == "2024-03-01"
    with pytest.raises(CoercionError, match="not a date"):
        coerce("01/03/2024", date)
    with pytest.raises(CoercionError, match="not a date"):
        coerce("2024-02-30", date)
    stamp = spec("datetime")
    assert coerce("2024-03-01T10:00:00+02:00", stamp) == "2024-03-01T08:00:00.000Z"
    assert coerce("2024-03-01 10:00:00", stamp) == "2024-03-01T10:00:00.000Z"  # naive = UTC
    assert coerce("2024-03-01T10:00:00.123456Z", stamp) == "2024-03-01T10:00:00.123Z"
    aware = dt.datetime(2024, 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert coerce(aware, stamp) == "2024-03-01T15:00:00.000Z"
    with pytest.raises(CoercionError, match="ISO 8601"):
        coerce("yesterday", stamp)


def test_text_length_email_and_picklists():
    assert coerce(12, spec("string", length=5)) == "12"
    with pytest.raises(CoercionError, match="longer than"):
        coerce("abcdef", spec("string", length=5))
    with pytest.raises(CoercionError, match="e-mail"):
        coerce("not an email", spec("email", length=80))
    level = spec("picklist", restricted_picklist=True, picklist_values=("Low", "Medium", "High"))
    assert coerce("medium", level) == "Medium"
    with pytest.raises(CoercionError, match="restricted picklist"):
        coerce("Extreme", level)
    open_list = spec("picklist", picklist_values=("Low",))
    assert coerce("Other", open_list) == "Other"
    multi = spec("multipicklist", picklist_values=("A", "B"), restricted_picklist=True)
    assert coerce(["b", "a"], multi) == "A;B"


def test_text_with_invalid_utf8_is_rejected_not_sent():
    # Singer input is decoded with surrogateescape: byte 0xFF arrives as a lone surrogate.
    with pytest.raises(CoercionError, match="not valid UTF-8 \\(at character 4\\)"):
        coerce("caf\udcff", spec("string", length=80))
    assert coerce("café", spec("string", length=80)) == "café"


def test_empty_values_are_none():
    for value in (None, "", "   "):
        assert coerce(value, spec("double", precision=5, scale=2)) is None


def test_values_equal_normalises_both_sides():
    stamp = spec("datetime")
    assert values_equal("2024-03-01T08:00:00.000+0000", "2024-03-01T10:00:00+02:00", stamp)
    assert not values_equal("2024-03-01T08:00:00.000+0000", "2024-03-01T10:00:00Z", stamp)
    percent = spec("percent", precision=5, scale=2)
    assert values_equal(45.56, "45.555", percent)
    assert values_equal(None, "", percent)
    assert not values_equal(None, "1", percent)
    assert values_equal(True, "yes", spec("boolean"))
    assert not values_equal("Medium", "medium ", spec("string", length=10))
    multi = spec("multipicklist")
    assert values_equal("A;B", "B;A", multi)


# Any value a report or a Singer record can hold, for every field type: coerce() returns a
# value or raises CoercionError (a per-row rejection) — never another exception, never a hang.
_ANY_SPEC = st.builds(
    FieldSpec,
    name=st.just("F__c"),
    type=st.sampled_from(sorted(SUPPORTED_TYPES)),
    length=st.sampled_from([0, 3, 80]),
    precision=st.sampled_from([0, 5, 18]),
    scale=st.sampled_from([0, 2]),
    picklist_values=st.sampled_from([(), ("Low", "High")]),
    restricted_picklist=st.booleans(),
)
_NUMBER_TEXT = st.from_regex(r"\A[-+]?\d{0,3}(\.\d{0,3})?([eE][-+]?\d{1,10})?%?\Z")
_STAMP_TEXT = st.from_regex(
    r"\A\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?\Z"
)
_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    _NUMBER_TEXT,
    _STAMP_TEXT,
    st.lists(st.text(max_size=5), max_size=3),
)


@settings(max_examples=400, deadline=None)
@example("0001-01-01T00:00:00+01:00", FieldSpec(name="F__c", type="datetime"))
@example("9999-12-31T23:59:59-01:00", FieldSpec(name="F__c", type="date"))
@example("1e999999999", FieldSpec(name="F__c", type="int"))
@example("1e999999999", FieldSpec(name="F__c", type="double", scale=2))
@given(_ANY_VALUE, _ANY_SPEC)
def test_coerce_never_raises_anything_but_a_coercion_error(value, field_spec):
    with contextlib.suppress(CoercionError):
        coerce(value, field_spec)


def test_text_is_trimmed_like_salesforce_stores_it():
    assert coerce("  VP \t", spec("string", length=2)) == "VP"
    assert values_equal("VP", " VP ", spec("string"))


def test_ids_are_validated_and_canonical():
    ref = spec("reference", name="OwnerId")
    assert coerce("005xx000001Sv6e", ref) == "005xx000001Sv6eAAC"
    assert coerce("005XX000001SV6EAAC", ref) == "005xx000001Sv6eAAC"  # case from the suffix
    for bad in ("S", "005xx000001Sv6", "005xx000001Sv6e!!!", "005xx000001Sv6eAA9"):
        with pytest.raises(CoercionError, match="is not a Salesforce Id for OwnerId"):
            coerce(bad, ref)


def _outcome(convert, value):
    try:
        result = convert(value)
    except CoercionError as exc:
        return ("error", str(exc))
    return ("value", type(result), result)


@settings(max_examples=300)
@given(st.lists(_ANY_VALUE, min_size=1, max_size=8), _ANY_SPEC)
def test_a_field_coercer_gives_what_coerce_gives_even_for_repeated_values(values, field_spec):
    """The per-field coercer caches texts and numbers: a repeated value (or 1 after True, 1.0
    after 1) still gets exactly what :func:`coerce` gives it, errors included."""
    convert = coercer(field_spec)
    for value in [*values, *values, True, 1, 1.0, False, 0, 0.0]:
        assert _outcome(convert, value) == _outcome(lambda v: coerce(v, field_spec), value)


@settings(max_examples=3000, deadline=None)
@given(
    value=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(min_value=-1e6, max_value=1e6).map(lambda f: round(f, 2)),
        st.integers(min_value=-(10**6), max_value=10**6).map(lambda n: n / 100),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.from_regex(r"\A ?-?0*[0-9]{1,22}(\.[0-9]{0,6})? ?\Z"),
        st.sampled_from(["12.", "-0", "-0.0", "0.000", "007", ".5", "+5", "1,234", "1e3", "12%"]),
    ),
    precision=st.sampled_from([0, 3, 5, 18]),
    scale=st.sampled_from([0, 1, 2, 4]),
)
def test_a_number_coerces_as_its_decimal_form_does(value, precision, scale):
    """The fast path of decimal fields (ints, floats, plain decimal texts) agrees with the
    Decimal path, value, type and error."""
    from decimal import Decimal

    from target_salesforce_update.number_values import decimal_value

    field = spec("double", precision=precision, scale=scale)

    def outcome(given):
        try:
            return decimal_value(given, field)
        except CoercionError:
            return "refused"

    if isinstance(value, str):
        try:
            exact = Decimal(value.strip().replace(",", ""))  # what _to_decimal reads
        except ArithmeticError:
            exact = None
    else:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    fast = outcome(value)
    slow = "refused" if exact is None else outcome(exact)
    assert fast == slow and type(fast) is type(slow), (value, fast, slow)


@settings(max_examples=3000, deadline=None)
@given(
    year=st.integers(0, 9999),
    month=st.integers(0, 13),
    day=st.integers(0, 32),
    hour=st.integers(0, 24),
    minute=st.integers(0, 60),
    second=st.integers(0, 60),
    fraction=st.sampled_from(["", ".5", ".123", ".123456789"]),
    separator=st.sampled_from(["T", " "]),
    suffix=st.sampled_from(["Z", "+00:00", "+0000", "z"]),
)
def test_the_utc_stamp_fast_path_agrees_with_the_full_parse(
    year, month, day, hour, minute, second, fraction, separator, suffix
):
    """A UTC stamp with any field out of range is refused (or accepted) exactly as the full
    ISO 8601 parse decides, and gives the same Salesforce form."""
    from target_salesforce_update.date_values import _parse_datetime, datetime_value

    text = (
        f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}"
        f"{fraction}{suffix}"
    )
    field = spec("datetime")

    def full_parse():
        try:
            moment = _parse_datetime(text, field)
        except (CoercionError, ValueError, OverflowError):
            return "refused"
        return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"

    try:
        fast = datetime_value(text, field)
    except (CoercionError, ValueError, OverflowError):
        fast = "refused"
    assert fast == full_parse(), text


@settings(max_examples=2000, deadline=None)
@given(
    day=st.integers(27, 32),
    month=st.sampled_from([1, 2, 4, 12, 13]),
    year=st.sampled_from([0, 999, 2023, 2024, 9999]),
    fraction=st.sampled_from(["", ".5", ".123456789"]),
    suffix=st.sampled_from(["Z", "+00:00", "+0000", "+01:00", ""]),
    padding=st.sampled_from(["", " ", "\t"]),
)
def test_the_datetime_coercer_gives_what_coerce_gives(day, month, year, fraction, suffix, padding):
    """A date-time field's coercer converts UTC stamps straight away (no cache): for stamps of
    real and impossible days, other offsets and padded texts it agrees with coerce."""
    text = f"{padding}{year:04d}-{month:02d}-{day:02d}T10:20:30{fraction}{suffix}{padding}"
    field = spec("datetime")
    convert = coercer(field)
    assert _outcome(convert, text) == _outcome(lambda v: coerce(v, field), text), text
