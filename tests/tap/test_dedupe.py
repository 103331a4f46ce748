"""Key comparison and duplicate-key policies."""

from __future__ import annotations

import tracemalloc

import pytest
from tap_walkme_insights.dedupe import DuplicateKeyError, KeyIndex, key_fingerprint, normalize_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Ann@Example.COM ", "ann@example.com"),
        ("Zoë@Example.com", "zoë@example.com"),
        ("STRASSE@x.de", "strasse@x.de"),
        ("User-42", "User-42"),  # non-e-mail keys compare exactly
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_key(raw: str | None, expected: str | None) -> None:
    assert normalize_key(raw) == expected


def build(policy: str, keys: list[str]) -> KeyIndex:
    index = KeyIndex(policy=policy)
    for row, key in enumerate(keys, start=1):
        index.add(key, row)
    index.finish()
    return index


def test_last_row_wins_by_default() -> None:
    index = build("last", ["a@x.com", "b@x.com", "A@X.COM ", "", "a@x.com"])
    assert index.is_winner("a@x.com", 5)
    assert not index.is_winner("a@x.com", 1)
    assert not index.is_winner("A@X.COM ", 3)
    assert index.is_winner("b@x.com", 2)
    assert (index.duplicate_rows, index.duplicated_keys, index.empty_keys) == (2, 1, 1)
    assert index.empty_key_rows == [4]


def test_first_row_wins() -> None:
    index = build("first", ["a@x.com", "A@x.com"])
    assert index.is_winner("a@x.com", 1)
    assert not index.is_winner("A@x.com", 2)


def test_fail_policy_names_rows_not_keys() -> None:
    with pytest.raises(DuplicateKeyError) as raised:
        build("fail", ["a@x.com", "b@x.com", "A@x.com"])
    message = str(raised.value)
    assert "rows 1 and 3" in message
    assert "a@x.com" not in message.lower()


def test_non_email_keys_are_case_sensitive() -> None:
    index = build("last", ["User-1", "user-1"])
    assert index.duplicate_rows == 0


def test_unknown_policy() -> None:
    with pytest.raises(ValueError, match="duplicate_keys"):
        KeyIndex(policy="merge")


def test_first_policy_with_several_repeats_and_unrepeated_keys() -> None:
    index = build("first", ["b@x.com", "a@x.com", "c@x.com", "A@x.com", "a@X.com", "d@x.com"])
    winners = [
        row
        for row, key in enumerate(
            ["b@x.com", "a@x.com", "c@x.com", "A@x.com", "a@X.com", "d@x.com"], start=1
        )
        if index.is_winner(key, row)
    ]
    assert winners == [1, 2, 3, 6]
    assert index.is_winner("a@x.com", 2)  # asking again gives the same answer
    assert (index.duplicate_rows, index.duplicated_keys, index.distinct_keys) == (2, 1, 4)


def test_keys_not_seen_in_pass_one_are_not_winners() -> None:
    for policy in ("last", "first"):
        index = build(policy, ["a@x.com"])
        assert not index.is_winner("z@x.com", 1)
        assert not index.is_winner("", 1)


def test_fingerprints_follow_key_comparison() -> None:
    assert key_fingerprint(" Ann@Example.COM ") == key_fingerprint("ann@example.com")
    assert key_fingerprint("User-1") != key_fingerprint("user-1")
    assert key_fingerprint("   ") is None
    assert key_fingerprint("a@x.com") != key_fingerprint("b@x.com")
    assert 0 <= key_fingerprint("x@y.z") < 2**128


def test_index_memory_per_distinct_key_is_bounded() -> None:
    """The index keeps a fingerprint per key, not the key text nor its row number."""
    keys = [f"someone.with.a.long.address{i}@globex-traders.example" for i in range(50_000)]
    tracemalloc.start()
    try:
        index = build("last", keys)
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert index.distinct_keys == 50_000
    assert used / 50_000 < 90, f"{used / 50_000:.0f} bytes per key"
