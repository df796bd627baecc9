"""Checks that a decoded search response really is a page of customers, in order.

The paginator and the bookmark rest on two facts about each page: every customer has a
``customer_id`` and an ``updated_on``, and the page is sorted by ``updated_on``. A page that
breaks either is refused with a message naming the customer, never half-used: skipping a
record would lose a customer silently, and a bookmark past it would never come back to it.
"""

from __future__ import annotations

import functools
import math
import typing as t

import msgspec.json

from tap_profitwell.timestamps import canonical_timestamp

if t.TYPE_CHECKING:
    import logging

    import requests


class UnexpectedBodyError(ValueError):
    """The body is not the bare JSON array the API documents (a proxy page, an object)."""


class InvalidCustomerError(ValueError):
    """A customer on the page cannot be identified, ordered or bookmarked."""


def describe_json(payload: object) -> str:
    """Name a JSON value's kind for an error message, without echoing its content."""
    if isinstance(payload, dict):
        keys = ", ".join(sorted(map(str, payload))[:5])
        return f"a JSON object (keys: {keys})"
    return f"a JSON {type(payload).__name__}"


def decode_json(response: requests.Response) -> tuple[object, bool]:
    """The body's JSON, and whether it came from the strict decoder.

    msgspec decodes several times faster than ``response.json()`` and refuses what JSON does
    not allow (``NaN``, lone surrogates, numbers beyond a float), so its values are always
    finite. Whatever it refuses goes to ``response.json()``, which decides as before: it
    either accepts the body (then ``strict`` is False and values may be non-finite) or raises
    the same ``ValueError`` as before.
    """
    try:
        return msgspec.json.decode(response.content), True
    except msgspec.DecodeError:
        return response.json(), False


def normalize_page(payload: object) -> list[dict[str, t.Any]]:
    """Validate a search page and rewrite each ``updated_on`` in canonical form, in place.

    Raises:
        UnexpectedBodyError: the payload is not a JSON array of objects.
        InvalidCustomerError: a customer lacks its id or a parseable ``updated_on``, or the
            page is not sorted by ``updated_on``.
    """
    if not isinstance(payload, list):
        msg = f"expected a JSON array of customers, got {describe_json(payload)}"
        raise UnexpectedBodyError(msg)
    previous = ""
    for position, record in enumerate(payload, start=1):
        if not isinstance(record, dict):
            msg = f"item {position} of the page is {describe_json(record)}, not a customer"
            raise UnexpectedBodyError(msg)
        # The usual case inline (a string id and a parseable string timestamp): a page is
        # 250 customers, and the helpers below are for the errors and the unusual shapes.
        customer_id = record.get("customer_id")
        if type(customer_id) is not str or not customer_id:
            customer_id = _customer_id(record, position)
        raw = record.get("updated_on")
        try:
            updated_on = canonical_timestamp(raw) if type(raw) is str else None
        except ValueError:
            updated_on = None
        if updated_on is None:
            updated_on = _updated_on(record, customer_id)  # raises, naming the customer
        if updated_on < previous:
            msg = (
                f"customers out of updated_on order: {customer_id!r} ({updated_on}) "
                f"follows a customer updated at {previous}"
            )
            raise InvalidCustomerError(msg)
        record["updated_on"] = previous = updated_on
    return payload


def normalize_customer(payload: object) -> dict[str, t.Any]:
    """Validate the single-customer endpoint's JSON object.

    Raises:
        UnexpectedBodyError: the payload is not a JSON object.
        InvalidCustomerError: the customer lacks its id or a parseable ``updated_on``.
    """
    if not isinstance(payload, dict):
        msg = f"expected a JSON object for one customer, got {describe_json(payload)}"
        raise UnexpectedBodyError(msg)
    payload["updated_on"] = _updated_on(payload, _customer_id(payload, 1))
    return payload


def _customer_id(record: dict[str, t.Any], position: int) -> str:
    customer_id = record.get("customer_id")
    if isinstance(customer_id, int) and not isinstance(customer_id, bool):
        customer_id = record["customer_id"] = str(customer_id)
    if not isinstance(customer_id, str) or not customer_id:
        msg = f"customer {position} of the page has no customer_id"
        raise InvalidCustomerError(msg)
    return customer_id


def _updated_on(record: dict[str, t.Any], customer_id: str) -> str:
    raw = record.get("updated_on")
    if not isinstance(raw, str):
        msg = f"customer {customer_id!r} has no updated_on"
        raise InvalidCustomerError(msg)
    try:
        return canonical_timestamp(raw)
    except ValueError:
        msg = f"customer {customer_id!r} has an updated_on that is not a date-time: {raw!r}"
        raise InvalidCustomerError(msg) from None


def conform_records(  # noqa: PLR0913 - the schema's facts and the logging target
    records: list[dict[str, t.Any]],
    properties: frozenset[str],
    arrays: frozenset[str],
    *,
    finite: bool,
    stream_name: str,
    logger: logging.Logger,
) -> None:
    """Do, in place and per page, what the SDK's type conformance would do record by record.

    For the customers schema (flat: strings, integers, date-times, one array of strings) the
    SDK's conformance only drops properties the schema lacks, warning once per set of names,
    and turns non-finite numbers into null. Here the first is one set comparison per record
    and the second is needed only when the lenient decoder was used (``finite`` False).
    """
    for record in records:
        if not record.keys() <= properties:
            unknown = tuple(key for key in record if key not in properties)
            for key in unknown:
                del record[key]
            _warn_unmapped(stream_name, unknown, logger)
        if not finite:
            _null_non_finite(record, arrays)


def _null_non_finite(record: dict[str, t.Any], arrays: frozenset[str]) -> None:
    for key, value in record.items():
        if isinstance(value, float) and not math.isfinite(value):
            record[key] = None
        elif key in arrays and isinstance(value, list):
            record[key] = [
                None if isinstance(item, float) and not math.isfinite(item) else item
                for item in value
            ]


@functools.cache
def _warn_unmapped(stream_name: str, names: tuple[str, ...], logger: logging.Logger) -> None:
    """The SDK's warning for properties outside the schema, once per stream and set of names."""
    logger.warning(
        "Properties %s were present in the '%s' stream but not found in catalog schema. Ignoring.",
        names,
        stream_name,
    )
