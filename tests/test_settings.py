"""The settings rules: what is accepted, how it is normalised, and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from singer_sdk.exceptions import ConfigValidationError

from tap_profitwell.settings import resolve_settings
from tap_profitwell.tap import TapProfitWell
from tap_profitwell.timestamps import canonical_timestamp

BASE = {"api_token": "t0ken", "api_url": "http://127.0.0.1:1"}


def resolve(**overrides: object):
    return resolve_settings({**BASE, **overrides})


def test_defaults() -> None:
    settings = resolve_settings({"api_token": "x"})
    assert settings.api_url == "https://api.profitwell.com"
    assert settings.per_page == 250
    assert settings.start_date is None
    assert settings.end_date is None
    assert settings.customer_ids == ()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2020-05-20T18:45:22Z", "2020-05-20T18:45:22.000000Z"),
        ("2020-05-20T18:45:22.5Z", "2020-05-20T18:45:22.500000Z"),
        ("2020-05-20T18:45:22.123456Z", "2020-05-20T18:45:22.123456Z"),
        ("2020-05-20T20:45:22+02:00", "2020-05-20T18:45:22.000000Z"),
        ("2020-05-20T13:45:22-05:00", "2020-05-20T18:45:22.000000Z"),
        ("2020-05-20T18:45:22", "2020-05-20T18:45:22.000000Z"),  # naive means UTC
        ("2020-05-20 18:45:22", "2020-05-20T18:45:22.000000Z"),
        ("2020-05-20", "2020-05-20T00:00:00.000000Z"),
        (1590000322, "2020-05-20T18:45:22.000000Z"),
        ("1590000322", "2020-05-20T18:45:22.000000Z"),
        (1590000322.25, "2020-05-20T18:45:22.250000Z"),
    ],
)
def test_dates_accept_iso_and_unix_forms_and_normalise_to_utc(given: object, expected: str) -> None:
    assert resolve(start_date=given).start_date == expected
    assert resolve(end_date=given).end_date == expected


@pytest.mark.parametrize(
    "bad", ["yesterday", "2020-13-01", "2020-05-20T25:00:00Z", "", True, "20250101", 20250101]
)
def test_unparseable_dates_are_refused_naming_the_setting(bad: object) -> None:
    if bad == "":  # empty means "not set"
        assert resolve(start_date=bad).start_date is None
        return
    with pytest.raises(ConfigValidationError, match=r"^Invalid setting start_date: "):
        resolve(start_date=bad)


@pytest.mark.parametrize("end", ["2024-01-01T00:00:00Z", "2023-12-31"])
def test_end_date_must_be_after_start_date(end: str) -> None:
    with pytest.raises(ConfigValidationError, match=r"Invalid setting end_date: .* is not after"):
        resolve(start_date="2024-01-01", end_date=end)


def test_end_date_one_microsecond_after_start_is_fine() -> None:
    settings = resolve(start_date="2024-01-01T00:00:00Z", end_date="2024-01-01T00:00:00.000001Z")
    assert settings.end_date == "2024-01-01T00:00:00.000001Z"


@pytest.mark.parametrize("per_page", [0, 251, 300, -1])
def test_per_page_outside_1_to_250_is_refused(per_page: int) -> None:
    with pytest.raises(ConfigValidationError, match=r"Invalid setting per_page"):
        resolve(per_page=per_page)


@pytest.mark.parametrize("per_page", [1, 250])
def test_per_page_bounds_are_inclusive(per_page: int) -> None:
    assert resolve(per_page=per_page).per_page == per_page


@pytest.mark.parametrize("token", ["", "   ", None])
def test_missing_token_is_refused(token: object) -> None:
    with pytest.raises(ConfigValidationError, match=r"Invalid setting api_token"):
        resolve_settings({"api_token": token})


@pytest.mark.parametrize("url", ["api.profitwell.com", "ftp://x", "http://"])
def test_api_url_must_be_http(url: str) -> None:
    with pytest.raises(ConfigValidationError, match=r"Invalid setting api_url"):
        resolve(api_url=url)


def test_api_url_trailing_slash_is_dropped() -> None:
    assert resolve(api_url="http://127.0.0.1:8765/").api_url == "http://127.0.0.1:8765"


def test_tap_refuses_bad_config_before_any_request() -> None:
    with pytest.raises(ConfigValidationError) as caught:
        TapProfitWell(config={**BASE, "per_page": 300})
    assert caught.value.errors == ["300 is greater than the maximum of 250 in config['per_page']"]


def test_schema_errors_never_echo_the_token() -> None:
    secret = 9_876_543_210_123  # a token of the wrong type: the schema error would print it
    with pytest.raises(ConfigValidationError) as caught:
        TapProfitWell(config={"api_token": secret})
    text = str(caught.value) + " ".join(caught.value.errors)
    assert str(secret) not in text
    assert "api_token" in text


@pytest.mark.parametrize(
    ("api_value", "canonical"),
    [
        ("2023-06-15T12:41:32Z", "2023-06-15T12:41:32.000000Z"),
        ("2023-08-28T10:55:19.919563Z", "2023-08-28T10:55:19.919563Z"),
        ("2023-08-28T12:55:19.9+02:00", "2023-08-28T10:55:19.900000Z"),
    ],
)
def test_api_timestamps_get_one_sortable_form(api_value: str, canonical: str) -> None:
    assert canonical_timestamp(api_value) == canonical


def test_canonical_forms_sort_by_time_where_raw_strings_do_not() -> None:
    earlier, later = "2023-08-28T10:55:19Z", "2023-08-28T10:55:19.5Z"
    assert later < earlier  # the raw strings sort the wrong way round
    assert canonical_timestamp(earlier) < canonical_timestamp(later)


@pytest.mark.parametrize(
    "bad", ["not-a-date", "2023-13-28T10:55:19Z", "2023-08-28T10:55:19.91956xZ"]
)
def test_bad_api_timestamps_raise(bad: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        canonical_timestamp(bad)


@pytest.mark.parametrize(
    "token",
    ["tok-CANARY-1\n", "tok-CANARY-1\r\nX-Evil: 1", "t\u00f6k-CANARY-1", " tok-CANARY-1", "a b"],
)
def test_a_token_no_header_can_carry_is_refused_without_showing_it(token: str) -> None:
    with pytest.raises(ConfigValidationError, match=r"^Invalid setting api_token: ") as caught:
        resolve(api_token=token)
    assert "CANARY" not in str(caught.value)
    assert "line break" in str(caught.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1?x=1", "http://127.0.0.1:1/#top", "http://me:pw@127.0.0.1:1"]
)
def test_api_url_is_a_base_url_only(url: str) -> None:
    with pytest.raises(ConfigValidationError, match=r"^Invalid setting api_url: "):
        resolve(api_url=url)


def test_null_means_not_set_and_ids_are_asked_once() -> None:
    settings = resolve(per_page=None, customer_ids=["b", "a", "b"])
    assert settings.per_page == 250
    assert settings.customer_ids == ("b", "a")


def test_config_env_reads_dates_and_seconds_as_text(env_tap) -> None:
    """`--config ENV` passes numbers as text (the SDK converts only integers and booleans)."""
    tap = env_tap(
        TAP_PROFITWELL_START_DATE="2024-01-01",
        TAP_PROFITWELL_END_DATE="1735689600",
        TAP_PROFITWELL_REQUEST_TIMEOUT="2.5",
        TAP_PROFITWELL_RETRY_MAX_SECONDS="60",
    )
    settings = tap.streams["customers"].settings
    assert settings.start_date == "2024-01-01T00:00:00.000000Z"
    assert settings.end_date == "2025-01-01T00:00:00.000000Z"
    assert settings.request_timeout == 2.5
    assert settings.retry_max_seconds == 60.0


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("TAP_PROFITWELL_PER_PAGE", "abc", "TAP_PROFITWELL_PER_PAGE='abc' is not a whole number"),
        ("TAP_PROFITWELL_REQUEST_TIMEOUT", "soon", "request_timeout: 'soon' is not a number"),
    ],
)
def test_config_env_mistakes_name_the_setting(
    env_tap, variable: str, value: str, says: str
) -> None:
    with pytest.raises(ConfigValidationError, match=says):
        env_tap(**{variable: value})


@pytest.fixture
def env_tap(monkeypatch: pytest.MonkeyPatch):
    def build(**variables: str) -> TapProfitWell:
        monkeypatch.setenv("TAP_PROFITWELL_API_TOKEN", "t0ken")
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return TapProfitWell(config={}, parse_env_config=True)

    return build


def test_fractions_from_a_config_file_are_numbers() -> None:
    """The SDK's CLI reads a config file's fractions as Decimal (Meltano writes such a file)."""
    config = {
        "api_token": "t0ken",
        "request_timeout": Decimal("30.5"),
        "rate_limit_window_seconds": Decimal("2.5"),
        "start_date": Decimal("1590000322.25"),
    }
    settings = TapProfitWell(config=config).streams["customers"].settings
    assert settings.request_timeout == 30.5
    assert settings.rate_limit_window_seconds == 2.5
    assert settings.start_date == "2020-05-20T18:45:22.250000Z"


def test_a_pacing_window_under_a_millisecond_is_refused() -> None:
    with pytest.raises(ConfigValidationError, match=r"rate_limit_window_seconds: .* millisecond"):
        resolve(rate_limit_window_seconds=0.0005)
