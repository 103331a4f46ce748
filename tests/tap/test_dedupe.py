"""Key comparison and duplicate-key policies."""

from __future__ import annotations

import pytest
from tap_walkme_insights.dedupe import DuplicateKeyError, KeyIndex, normalize_key


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
