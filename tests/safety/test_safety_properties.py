"""Property-based tests (hypothesis): SOQL literal escaping, key normalisation, type coercion.

- **Escaping**: any string, quoted by ``target_salesforce_update.soql.quote``, parses back (by the
  emulator's SOQL parser, an independent implementation of Salesforce's grammar) to exactly that
  string in one comparison, and — against the running emulator — matches exactly the records
  whose key equals it (case-insensitively, as SOQL compares) and nothing else.
- **Key normalisation**: the tap's header → property rule gives unique, valid, stable names; the
  target's match keys ignore surrounding blanks and case exactly as SOQL does, and its 15 → 18
  character Id conversion agrees with the emulator's.
- **Type coercion**: coerced values are canonical (coercing again, or reading back the form
  Salesforce stores, gives the same value), numbers respect scale and precision, datetimes keep
  their instant.
"""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from salesforce_emulator import ids as emulator_ids
from salesforce_emulator import soql as emulator_soql
from tap_walkme_insights.naming import normalize_header, property_names
from target_salesforce_update.coercion import CoercionError, FieldSpec, coerce, normalize
from target_salesforce_update.matching import id18, match_key
from target_salesforce_update.soql import in_clause, quote

#: Any text a report cell can hold (lone surrogates cannot travel as UTF-8 and are excluded).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
NASTY = st.text(alphabet="'\"\\%_ \n\r\t\b\f\x00\x7f=()!ORor", max_size=20)
PURE = settings(max_examples=300, deadline=None)


# ---------------------------------------------------------------------------- escaping


def _where(text: str) -> Any:
    return emulator_soql.parse(f"SELECT Id FROM Contact WHERE Email = {text}").where


@PURE
@given(st.one_of(TEXT, NASTY))
@example("x' OR Email != '")
@example("\\' OR Email != \\'")
@example("\\")
def test_quote_parses_back_to_exactly_the_string_in_one_comparison(value: str) -> None:
    where = _where(quote(value))
    assert isinstance(where, emulator_soql.Comparison)
    assert (where.field, where.op) == ("Email", "=")
    assert where.value.value == value


@PURE
@given(st.lists(st.one_of(TEXT, NASTY), min_size=1, max_size=6))
def test_in_clause_parses_back_to_exactly_the_strings(values: list[str]) -> None:
    where = emulator_soql.parse(f"SELECT Id FROM Contact WHERE {in_clause('Email', values)}").where
    assert isinstance(where, emulator_soql.Comparison)
    assert where.op.upper() == "IN"
    assert [literal.value for literal in where.value] == values


KEY_OBJECT = {
    "objects": [
        {
            "name": "Safety_Key__c",
            "label": "Safety key",
            "fields": [{"name": "Key__c", "type": "string", "length": 255}],
        }
    ]
}
DECOYS = ["a", "A", "%", "_", "\\", "'", "' OR Key__c != '", "x", "ab", " a", "a ", "\\'"]


@pytest.fixture(scope="module")
def key_org(sf_module: Any) -> Any:
    """The module's emulator with a custom object holding one text key per record, plus
    decoys that a broken escape would match."""
    sf_module.reset()
    sf_module.seed(KEY_OBJECT)
    sf_module.seed({"records": {"Safety_Key__c": [{"Key__c": d} for d in DECOYS]}})
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sf_module.access_token()}"
    yield sf_module, session
    session.close()
    assert sf_module.stats()["records_created"] == 0
    sf_module.reset()


def _query_keys(sf: Any, session: requests.Session, soql_text: str) -> list[str]:
    response = session.get(f"{sf.api_base}/query", params={"q": soql_text}, timeout=15)
    assert response.status_code == 200, response.text
    return [r["Key__c"] for r in response.json()["records"]]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.one_of(TEXT, NASTY).filter(lambda s: s.strip() != ""))
@example("' OR Key__c != '")
@example("%")
@example("\\")
def test_quoted_key_matches_exactly_its_records_in_the_emulator(key_org: Any, key: str) -> None:
    sf, session = key_org
    assume("\x00" not in key)  # not storable in a Salesforce text field
    sf.seed({"records": {"Safety_Key__c": [{"Key__c": key}]}})
    found = _query_keys(
        sf, session, f"SELECT Key__c FROM Safety_Key__c WHERE Key__c = {quote(key)}"
    )
    assert key in found
    assert all(k.casefold() == key.casefold() for k in found), found


# ---------------------------------------------------------------------------- key normalisation


HEADER = st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from("%#&()_- "), max_size=30
)


@PURE
@given(st.lists(HEADER, min_size=1, max_size=30))
def test_property_names_are_unique_valid_and_stable(headers: list[str]) -> None:
    names = property_names(headers)
    assert len(names) == len(headers)
    assert len(set(names)) == len(names)
    for name in names:
        assert name and set(name) <= set(string.ascii_lowercase + string.digits + "_")
        assert not name[0].isdigit()
    assert property_names(list(headers)) == names  # deterministic
    assert property_names(names) == names  # already-normalised headers keep their names


