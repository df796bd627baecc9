"""How long to wait before retrying, and the error raised when the retry budget runs out."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import typing as t
from http import HTTPStatus

from singer_sdk.exceptions import RetriableAPIError

if t.TYPE_CHECKING:
    import random

    import requests

#: Exponential backoff: 1 s, 2 s, 4 s ... capped here, with "equal jitter" (half fixed, half random)
#: so that several taps throttled together do not retry in lockstep.
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0


#: The operating system's reason inside urllib3's nested connection errors.
_OS_REASON = re.compile(r"\[Errno -?\d+\] ([^\"')]+)")


def short_error(exc: BaseException) -> str:
    """One short phrase for a failed try: the HTTP status, or the network's own reason.

    ``requests`` wraps a refused connection in three layers that each repeat the URL (query
    included); the reason at the bottom, such as "Connection refused", is what a user needs.
    """
    if isinstance(exc, RetriableAPIError):
        return str(exc)
    text = str(exc)
    reason = _OS_REASON.search(text)
    if reason:
        return f"{type(exc).__name__}: {reason.group(1).strip()}"
    if "timed out" in text.lower():
        return f"{type(exc).__name__}: timed out"
    return f"{type(exc).__name__}: {text.split(' (Caused by ', maxsplit=1)[0]}"


class RetriesExhaustedError(RuntimeError):
    """A request kept failing until the retry budget (tries or seconds) ran out."""


def retry_after_seconds(response: requests.Response | None) -> float | None:
    """The server's ``Retry-After`` on a 429 or 503, in seconds (delay or HTTP date form)."""
    if response is None or response.status_code not in {
        HTTPStatus.TOO_MANY_REQUESTS,
        HTTPStatus.SERVICE_UNAVAILABLE,
    }:
        return None
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max((when - dt.datetime.now(dt.timezone.utc)).total_seconds(), 0.0)


def wait_seconds(exception: BaseException, attempt: int, rng: random.Random) -> float:
    """The wait before retry number ``attempt`` (1-based): Retry-After when given, else backoff."""
    response = exception.response if isinstance(exception, RetriableAPIError) else None
    hinted = retry_after_seconds(response)
    if hinted is not None:
        return hinted + rng.uniform(0, 0.25)
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def wait_generator(rng: random.Random) -> t.Generator[float, BaseException, None]:
    """A ``backoff`` wait generator: it is sent each failure and yields the wait for it."""
    attempt = 0
    exception = yield  # type: ignore[misc]  # primed by backoff with None
    while True:
        attempt += 1
        exception = yield wait_seconds(exception, attempt, rng)
