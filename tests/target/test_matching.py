"""Keys, match queries, resolution and change detection (pure)."""

from __future__ import annotations

import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from target_salesforce_update.coercion import CoercionError, FieldSpec
from target_salesforce_update.integration import resolve_integration
from target_salesforce_update.matching import (
    changed_fields,
    encoded_length,
    folded_key,
    id18,
    index_records,
    key_text,
    match_key,
    match_queries,
    merge_values,
    prepare_row,
    text_key,
)
from target_salesforce_update.preflight import check_integration


@pytest.fixture
def plan(contact_describe):
    def build(**overrides):
        config = {
            "sobject": "Contact",
            "match_property": "user",
            "field_mapping": {
                "progress": "WalkMe_Onboarding_Progress__c",
                "done": "WalkMe_Onboarding_Completed__c",
                "seen": "WalkMe_Last_Seen__c",
            },
        }
        config.update(overrides)
        return check_integration(resolve_integration(config, "s"), contact_describe, None)

    return build


def test_keys_compare_case_insensitively_and_trimmed(plan):
    match = plan().match
    assert match_key("  Ann@Example.COM ", match) == match_key("ann@example.com", match)
    assert match_key("", match) is None
    assert match_key(None, match) is None


def test_id18():
    assert id18("003000000000001") == "003000000000001AAA"
    assert id18("003xx000004TmiQ") == "003xx000004TmiQAAS"
    assert id18("003xx000004TmiQAAS") == "003xx000004TmiQAAS"


def test_queries_escape_every_key_and_respect_limits(plan):
    keys = ["o'brien@example.com", "back\\slash@example.com", "x' OR Email != '", 'q"@x.io']
    statements = list(match_queries(plan(), keys))
    assert len(statements) == 1
    statement = statements[0]
    assert statement.startswith(
        "SELECT Id, Email, WalkMe_Onboarding_Progress__c, WalkMe_Onboarding_Completed__c, "
        "WalkMe_Last_Seen__c FROM Contact WHERE Email IN ("
    )
    assert "'o\\'brien@example.com'" in statement
    assert "'back\\\\slash@example.com'" in statement
    assert "'x\\' OR Email != \\''" in statement
    assert "'q\\\"@x.io'" in statement
    many = [f"user{i:05d}@example.com" for i in range(2000)]
    chunks = list(match_queries(plan(), many, max_keys=500, max_encoded_chars=11_000))
    assert all(len(urllib.parse.quote(s, safe="")) <= 11_000 for s in chunks)
    for text in ("a b", "é@x", "x',()"):
        assert encoded_length(text) == len(urllib.parse.quote(text, safe=""))
    assert sum(s.count("@example.com") for s in chunks) == 2000
    assert len(chunks) >= 4
    assert len(list(match_queries(plan(query_batch_size=100), many))) == 20


def test_lead_query_excludes_converted(plan, contact_describe):
    contact_describe["name"] = "Lead"
    contact_describe["fields"].append({"name": "IsConverted", "type": "boolean"})
    statement = next(match_queries(plan(sobject="Lead"), ["a@b.c"]))
    assert statement.endswith("IN ('a@b.c') AND IsConverted = false")


def test_prepare_row_rejects_without_failing_others(plan):
    p = plan()
    good = prepare_row(1, {"user": "A@x.io", "progress": "50", "done": "yes", "seen": ""}, p)
    assert good.error == "" and good.key == "a@x.io"
    assert good.values == {
        "WalkMe_Onboarding_Progress__c": 50.0,
        "WalkMe_Onboarding_Completed__c": True,
    }
    bad = prepare_row(2, {"user": "b@x.io", "progress": "lots"}, p)
    assert "progress" in bad.error and "not a number" in bad.error
    empty = prepare_row(3, {"user": "  ", "progress": "1"}, p)
    assert empty.key is None and "empty key" in empty.error
    garbled = prepare_row(4, {"user": "caf\udcff@x.io", "progress": "1"}, p)
    assert garbled.key is None and "invalid key" in garbled.error and "UTF-8" in garbled.error


def test_null_policy_clear(plan):
    row = prepare_row(
        1, {"user": "a@x.io", "progress": None, "done": "", "seen": None}, plan(null_values="clear")
    )
    assert row.values == {
        "WalkMe_Onboarding_Progress__c": None,
        "WalkMe_Onboarding_Completed__c": False,
        "WalkMe_Last_Seen__c": None,
    }


