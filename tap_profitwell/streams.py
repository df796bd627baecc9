"""The customers stream, read by search (the normal, incremental way) or by a list of ids."""

from __future__ import annotations

import datetime as dt
import typing as t
from functools import cached_property
from http import HTTPStatus
from urllib.parse import quote

from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_profitwell.client import ProfitWellStream
from tap_profitwell.pages import conform_records, decode_json, normalize_customer, normalize_page
from tap_profitwell.paginator import CustomerIdPaginator, CustomerPaginator, PageToken
from tap_profitwell.progress import ProgressReporter
from tap_profitwell.schema import CUSTOMER_SCHEMA
from tap_profitwell.state import InvalidStateError
from tap_profitwell.timestamps import format_timestamp, parse_user_datetime

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext


#: The parts of a property's schema that the SDK's type conformance looks at.
_CONFORMANCE_KEYS = ("type", "items", "properties", "anyOf", "prefixItems", "additionalProperties")


def conformance_shape(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """What of a property's schema decides how the SDK conforms its values."""
    return {key: schema[key] for key in _CONFORMANCE_KEYS if key in schema}


class CustomersStream(ProfitWellStream[PageToken]):
    """Every customer, oldest ``updated_on`` first, resumable from the last bookmark."""

    name = "customers"
    path = "/v2/customers/"
    primary_keys = ("customer_id",)
    replication_key = "updated_on"
    is_sorted = True
    schema = CUSTOMER_SCHEMA

    _paginator: CustomerPaginator
    _page: tuple[requests.Response, list[dict[str, t.Any]], bool] | None = None

    @cached_property
    def own_conformance(self) -> tuple[frozenset[str], frozenset[str]] | None:
        """The properties and array properties, when the tap conforms records itself.

        It does whenever the effective schema conforms like the tap's own (a catalog may
        deselect properties or reword them, not retype them): then ``conform_records`` does per
        page what the SDK does per record, for a fraction of the CPU. Any other schema keeps
        the SDK's conformance.
        """
        schema = self.effective_schema
        properties: dict[str, t.Any] = schema.get("properties") or {}
        own = CUSTOMER_SCHEMA["properties"]
        if schema.get("additionalProperties") or any(
            name not in own or conformance_shape(value) != conformance_shape(own[name])
            for name, value in properties.items()
        ):
            return None
        arrays = frozenset(name for name, value in properties.items() if "items" in value)
        return frozenset(properties), arrays

    @override
    @property
    def TYPE_CONFORMANCE_LEVEL(self) -> TypeConformanceLevel:  # type: ignore[override]
        """None when the tap conforms records itself (see ``own_conformance``)."""
        if self.own_conformance is None:
            return TypeConformanceLevel.RECURSIVE
        return TypeConformanceLevel.NONE

    def conform(self, records: list[dict[str, t.Any]], *, finite: bool) -> None:
        """Conform a page's records in place, when the SDK is not doing it."""
        own = self.own_conformance
        if own is not None:
            conform_records(records, *own, finite=finite, stream_name=self.name, logger=self.logger)

    @override
    def get_new_paginator(self) -> CustomerPaginator:
        start = self.starting_value()
        self._paginator = CustomerPaginator(
            start, per_page=self.settings.per_page, logger=self.logger
        )
        range_end = self.settings.end_date or format_timestamp(dt.datetime.now(dt.timezone.utc))
        self._progress = ProgressReporter(self.logger, self.counters, range_end=range_end)
        return self._paginator

    @override
    @property
    def emit_activate_version_messages(self) -> bool:
        """Never: ACTIVATE_VERSION tells a target to drop every row it did not just receive.

        No run of this tap reads the whole table at once: the search is incremental, and the
        ``email`` and ``customer_ids`` lookups (FULL_TABLE to the SDK) read a few customers.
        """
        return False

    @override
    @property
    def replication_method(self) -> str:
        """Incremental, but a search filtered by ``email`` is a lookup (see ``starting_value``)."""
        # The raw setting, not ``settings``: discovery runs on a config not yet validated.
        return "FULL_TABLE" if self.config.get("email") else super().replication_method

    def starting_value(self) -> str | None:
        """The bookmark, or ``start_date`` when newer or alone, as a canonical timestamp.

        A search filtered by ``email`` starts at ``start_date`` and leaves the bookmark as it
        found it: moving it to that one customer's ``updated_on`` would make the next, unfiltered
        run skip everyone else updated before then.
        """
        if self.settings.email:
            return self.settings.start_date
        value = self.get_starting_replication_key_value(None)
        if value is None or value == "":
            return None
        try:
            return format_timestamp(parse_user_datetime(value))
        except ValueError as exc:
            msg = f"The state's bookmark for {self.name} is not a date-time: {exc}"
            raise InvalidStateError(msg) from None

    @override
    def compare_start_date(self, value: str, start_date_value: str) -> str:
        """The later of the bookmark and ``start_date``, whatever format each was given in."""
        return max(format_timestamp(parse_user_datetime(v)) for v in (value, start_date_value))

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, t.Any]:
        settings = self.settings
        token = next_page_token or PageToken(None, 1)
        params: dict[str, t.Any] = {
            "date_field": "updated_on",
            "direction": "asc",
            "per_page": settings.per_page,
            "page": token.page,
        }
        if token.start_date:
            params["start_date"] = token.start_date
        if settings.end_date:
            params["end_date"] = settings.end_date
        if settings.email:
            params["email"] = settings.email
        return params

    @override
    def accept_body(self, response: requests.Response) -> None:
        payload, strict = decode_json(response)
        self._page = (response, normalize_page(payload), strict)

    @override
    def parse_response(self, response: requests.Response) -> list[dict[str, t.Any]]:
        if self._page is None or self._page[0] is not response:
            self.accept_body(response)
        assert self._page is not None  # noqa: S101 - set just above
        _, records, strict = self._page
        self._page = None
        fresh = self._paginator.select(records)
        self.conform(fresh, finite=strict)
        self.counters.emitted += len(fresh)
        self._progress.page_done(fresh[-1]["updated_on"] if fresh else None)
        return fresh


