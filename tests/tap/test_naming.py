"""The header → property name rule of docs/architecture.md."""

from __future__ import annotations

import pytest
from tap_walkme_insights.naming import normalize_header, property_names


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("End User ID", "end_user_id"),
        ("Onboarding Progress (%)", "onboarding_progress_pct"),
        ("Question Date & Time (UTC)", "question_date_and_time_utc"),
        ("# of Survey Plays", "number_of_survey_plays"),
        ("Progress%", "progress_pct"),
        ("Average session duration (min)", "average_session_duration_min"),
        ("  Total   sessions  ", "total_sessions"),
        ("UserName", "username"),
        ("30 day active", "_30_day_active"),
        ("Région", "r_gion"),
        ("Date (UTC)", "date_utc"),
    ],
)
def test_normalize_header(header: str, expected: str) -> None:
    assert normalize_header(header) == expected


def test_empty_or_symbol_only_header_gets_position_name() -> None:
    assert property_names(["Email", "", "()", "日本"]) == [
        "email",
        "column_2",
        "column_3",
        "column_4",
    ]


def test_collisions_get_numbered_suffixes_in_header_order() -> None:
    headers = ["User ID", "user-id", "USER ID", "user_id_2"]
    assert property_names(headers) == ["user_id", "user_id_2", "user_id_3", "user_id_2_2"]


def test_names_are_stable() -> None:
    headers = ["End User ID", "Answer", "Answer Freetext"]
    assert property_names(headers) == property_names(list(headers))
