"""The HTTP side of the tap: URLs, the token, what each response means, and retries."""

from __future__ import annotations

import typing as t
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit

from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.streams import RESTStream
from typing_extensions import override

from tap_profitwell.pages import InvalidCustomerError, UnexpectedBodyError
from tap_profitwell.settings import Settings, resolve_settings

if t.TYPE_CHECKING:
    import requests

_TToken = t.TypeVar("_TToken")
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
_MESSAGE_LIMIT = 300


def api_message(response: requests.Response) -> str:
    """The API's own explanation of an error, short and on one line."""
    try:
        body = response.json()
    except ValueError:
        text = response.text
    else:
        text = str(body.get("message", body)) if isinstance(body, dict) else str(body)
    return " ".join(text.split())[:_MESSAGE_LIMIT]


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
        return self.config.get("user_agent") or "tap-profitwell"

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        path = urlsplit(response.url).path
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
