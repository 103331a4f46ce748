"""Dates, date-times and times in the forms Salesforce stores: ``YYYY-MM-DD``,
``YYYY-MM-DDTHH:MM:SS.sssZ`` in UTC (milliseconds), ``HH:MM:SS.sssZ``. Pure functions; see
:mod:`.coercion`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .field_spec import CoercionError, FieldSpec, short

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_datetime(value: Any, spec: FieldSpec) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        # Salesforce writes offsets without a colon (+0000); fromisoformat wants one on 3.10.
        text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
        try:
            moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            msg = f"{short(value)} is not an ISO 8601 date-time for {spec.name}"
            raise CoercionError(msg) from None
    else:
        msg = f"{short(value)} is not a date-time for {spec.name}"
        raise CoercionError(msg)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    moment = moment.astimezone(dt.timezone.utc)
    # Salesforce keeps milliseconds.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


#: A UTC stamp whose fields are in range (month 01-12, day 01-31, hour 00-23, minute and
#: second 00-59, year not 0000): only a day past the 28th needs the calendar checked.
_UTC_STAMP = re.compile(
    r"^((?!0000)\d{4}-(?:0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))[T ]"
    r"((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d{1,9}))?(?:Z|z|\+0000|\+00:00)$"
)


def _day_exists(day: str) -> bool:
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return False
    return True


def utc_stamp(text: str) -> str | None:
    """The canonical form of ``text`` when it is a UTC stamp of a real moment (how Salesforce
    returns date-times and most reports hold them), else None: :func:`datetime_value`'s fast
    path, which :func:`.coercion.coercer` also takes first for date-time fields."""
    found = _UTC_STAMP.match(text)
    if found:
        day, of_month, clock, fraction = found.groups()
        if of_month <= "28" or _day_exists(day):
            if fraction is None:
                return f"{day}T{clock}.000Z"
            return f"{day}T{clock}.{fraction.ljust(3, '0')[:3]}Z"
    return None


def datetime_value(value: Any, spec: FieldSpec) -> str:
    if isinstance(value, str):
        canonical = utc_stamp(value.strip())
        if canonical is not None:
            return canonical
    moment = _parse_datetime(value, spec)
    # isoformat, not strftime: "%Y" does not pad years before 1000 on Linux.
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def date_value(value: Any, spec: FieldSpec) -> str:
    if isinstance(value, dt.datetime):
        return _parse_datetime(value, spec).date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if _DATE.match(text):
            try:
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        elif "T" in text or " " in text:
            try:
                return _parse_datetime(text, spec).date().isoformat()
            except CoercionError:
                pass
    msg = f"{short(value)} is not a date (YYYY-MM-DD) for {spec.name}"
    raise CoercionError(msg)


def time_value(value: Any, spec: FieldSpec) -> str:
    if isinstance(value, dt.time):
        moment = value
    else:
        text = str(value).strip().rstrip("Zz")
        try:
            moment = dt.time.fromisoformat(text)
        except ValueError:
            msg = f"{short(value)} is not a time (HH:MM:SS) for {spec.name}"
            raise CoercionError(msg) from None
    millis = moment.microsecond // 1000
    return moment.strftime("%H:%M:%S") + f".{millis:03d}Z"
