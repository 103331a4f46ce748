"""The grid's schedule column and next run time (UTC), from meltano.yml's cron interval."""

from __future__ import annotations

from datetime import datetime, timezone

from walkme_salesforce.console.schedule import describe_interval, next_run


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=timezone.utc)


def test_daily_at_nine_utc() -> None:
    assert describe_interval("0 9 * * *") == "daily 09:00 UTC"
    assert next_run("0 9 * * *", at(8, 59)) == at(9)
    assert next_run("0 9 * * *", at(9)) == at(9, day=3)
    assert next_run("0 9 * * *", at(20)) == at(9, day=3)


def test_hourly_aliases_and_others() -> None:
    assert next_run("@hourly", at(10, 30)) == at(11)
    assert next_run("@daily", at(10)) == at(0, day=3)
    assert describe_interval("15 * * * *") == "hourly at :15"
    assert next_run("0 9 * * 1-5", at(8)) is None
    assert describe_interval("0 9 * * 1-5") == "cron 0 9 * * 1-5 (UTC)"
    assert describe_interval(None) == "not scheduled"
    assert next_run(None) is None
