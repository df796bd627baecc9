"""The HTTP side of the tap: URLs, the token, what each response means, and retries."""

from __future__ import annotations

import functools
import random
import typing as t
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit

import backoff
import requests
from requests.utils import resolve_proxies
from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.streams import RESTStream
from typing_extensions import override

from tap_profitwell.output import SingerOutput
from tap_profitwell.pages import InvalidCustomerError, UnexpectedBodyError
from tap_profitwell.progress import SyncCounters
from tap_profitwell.retries import RetriesExhaustedError, short_error, wait_generator
from tap_profitwell.settings import Settings, resolve_settings
from tap_profitwell.throttle import PacedAdapter, build_limiter

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk.helpers.types import Context, Record
    from singer_sdk.streams.rest import RequestFunc

_TToken = t.TypeVar("_TToken")
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
_MESSAGE_LIMIT = 300
#: What a retry can cure: the SDK's RetriableAPIError (429, 5xx, bad bodies) and network faults.
_RETRIED_EXCEPTIONS = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _nothing() -> None:
    """What a writer that does not batch needs before a request."""


def api_message(response: requests.Response) -> str:
    """The API's own explanation of an error, short and on one line."""
    try:
        body = response.json()
    except ValueError:
        text = response.text
    else:
        text = str(body.get("message", body)) if isinstance(body, dict) else str(body)
    return " ".join(text.split())[:_MESSAGE_LIMIT]


class ProxyCachingSession(requests.Session):
    """A session that looks up the environment's proxy settings once per scheme and host.

    ``requests`` re-reads every environment variable, several times, for each request to find
    ``HTTPS_PROXY`` and ``NO_PROXY``; the answer depends only on the scheme and host (and on
    the environment, which a sync does not change), so it is worked out once for each.
    """

    def __init__(self) -> None:
        """An empty cache, on top of a plain session."""
        super().__init__()
        self._proxies: dict[tuple[str, str], dict[str, str]] = {}

    @override
    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        if "proxies" not in kwargs:
            parts = urlsplit(request.url or "")
            key = (parts.scheme, parts.netloc)
            proxies = self._proxies.get(key)
            if proxies is None:
                proxies = self._proxies[key] = resolve_proxies(
                    request, self.proxies, trust_env=self.trust_env
                )
            kwargs["proxies"] = dict(proxies)
        return super().send(request, **kwargs)


