"""An integration's schedule from meltano.yml and its next run time (UTC)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..integrations import job_name
from ..meltano_yml import MeltanoYml

_ALIASES = {"@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


def schedule_of(document: MeltanoYml, integration: str) -> str | None:
    """The interval of the schedule that runs the integration's job, if any."""
    for schedule in document.data.get("schedules") or ():
        if isinstance(schedule, dict) and schedule.get("job") == job_name(integration):
            return str(schedule.get("interval") or "") or None
    return None


def next_run(interval: str | None, now: datetime | None = None) -> datetime | None:
    """Next time a daily (`M H * * *`) or hourly (`M * * * *`) cron fires; None for others."""
    if not interval:
        return None
    parts = _ALIASES.get(interval.strip(), interval).split()
    if len(parts) != 5 or parts[2:] != ["*", "*", "*"] or not parts[0].isdigit():
        return None
    now = (now or datetime.now(timezone.utc)).replace(second=0, microsecond=0)
    minute = int(parts[0])
    if parts[1] == "*":
        candidate = now.replace(minute=minute)
        return candidate if candidate > now else candidate + timedelta(hours=1)
    if not parts[1].isdigit():
        return None
    candidate = now.replace(hour=int(parts[1]), minute=minute)
    return candidate if candidate > now else candidate + timedelta(days=1)


def describe_interval(interval: str | None) -> str:
    """`0 9 * * *` → `daily 09:00 UTC`."""
    if not interval:
        return "not scheduled"
    parts = _ALIASES.get(interval.strip(), interval).split()
    if len(parts) == 5 and parts[2:] == ["*", "*", "*"] and parts[0].isdigit():
        if parts[1].isdigit():
            return f"daily {int(parts[1]):02d}:{int(parts[0]):02d} UTC"
        if parts[1] == "*":
            return f"hourly at :{int(parts[0]):02d}"
    return f"cron {interval} (UTC)"
