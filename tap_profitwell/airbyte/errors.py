"""What went wrong, in one line a user can act on, and whose fault it is."""

from __future__ import annotations

import dataclasses
import re
import traceback
import typing as t

import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError

from tap_profitwell.airbyte.messages import FailureType
from tap_profitwell.airbyte.state import StateError
from tap_profitwell.retries import RetriesExhaustedError
from tap_profitwell.settings import DEFAULT_API_URL

_E = t.TypeVar("_E", bound=BaseException)
_ERRNO = re.compile(r"\[Errno -?\d+\][^'\")]*|Name or service not known|Connection refused")


@dataclasses.dataclass(frozen=True)
class Failure:
    """An exception, explained."""

    message: str
    failure_type: FailureType
    internal_message: str
    stack_trace: str


class InputError(ValueError):
    """A file the platform passed (config, catalog, state) cannot be used."""


def _config_message(exc: ConfigValidationError) -> str:
    errors = [str(e) for e in exc.errors] or [str(exc)]
    return "Invalid configuration: " + "; ".join(errors)


def _connection_reason(exc: requests.exceptions.RequestException) -> str:
    """The root cause of a connection failure, without urllib3's nested wrappers."""
    text = str(exc)
    found = _ERRNO.search(text)
    return found.group(0).strip() if found else type(exc).__name__


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and those it came from, even when re-raised ``from None``.

    The tap's retry budget re-raises that way to keep its one-line message clean.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _first(chain: list[BaseException], kind: type[_E]) -> _E | None:
    return next((e for e in chain if isinstance(e, kind)), None)


def explain(exc: BaseException, config: t.Mapping[str, t.Any] | None = None) -> Failure:
    """Describe ``exc`` for the user: config mistakes and outages apart from bugs.

    A bad setting, a rejected request (FatalAPIError: bad token, wrong path) or an address
    that cannot be reached is the config's to fix; an API that keeps failing or timing out
    after the retries may recover (transient); anything else is a fault in the source.
    """
    api_url = str((config or {}).get("api_url") or DEFAULT_API_URL)
    internal = f"{type(exc).__name__}: {exc}"
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    chain = _chain(exc)
    message: str
    failure_type = FailureType.system_error
    if isinstance(exc, ConfigValidationError):
        message, failure_type = _config_message(exc), FailureType.config_error
    elif isinstance(exc, (InputError, StateError, FatalAPIError)):
        message, failure_type = str(exc), FailureType.config_error
    elif timeout := _first(chain, requests.exceptions.Timeout):
        message = f"The ProfitWell API at {api_url} did not answer in time: {timeout}"
        failure_type = FailureType.transient_error
    elif unreachable := _first(chain, requests.exceptions.ConnectionError):
        message = (
            f"Could not connect to the ProfitWell API at {api_url} "
            f"({_connection_reason(unreachable)}): check the api_url setting."
        )
        failure_type = FailureType.config_error
    elif isinstance(exc, RetriesExhaustedError) or _first(chain, RetriableAPIError):
        message = f"The ProfitWell API kept failing: {exc}"
        failure_type = FailureType.transient_error
    else:
        message = f"The source failed: {internal}"
    return Failure(message, failure_type, internal, stack)