@PURE
@given(HEADER, st.integers(min_value=1, max_value=5000))
def test_normalize_header_is_idempotent(header: str, position: int) -> None:
    once = normalize_header(header, position)
    assert normalize_header(once, position) == once


EMAIL_SPEC = FieldSpec(name="Email", type="email", length=80)
ID_SPEC = FieldSpec(name="Id", type="id", length=18)


@PURE
@given(TEXT, st.text(" \t", max_size=3), st.text(" \t", max_size=3))
def test_match_key_ignores_surrounding_blanks_and_case_like_soql(
    key: str, left: str, right: str
) -> None:
    assume(key.strip())
    assert match_key(left + key + right, EMAIL_SPEC) == match_key(key, EMAIL_SPEC)
    # SOQL (the emulator's SFCI collation) compares text by Unicode case folding
    assert match_key(key.upper(), EMAIL_SPEC) == match_key(key.upper().casefold(), EMAIL_SPEC)


@PURE
@given(st.text(string.ascii_letters + string.digits, min_size=15, max_size=15))
def test_id18_agrees_with_salesforce_checksum(id15: str) -> None:
    full = id18(id15)
    assert full == emulator_ids.to_18(id15)
    assert id18(full) == full
    assert match_key(id15, ID_SPEC) == match_key(full, ID_SPEC)


# ---------------------------------------------------------------------------- type coercion


def _salesforce_datetime(text: str) -> str:
    """The form Salesforce returns a stored datetime in (``…000+0000``)."""
    return text.replace("Z", "+0000")


DOUBLE = FieldSpec(name="Avg__c", type="double", precision=8, scale=2)
PERCENT = FieldSpec(name="Pct__c", type="percent", precision=5, scale=2)
DATETIME = FieldSpec(name="Seen__c", type="datetime")
DATE = FieldSpec(name="Day__c", type="date")
BOOLEAN = FieldSpec(name="Done__c", type="boolean")
SHORT_TEXT = FieldSpec(name="Segment__c", type="string", length=20)


@PURE
@given(st.decimals(min_value=-999_999, max_value=999_999, allow_nan=False, places=4))
def test_numbers_round_to_scale_and_are_canonical(number: Decimal) -> None:
    value = coerce(str(number), DOUBLE)
    assert (
        value == float(number.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))
        or abs(value - float(number)) <= 0.005 + 1e-9
    )
    assert coerce(value, DOUBLE) == value
    assert normalize(value, DOUBLE) == value


@PURE
@given(st.decimals(min_value=1_000_000, max_value=10**12, allow_nan=False, places=0))
def test_numbers_over_the_precision_are_refused(number: Decimal) -> None:
    with pytest.raises(CoercionError):
        coerce(str(number), DOUBLE)


@PURE
@given(st.decimals(min_value=0, max_value=999, allow_nan=False, places=2))
def test_percent_accepts_the_percent_sign(number: Decimal) -> None:
    assert coerce(f"{number}%", PERCENT) == coerce(str(number), PERCENT)


@PURE
@given(
    st.datetimes(
        min_value=dt.datetime(1970, 1, 2),
        max_value=dt.datetime(2999, 12, 30),
        timezones=st.timezones(),
    )
)
def test_datetimes_keep_their_instant_and_read_back_equal(moment: dt.datetime) -> None:
    assume(moment.utcoffset() is not None)
    value = coerce(moment.isoformat(), DATETIME)
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert abs(parsed - moment) < dt.timedelta(milliseconds=1)
    assert coerce(value, DATETIME) == value
    assert normalize(_salesforce_datetime(value), DATETIME) == value  # no spurious update


@PURE
@given(st.dates(min_value=dt.date(1700, 1, 1), max_value=dt.date(4000, 12, 31)))
def test_dates_are_canonical(day: dt.date) -> None:
    assert coerce(day.isoformat(), DATE) == day.isoformat()
    assert coerce(coerce(day.isoformat(), DATE), DATE) == day.isoformat()


@PURE
@given(
    st.sampled_from(["true", "false", "yes", "no", "1", "0"]),
    st.lists(st.booleans(), min_size=3, max_size=5),
)
def test_booleans_accept_any_case(word: str, upper: list[bool]) -> None:
    mixed = "".join(c.upper() if u else c for c, u in zip(word, upper * 2, strict=False))
    assert coerce(mixed, BOOLEAN) is (word in {"true", "yes", "1"})


@PURE
@given(TEXT)
def test_text_is_kept_exactly_or_refused_when_too_long(value: str) -> None:
    """Exactly as Salesforce stores it: trimmed of spaces and control characters at both ends
    (what lands, so what is sent and compared), everything between kept."""
    assume(value.strip())
    stored = value.strip("".join(chr(code) for code in range(0x21)))
    if len(stored) <= SHORT_TEXT.length:
        assert coerce(value, SHORT_TEXT) == (stored or None)  # blank: the null policy
    else:
        with pytest.raises(CoercionError):
            coerce(value, SHORT_TEXT)
