"""Checks that a decoded search response really is a page of customers, in order.

The paginator and the bookmark rest on two facts about each page: every customer has a
``customer_id`` and an ``updated_on``, and the page is sorted by ``updated_on``. A page that
breaks either is refused with a message naming the customer, never half-used: skipping a
record would lose a customer silently, and a bookmark past it would never come back to it.
"""

from __future__ import annotations

import typing as t

from tap_profitwell.timestamps import canonical_timestamp


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
        customer_id = _customer_id(record, position)
        updated_on = _updated_on(record, customer_id)
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