class CustomersByIdStream(CustomersStream):
    """Exactly the customers named in ``customer_ids``, from ``/v2/customers/<id>/``.

    A targeted lookup: records come in the order asked, not by ``updated_on``, so this mode
    leaves the search bookmark in the state untouched.
    """

    @override
    @property
    def replication_method(self) -> str:
        return "FULL_TABLE"

    @cached_property
    def requestable_ids(self) -> tuple[str, ...]:
        """The ids to fetch: all but those made only of dots, which no URL can carry.

        ``requests`` turns ``%2E`` back into ``.``, and servers read a path segment of dots as
        "this" or "the parent" directory, so such an id would fetch another resource.
        """
        ids = self.settings.customer_ids
        unusable = [i for i in ids if set(i) == {"."}]
        for customer_id in unusable:
            self.logger.warning(
                "Customer id %r skipped: a URL path segment made only of dots "
                "would address another resource",
                customer_id,
            )
        return tuple(i for i in ids if i not in unusable)

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Every customer found; none found at all means a wrong ``api_url``, most likely.

        Raises:
            FatalAPIError: when every id came back 404.
        """
        if not self.requestable_ids:
            return
        yield from super().get_records(context)
        if self.counters.emitted == 0:
            msg = (
                f"None of the {len(self.requestable_ids)} customer_ids was found at "
                f"{self.url_base} (HTTP 404 for each): check the api_url setting and the ids."
            )
            raise FatalAPIError(msg)

    @override
    def get_new_paginator(self) -> CustomerIdPaginator:  # type: ignore[override]
        return CustomerIdPaginator(len(self.requestable_ids))

    @override
    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return {}

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        request = super().get_http_request(page=page)
        customer_id = self.requestable_ids[t.cast("int", page.next_page_token) - 1]
        request.url = f"{self.url_base}/v2/customers/{path_segment(customer_id)}/"
        return request

    @override
    def is_missing_customer(self, response: requests.Response) -> bool:
        return True

    @override
    def accept_body(self, response: requests.Response) -> None:
        payload, strict = decode_json(response)
        self._page = (response, [normalize_customer(payload)], strict)

    @override
    def parse_response(self, response: requests.Response) -> list[dict[str, t.Any]]:
        if response.status_code == HTTPStatus.NOT_FOUND:
            self.logger.warning("Customer not found (HTTP 404), skipped: %s", response.url)
            return []
        if self._page is None or self._page[0] is not response:
            self.accept_body(response)
        assert self._page is not None  # noqa: S101 - set just above
        _, records, strict = self._page
        self._page = None
        self.conform(records, finite=strict)
        self.counters.emitted += len(records)
        return records


def path_segment(value: str) -> str:
    """Percent-encode ``value`` as exactly one path segment (slashes, ``?`` and ``#`` too)."""
    return quote(value, safe="")