class ProfitWellStream(RESTStream[_TToken]):
    """Base stream: one place decides which responses are data, retried or fatal.

    ``validate_response`` decodes and checks the body too, so that a 200 carrying a truncated
    page or a proxy's HTML is retried like a 502 instead of failing outside the retry loop.
    """

    #: The tap builds slash-terminated URLs, so a redirect is never expected; refusing to
    #: follow one also keeps the token from ever travelling to another host.
    allow_redirects = False

    @cached_property
    def settings(self) -> Settings:
        """The checked, typed settings."""
        return resolve_settings(self.config)

    @cached_property
    def counters(self) -> SyncCounters:
        """Requests, retries, 429s and records of this run, for progress and the summary."""
        return SyncCounters()

    @override
    @cached_property
    def requests_session(self) -> requests.Session:  # type: ignore[override]
        """A keep-alive session whose transport paces and counts every request."""
        settings = self.settings
        limiter = build_limiter(settings.rate_limit_requests, settings.rate_limit_window_seconds)
        adapter = PacedAdapter(limiter, self.counters)
        session = ProxyCachingSession()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    @override
    @property
    def timeout(self) -> float:  # type: ignore[override]
        return self.settings.request_timeout

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """Retry within the tries-and-seconds budget; past it, one error naming path and status.

        ``jitter`` is left to the wait generator, which must not shorten a Retry-After.
        """
        retrying = backoff.on_exception(
            functools.partial(wait_generator, random.Random()),  # noqa: S311 - jitter only
            _RETRIED_EXCEPTIONS,
            max_tries=self.settings.retry_max_tries,
            max_time=self.settings.retry_max_seconds,
            on_backoff=self.backoff_handler,
            on_giveup=self._remember_giveup,
            jitter=None,
            logger=None,
        )(func)

        writer = self._tap.message_writer
        flush_output = writer.flush if isinstance(writer, SingerOutput) else _nothing

        @functools.wraps(func)
        def request(*args: t.Any, **kwargs: t.Any) -> requests.Response:  # noqa: ANN401
            flush_output()  # the target gets every record so far while the tap waits
            try:
                return retrying(*args, **kwargs)
            except _RETRIED_EXCEPTIONS as exc:
                raise RetriesExhaustedError(self._giveup_message(args[0], exc)) from None

        return request

    @override
    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> t.Iterable[Context | None]:
        """No context per record when no child stream would read it (the SDK builds one)."""
        if not self.child_streams:
            return ()
        return super().generate_child_contexts(record, context)

    def _remember_giveup(self, details: Details) -> None:
        self._giveup = details

    def _giveup_message(self, request: requests.PreparedRequest, exc: BaseException) -> str:
        details = getattr(self, "_giveup", {})
        parts = urlsplit(request.url or "")
        where = f"{parts.scheme}://{parts.netloc}{parts.path}"  # no query: it says nothing here
        return (
            f"Gave up on {where} after {details.get('tries', '?')} tries in "
            f"{details.get('elapsed', 0):.0f} s (retry_max_tries / retry_max_seconds); "
            f"last error: {short_error(exc)}"
        )

    @override
    def backoff_handler(self, details: Details) -> None:
        self.counters.retries += 1
        exc = details.get("exception")
        self.logger.warning(
            "Retrying in %.1f s (try %d failed): %s",
            details.get("wait", 0),
            details.get("tries", 0),
            short_error(exc) if exc is not None else "unknown error",
        )

    @override
    @property
    def url_base(self) -> str:
        return self.settings.api_url

    @override
    @cached_property
    def authenticator(self) -> APIKeyAuthenticator:
        return APIKeyAuthenticator(
            key="Authorization", value=self.config["api_token"], location="header"
        )

    @override
    @property
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": self.user_agent}

    @override
    @cached_property
    def user_agent(self) -> str:
        """``tap-profitwell/<version>``: who is calling, for ProfitWell's logs."""
        return f"tap-profitwell/{self._tap.plugin_version}"

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        path = urlsplit(response.url).path
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            self.counters.throttled += 1
        if status in {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}:
            msg = (
                f"ProfitWell rejected the API token (HTTP {status} for {path}): "
                "check the api_token setting."
            )
            raise FatalAPIError(msg)
        if status in _RETRIED_STATUSES:
            msg = f"HTTP {status} for {path}: {api_message(response)}"
            raise RetriableAPIError(msg, response)
        if HTTPStatus.MULTIPLE_CHOICES <= status < HTTPStatus.BAD_REQUEST:
            target = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
            msg = (
                f"HTTP {status} redirect for {path} to {target}; the tap does not follow "
                "redirects (the token stays with api_url): check the api_url setting."
            )
            raise FatalAPIError(msg)
        if status == HTTPStatus.NOT_FOUND and self.is_missing_customer(response):
            return
        if status >= HTTPStatus.BAD_REQUEST:
            raise FatalAPIError(self.client_error_message(response, path))
        try:
            self.accept_body(response)
        except ValueError as exc:  # the body is not JSON, or not the JSON the API documents
            msg = f"Unusable response body for {path} (HTTP {status}): {exc}"
            if isinstance(exc, InvalidCustomerError):
                raise FatalAPIError(msg) from None
            raise RetriableAPIError(msg, response) from None

    def client_error_message(self, response: requests.Response, path: str) -> str:
        """A 4xx other than auth: name what to check."""
        status = response.status_code
        hint = (
            "check the api_url setting" if status == HTTPStatus.NOT_FOUND else "check the settings"
        )
        return f"HTTP {status} for {path}: {api_message(response)} ({hint})"

    def is_missing_customer(self, response: requests.Response) -> bool:  # noqa: ARG002
        """Whether a 404 means "no such customer" (skip) rather than a wrong URL (fail)."""
        return False

    def accept_body(self, response: requests.Response) -> None:
        """Decode and check a 200's body before the SDK parses it.

        Raises:
            ValueError: the body is not JSON (retried), UnexpectedBodyError (retried) or
                InvalidCustomerError (fatal).
        """
        raise NotImplementedError


__all__ = ["ProfitWellStream", "UnexpectedBodyError", "api_message"]
