"""Timestamps as integer microseconds since the epoch: parsed from query strings, printed as ISO.

Integers compare exactly and quickly, whereas the API's mixed ISO formats (with and without
microseconds) do not sort correctly as strings.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

US_PER_SECOND = 1_000_000
SECONDS_PER_DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_UNIX = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE_ONLY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?",
)


class DateParseError(ValueError):
    """A date query parameter the API would reject with 400."""


def parse_instant(text: str) -> int:
    """Parse any accepted start_date/end_date form into UTC microseconds since the epoch.

    Accepts unix timestamps (int or float), ISO-8601 with ``T`` or a space, ``Z``, numeric
    offsets or naive (taken as UTC), 1-6 fractional digits, and date-only strings.

    Raises:
        DateParseError: when the text is none of those.
    """
    text = text.strip()
    try:
        if _UNIX.fullmatch(text):
            return int((Decimal(text) * US_PER_SECOND).to_integral_value(rounding="ROUND_FLOOR"))
        if m := _DATE_ONLY.fullmatch(text):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return (day.toordinal() - _EPOCH_ORDINAL) * SECONDS_PER_DAY * US_PER_SECOND
        if m := _ISO.fullmatch(text):
            return _iso_match_to_us(m)
    except (ValueError, InvalidOperation, OverflowError) as exc:
        raise DateParseError(text) from exc
    raise DateParseError(text)


def _iso_match_to_us(m: re.Match[str]) -> int:
    """Turn a matched ISO timestamp into microseconds, validating the calendar via datetime."""
    fraction = (m[7] or "").ljust(6, "0")
    offset = timedelta(0)
    if m[9]:
        offset = timedelta(hours=int(m[10]), minutes=int(m[11]))
        if m[9] == "-":
            offset = -offset
    moment = datetime(
        int(m[1]),
        int(m[2]),
        int(m[3]),
        int(m[4]),
        int(m[5]),
        int(m[6] or 0),
        int(fraction),
        tzinfo=timezone(offset),
    )
    return datetime_to_us(moment)


def datetime_to_us(moment: datetime) -> int:
    """Convert an aware datetime (naive means UTC) to microseconds since the epoch, exactly."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * SECONDS_PER_DAY + delta.seconds) * US_PER_SECOND + delta.microseconds


_DAY_ORIGIN = date(2000, 1, 1).toordinal() - _EPOCH_ORDINAL
_DAYS = tuple(
    f"{date.fromordinal(_EPOCH_ORDINAL + _DAY_ORIGIN + i).isoformat()}T" for i in range(40 * 366)
)
_DAY_COUNT = len(_DAYS)
_SECONDS_ORIGIN = _DAY_ORIGIN * SECONDS_PER_DAY
_HOURS = tuple(f"{h:02d}:" for h in range(24))
# Minutes and seconds within the hour: small tables stay in the CPU cache.
_MS_Z = tuple(f"{s // 60:02d}:{s % 60:02d}Z" for s in range(3600))
_MS_DOT = tuple(f"{s // 60:02d}:{s % 60:02d}." for s in range(3600))


def format_us(instant_us: int) -> str:
    """Print microseconds as the API does: ``...T12:41:32Z``, or ``...T10:55:19.919563Z``.

    The fraction is printed only when non-zero, so an instant's text and its key always agree.
    Table lookups make this cheap enough to call millions of times during generation.
    """
    seconds, micros = divmod(instant_us, US_PER_SECOND)
    day, second_of_day = divmod(seconds - _SECONDS_ORIGIN, SECONDS_PER_DAY)
    if 0 <= day < _DAY_COUNT:
        hour, second_of_hour = divmod(second_of_day, 3600)
        if micros:
            return f"{_DAYS[day]}{_HOURS[hour]}{_MS_DOT[second_of_hour]}{micros:06d}Z"
        return _DAYS[day] + _HOURS[hour] + _MS_Z[second_of_hour]
    moment = datetime(1970, 1, 1) + timedelta(microseconds=instant_us)  # noqa: DTZ001
    return f"{moment.isoformat(timespec='microseconds' if micros else 'seconds')}Z"
