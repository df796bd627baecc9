"""The tap's settings: their schema (for ``--about``, Meltano and Airbyte) and their rules.

The JSON schema catches wrong types and ranges; :func:`resolve_settings` adds the rules a schema
cannot say (dates that parse, ``end_date`` after ``start_date``) and turns the raw config into
typed values once, so streams never re-parse it.
"""

from __future__ import annotations

import dataclasses
import decimal
import math
import os
import typing as t
from urllib.parse import urlsplit

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_profitwell.timestamps import format_timestamp, parse_user_datetime

DEFAULT_API_URL = "https://api.profitwell.com"
MAX_PER_PAGE = 250

#: The limiter counts in whole milliseconds.
_MIN_WINDOW_SECONDS = 0.001
#: The characters a token may have: printable ASCII, no spaces.
_TOKEN_FIRST, _TOKEN_LAST = "!", "~"

#: A date: text, or a unix timestamp as a number. Not "integer" in the list: the SDK reads an
#: environment variable of an integer-typed setting with int(), which breaks "2024-01-01".
_DATE_TYPES = th.CustomType({"type": ["string", "number"]})
#: Seconds: a number, or its text, which is what the SDK's ``--config ENV`` reading passes on
#: for a number-typed setting (it converts only integers and booleans).
_SECONDS = th.CustomType({"type": ["number", "string"], "exclusiveMinimum": 0})

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "api_token",
        th.StringType(min_length=1),
        required=True,
        secret=True,
        title="API token",
        description="Private ProfitWell API token, sent verbatim as the Authorization header.",
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        title="API URL",
        description="Base URL of the API (point it at the local sandbox for tests and demos).",
    ),
    th.Property(
        "start_date",
        _DATE_TYPES,
        title="Start date",
        description=(
            "Inclusive lower bound on updated_on; a run starts at the later of this and the "
            "bookmark. ISO-8601 date or date-time (Z, offset, or naive = UTC) or unix "
            "timestamp. Empty: all history."
        ),
    ),
    th.Property(
        "end_date",
        _DATE_TYPES,
        title="End date",
        description="Exclusive upper bound on updated_on, in the same formats as start_date.",
    ),
    th.Property(
        "per_page",
        th.IntegerType(minimum=1, maximum=MAX_PER_PAGE),
        default=MAX_PER_PAGE,
        title="Page size",
        description=(
            "Customers per request, 1 to 250; 250 needs the fewest requests (1 costs about "
            "five requests per customer)."
        ),
    ),
    th.Property(
        "email",
        th.StringType,
        title="Email filter",
        description=(
            "Only customers with exactly this email (the API's search filter). A lookup: it "
            "reads from start_date and leaves the bookmark untouched."
        ),
    ),
    th.Property(
        "customer_ids",
        th.ArrayType(th.StringType(min_length=1)),
        title="Customer IDs",
        description=(
            "Fetch exactly these customers, one request each, from /v2/customers/<id>/; "
            "ids that do not exist are logged and skipped, repeats are fetched once. Replaces "
            "the search and leaves the bookmark untouched."
        ),
    ),
    th.Property(
        "rate_limit_requests",
        th.IntegerType(minimum=0),
        default=25,
        title="Rate limit: requests",
        description=(
            "At most this many requests in any rate_limit_window_seconds (ProfitWell allows "
            "25 per 5 s). 0 turns pacing off, for the sandbox or a proxy that paces for you."
        ),
    ),
    th.Property(
        "rate_limit_window_seconds",
        _SECONDS,
        default=5,
        title="Rate limit: window (seconds)",
        description="The sliding window that rate_limit_requests applies to.",
    ),
    th.Property(
        "request_timeout",
        _SECONDS,
        default=60,
        title="Request timeout (seconds)",
        description="How long to wait for a response before retrying the request.",
    ),
    th.Property(
        "retry_max_tries",
        th.IntegerType(minimum=1),
        default=8,
        title="Retry budget: tries",
        description="Tries per request (first try included) before the sync stops.",
    ),
    th.Property(
        "retry_max_seconds",
        _SECONDS,
        default=600,
        title="Retry budget: seconds",
        description="Longest time spent retrying one request before the sync stops.",
    ),
).to_dict()


@dataclasses.dataclass(frozen=True)
class Settings:
    """The config after its rules are checked; dates are canonical UTC timestamps."""

    api_url: str
    per_page: int
    start_date: str | None
    end_date: str | None
    email: str | None
    customer_ids: tuple[str, ...]
    rate_limit_requests: int
    rate_limit_window_seconds: float
    request_timeout: float
    retry_max_tries: int
    retry_max_seconds: float


def _fail(setting: str, problem: str) -> t.NoReturn:
    message = f"Invalid setting {setting}: {problem}"
    raise ConfigValidationError(message, errors=[message])


def _date_setting(config: t.Mapping[str, t.Any], key: str) -> str | None:
    value = config.get(key)
    if value is None or value == "":
        return None
    try:
        return format_timestamp(parse_user_datetime(value))
    except (ValueError, OverflowError, OSError) as exc:
        _fail(key, str(exc))


