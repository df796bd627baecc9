"""One canonical, sortable form for every timestamp the tap compares or stores.

ProfitWell writes ``updated_on`` both with and without microseconds, and as plain strings
those two forms do not sort by time ("...19Z" sorts after "...19.9Z"). The tap rewrites every
``updated_on`` it reads and every date it is given to ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC), so
bookmarks, de-duplication and the SDK's sort check can all compare plain strings.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re

_UTC = dt.timezone.utc
_CANONICAL_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_FRACTION = re.compile(r"\.(\d+)")
#: Eight digits that read as a date (YYYYMMDD), which as a unix timestamp would be in 1970.
_BASIC_DATE = re.compile(r"(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_DATE_ONLY_LENGTH = 10
_SECONDS_LENGTH = 20  # 2023-06-15T12:41:32Z
_MICROS_LENGTH = 27  # 2023-08-28T10:55:19.919563Z


def format_timestamp(value: dt.datetime) -> str:
    """Render an aware datetime in the canonical form (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC).strftime(_CANONICAL_FORMAT)


def _pad_fraction(match: re.Match[str]) -> str:
    """Python 3.10's fromisoformat wants exactly 3 or 6 fractional digits."""
    digits = match.group(1)[:6]
    return "." + digits.ljust(6, "0")


def parse_iso_datetime(text: str) -> dt.datetime:
    """Parse an ISO-8601 date or date-time; naive values are UTC.

    Raises:
        ValueError: when the text is not an ISO-8601 date or date-time.
    """
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    cleaned = _FRACTION.sub(_pad_fraction, cleaned, count=1)
    if len(cleaned) == _DATE_ONLY_LENGTH:
        parsed = dt.datetime.combine(dt.date.fromisoformat(cleaned), dt.time(), _UTC)
    else:
        parsed = dt.datetime.fromisoformat(cleaned)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)


def parse_user_datetime(value: object) -> dt.datetime:
    """Parse a date given by a user: ISO-8601 text or a unix timestamp (number or numeric text).

    Raises:
        ValueError: with a short reason when the value is neither.
    """
    if isinstance(value, bool):
        msg = f"{value!r} is not a date"
        raise ValueError(msg)  # noqa: TRY004 - one error type for every bad date
    text = str(value).strip()
    if isinstance(value, (int, str)) and _BASIC_DATE.fullmatch(text):
        msg = (
            f"{value!r} is ambiguous: a unix timestamp in 1970, or a date written without "
            f"dashes? Write {text[:4]}-{text[4:6]}-{text[6:]} or a 10-digit unix timestamp"
        )
        raise ValueError(msg)
    if isinstance(value, (int, float, decimal.Decimal)):  # the SDK reads fractions as Decimal
        return dt.datetime.fromtimestamp(float(value), _UTC)
    if isinstance(value, str):
        if _NUMBER.fullmatch(text):
            return dt.datetime.fromtimestamp(float(text), _UTC)
        try:
            return parse_iso_datetime(text)
        except ValueError:
            msg = f"{value!r} is not an ISO-8601 date or date-time, nor a unix timestamp"
            raise ValueError(msg) from None
    msg = f"{value!r} is not a date"
    raise ValueError(msg)


def canonical_timestamp(value: str) -> str:
    """Rewrite an API timestamp in the canonical form, cheaply for the API's two usual shapes.

    Raises:
        ValueError: when the value is not an ISO-8601 date-time.
    """
    if value[-1:] == "Z" and value[10:11] == "T":
        if len(value) == _MICROS_LENGTH and value[19] == ".":
            dt.datetime.fromisoformat(value[:-1])  # validates; raises ValueError
            return value
        if len(value) == _SECONDS_LENGTH:
            dt.datetime.fromisoformat(value[:-1])
            return value[:19] + ".000000Z"
    return format_timestamp(parse_iso_datetime(value))


def next_instant(value: str) -> str:
    """The canonical timestamp one microsecond after ``value`` (itself canonical)."""
    return format_timestamp(parse_iso_datetime(value) + dt.timedelta(microseconds=1))