def test_resolution_and_change_detection(plan):
    p = plan()
    records = [
        {
            "Id": "1",
            "Email": "Ann@Example.com",
            "WalkMe_Onboarding_Progress__c": 50.0,
            "WalkMe_Onboarding_Completed__c": False,
            "WalkMe_Last_Seen__c": "2024-01-01T00:00:00.000+0000",
        },
        {
            "Id": "2",
            "Email": "ann@example.com",
            "WalkMe_Onboarding_Progress__c": 10.0,
            "WalkMe_Onboarding_Completed__c": False,
            "WalkMe_Last_Seen__c": None,
        },
        {
            "Id": "3",
            "Email": "bob@example.com",
            "WalkMe_Onboarding_Progress__c": None,
            "WalkMe_Onboarding_Completed__c": False,
            "WalkMe_Last_Seen__c": None,
        },
    ]
    index = index_records(records, p)
    assert [r["Id"] for r in index["ann@example.com"]] == ["1", "2"]
    rows = [
        prepare_row(
            1, {"user": "ANN@example.com", "progress": 50, "seen": "2024-01-01T00:00:00Z"}, p
        ),
        prepare_row(2, {"user": "ann@example.com", "done": True}, p),
    ]
    desired = merge_values(rows)
    assert changed_fields(desired, index["ann@example.com"][0], p) == {
        "WalkMe_Onboarding_Completed__c": True
    }
    assert changed_fields(desired, index["ann@example.com"][1], p) == {
        "WalkMe_Onboarding_Progress__c": 50.0,
        "WalkMe_Onboarding_Completed__c": True,
        "WalkMe_Last_Seen__c": "2024-01-01T00:00:00.000Z",
    }
    same = prepare_row(3, {"user": "bob@example.com", "done": False}, p)
    assert changed_fields(same.values, index["bob@example.com"][0], p) == {}


_KEY_SPECS = [
    FieldSpec(name=name, type=type_)
    for name, type_ in (
        ("Email", "email"),
        ("Ext__c", "string"),
        ("Id", "id"),
        ("AccountId", "reference"),
        ("Num__c", "double"),
        ("Count__c", "int"),
    )
]


@settings(max_examples=300, deadline=None)
@example("1e999999999", _KEY_SPECS[4])
@example("003' OR Name != '", _KEY_SPECS[2])
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=20),
        st.from_regex(r"\A[0-9A-Za-z]{15}([0-9A-Za-z]{3})?\Z"),
        st.from_regex(r"\A-?\d{0,3}(\.\d{0,2})?[eE][-+]?\d{1,10}\Z"),
    ),
    st.sampled_from(_KEY_SPECS),
)
def test_a_key_is_a_key_or_a_rejected_row(value, spec):
    """Any value in the key column gives a key, None (empty) or CoercionError — which the sink
    turns into that row's rejection; nothing else may escape and fail the batch."""
    try:
        key = match_key(value, spec, "003")
    except CoercionError:
        return
    if key is not None and spec.type in {"id", "reference"}:
        assert len(key) == 18 and key == id18(key[:15])


@settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(" Ünïcode@X.io\t")
@example("caf\udcff@x.io")
@example("\u3000")  # an ideographic space: blank once trimmed
@example("ß@x.io")
@given(st.one_of(st.text(max_size=12), st.integers(), st.none()))
def test_the_text_key_short_path_gives_the_keys_of_key_text_and_folded_key(plan, raw):
    """prepare_row reads text keys without key_text's per-row type checks: the key, the text
    sent to Salesforce and the error are still exactly theirs."""
    p = plan()
    row = prepare_row(1, {"user": raw, "progress": "1"}, p)
    try:
        text = key_text(raw, p.match, p.key_prefix)
    except CoercionError as exc:
        assert row.key is None and row.error == f"invalid key: {exc}"
        return
    if text is None:
        assert row.key is None and row.error.startswith("empty key")
        return
    assert (row.key, row.text) == (folded_key(text, p.match), text)


@settings(max_examples=1500, deadline=None)
@example("caf\udcff@x.io", "email", False)
@example(" Straße@X.io ", "string", True)
@given(
    st.text(max_size=12),
    st.sampled_from(["email", "string", "phone", "id", "double"]),
    st.booleans(),
)
def test_text_key_is_match_key_for_text_fields(value, field_type, case_sensitive):
    """The snapshot and prepare_row read text keys with text_key: for the fields it serves it
    gives key_text and match_key, errors included; for Ids and numbers it declines."""
    field = FieldSpec(name="K__c", type=field_type, case_sensitive=case_sensitive)
    keys_of = text_key(field)
    if field_type in {"id", "double"}:
        assert keys_of is None
        return

    try:
        text = key_text(value, field)
        expected = None if text is None else (text, folded_key(text, field))
    except CoercionError as exc:
        with pytest.raises(CoercionError, match=re.escape(str(exc))):
            keys_of(value)
        return
    assert keys_of(value) == expected