def _number_setting(config: t.Mapping[str, t.Any], key: str, default: float) -> float:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, decimal.Decimal):  # how the SDK reads a fraction from a config file
        value = float(value)
    elif isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            _fail(key, f"{value!r} is not a number")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(key, f"{value!r} is not a number")
    return value


def _whole_number(config: t.Mapping[str, t.Any], key: str, default: int, minimum: int) -> int:
    value = _number_setting(config, key, default)
    if value != int(value) or value < minimum:
        _fail(key, f"{value!r} is not a whole number of at least {minimum}")
    return int(value)


def _seconds(config: t.Mapping[str, t.Any], key: str, default: float) -> float:
    value = _number_setting(config, key, default)
    if value <= 0:
        _fail(key, f"{value!r} is not a positive number of seconds")
    return float(value)


def _check_token(token: object) -> None:
    """A token the Authorization header can carry as it is; the token itself is never shown.

    ProfitWell's tokens are printable ASCII. Anything else (most often a trailing newline from
    a secrets file) cannot go into an HTTP header, and the HTTP library's error would quote it.
    """
    if not isinstance(token, str) or not token.strip():
        _fail("api_token", "it is required and must not be empty")
    if not all(_TOKEN_FIRST <= char <= _TOKEN_LAST for char in token):
        _fail(
            "api_token",
            "it contains a space, a line break or a non-ASCII character (a trailing newline "
            "from a secrets file?); the token itself is not shown",
        )


def _check_api_url(config: t.Mapping[str, t.Any]) -> str:
    api_url = str(config.get("api_url") or DEFAULT_API_URL).rstrip("/")
    parts = urlsplit(api_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        _fail("api_url", f"{api_url!r} is not an http(s) URL")
    if parts.query or parts.fragment or "?" in api_url or "#" in api_url:
        _fail("api_url", f"{api_url!r} has a query or fragment; give the base URL only")
    if parts.username or parts.password:
        _fail("api_url", "it must not carry a user name or password")
    return api_url


def _window_seconds(config: t.Mapping[str, t.Any]) -> float:
    """The pacing window: the limiter counts in milliseconds, so at least one of them."""
    value = _seconds(config, "rate_limit_window_seconds", 5)
    if value < _MIN_WINDOW_SECONDS:
        _fail("rate_limit_window_seconds", f"{value!r} is shorter than one millisecond")
    return value


def resolve_settings(config: t.Mapping[str, t.Any]) -> Settings:
    """Check the rules the schema cannot express and return typed settings.

    An optional setting given as null means "not set" (its default applies), as Meltano and
    Airbyte forms may send it.

    Raises:
        ConfigValidationError: naming the first setting that breaks a rule.
    """
    _check_token(config.get("api_token"))
    api_url = _check_api_url(config)
    per_page = config.get("per_page")
    if per_page is None:
        per_page = MAX_PER_PAGE
    if isinstance(per_page, bool) or not isinstance(per_page, int):
        _fail("per_page", f"{per_page!r} is not a whole number")
    if not 1 <= per_page <= MAX_PER_PAGE:
        _fail("per_page", f"{per_page} is outside 1 to {MAX_PER_PAGE}")
    start_date = _date_setting(config, "start_date")
    end_date = _date_setting(config, "end_date")
    if start_date and end_date and end_date <= start_date:
        _fail("end_date", f"{end_date} is not after start_date {start_date}")
    ids = tuple(config.get("customer_ids") or ())
    if any(not isinstance(i, str) or not i for i in ids):
        _fail("customer_ids", "every id must be a non-empty string")
    ids = tuple(dict.fromkeys(ids))  # each customer once, in the order asked
    return Settings(
        api_url=api_url,
        per_page=per_page,
        start_date=start_date,
        end_date=end_date,
        email=config.get("email") or None,
        customer_ids=ids,
        rate_limit_requests=_whole_number(config, "rate_limit_requests", 25, 0),
        rate_limit_window_seconds=_window_seconds(config),
        request_timeout=_seconds(config, "request_timeout", 60),
        retry_max_tries=_whole_number(config, "retry_max_tries", 8, 1),
        retry_max_seconds=_seconds(config, "retry_max_seconds", 600),
    )


def check_environment(schema: t.Mapping[str, t.Any], prefix: str) -> None:
    """Name the environment variable of a whole-number setting that is not one.

    For ``--config ENV`` the SDK reads such a variable with ``int()``, whose own error names
    neither the variable nor the setting.

    Raises:
        ConfigValidationError: naming the variable.
    """
    for name, prop in schema.get("properties", {}).items():
        variable = prefix + name.upper()
        types = prop.get("type", [])
        if variable not in os.environ or "integer" not in types:
            continue
        try:
            int(os.environ[variable])
        except ValueError:
            _fail(name, f"{variable}={os.environ[variable]!r} is not a whole number")
