"""The retry rules: how long to wait, Retry-After in both forms, and what a failure is called."""

from __future__ import annotations

import datetime as dt
import email.utils
import random

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_profitwell.retries import (
    BACKOFF_CAP_SECONDS,
    retry_after_seconds,
    short_error,
    wait_generator,
)


def response(status: int, retry_after: str | None = None) -> requests.Response:
    reply = requests.Response()
    reply.status_code = status
    if retry_after is not None:
        reply.headers["Retry-After"] = retry_after
    return reply


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    assert retry_after_seconds(response(429, "7")) == 7.0
    assert retry_after_seconds(response(503, "0")) == 0.0
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)
    seconds = retry_after_seconds(response(429, email.utils.format_datetime(later, usegmt=True)))
    assert seconds is not None
    assert 28 <= seconds <= 30  # the header has whole seconds; the clock moved on a little
    past = email.utils.format_datetime(later - dt.timedelta(hours=1), usegmt=True)
    assert retry_after_seconds(response(429, past)) == 0.0


@pytest.mark.parametrize("reply", [response(429, "soon"), response(429), response(500, "5"), None])
def test_no_usable_retry_after(reply: requests.Response | None) -> None:
    assert retry_after_seconds(reply) is None


def waits(exceptions: list[BaseException], seed: int = 1) -> list[float]:
    generator = wait_generator(random.Random(seed))
    next(generator)
    return [generator.send(exc) for exc in exceptions]


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    failures: list[BaseException] = [requests.exceptions.ConnectionError()] * 9
    for attempt, wait in enumerate(waits(failures), start=1):
        ceiling = min(BACKOFF_CAP_SECONDS, 2.0 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling  # "equal jitter": half fixed, half random


def test_retry_after_is_honoured_and_never_shortened() -> None:
    throttled = RetriableAPIError("HTTP 429", response(429, "12"))
    for wait in waits([throttled] * 5):
        assert 12.0 <= wait <= 12.25


def test_a_refused_connection_is_named_by_its_reason_not_three_nested_urls() -> None:
    text = (
        "HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: "
        '/v2/customers/?date_field=updated_on&page=1 (Caused by NewConnectionError("HTTP'
        "Connection(host='127.0.0.1', port=1): Failed to establish a new connection: "
        '[Errno 111] Connection refused"))'
    )
    assert short_error(requests.exceptions.ConnectionError(text)) == (
        "ConnectionError: Connection refused"
    )
    assert short_error(requests.exceptions.ReadTimeout("Read timed out. (read timeout=1)")) == (
        "ReadTimeout: timed out"
    )
    status = RetriableAPIError("HTTP 502 for /v2/customers/: Bad gateway")
    assert short_error(status) == "HTTP 502 for /v2/customers/: Bad gateway"
