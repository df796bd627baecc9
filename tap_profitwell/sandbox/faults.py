"""Injected failures: a misbehaving proxy in front of the API, or a misbehaving API."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tap_profitwell.sandbox.config import PAYLOAD_FAULTS
from tap_profitwell.sandbox.data import dump
from tap_profitwell.sandbox.replies import HTML, TEXT, Reply, json_reply, message, page_body

if TYPE_CHECKING:
    from tap_profitwell.sandbox.config import Fault

THROTTLED = b"Request was throttled."
BAD_GATEWAY_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
PORTAL_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in to the network</title></head>"
    b"<body><h1>Welcome to Guest Wi-Fi</h1><p>Please accept the terms to continue.</p>"
    b"</body></html>"
)
_STATUS_MESSAGES = {
    500: "Internal server error",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


def firing(faults: list[Fault], request_number: int) -> Fault | None:
    """The first configured fault that fires for this request; at most one applies."""
    return next((f for f in faults if f.fires(request_number)), None)


def throttled(retry_after: int | None) -> Reply:
    """The API's 429, optionally telling the client when to retry."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return Reply(429, THROTTLED, TEXT, headers)


def transport_reply(fault: Fault) -> Reply | None:
    """The reply a proxy-level fault sends instead of the API's; None if the API should answer."""
    kind = fault.kind
    if kind in {"500", "503", "504"}:
        return message(int(kind), _STATUS_MESSAGES[int(kind)])
    if kind == "502":
        return Reply(502, BAD_GATEWAY_PAGE, HTML)
    if kind == "429":
        return throttled(fault.retry_after)
    if kind == "html200":
        return Reply(200, PORTAL_PAGE, HTML)
    if kind == "drop":
        return Reply(0, drop=True)
    return None  # slow (just delayed) and payload faults: the API answers


def corrupt(fault: Fault, rows: list[bytes], *, single: bool) -> bytes | None:
    """The body of a 200 answer spoilt by a payload fault; None if it doesn't apply.

    ``rows`` is the page (search) or the one customer (single). ``object`` and ``unsorted``
    only make sense for pages; ``missing_id`` and ``bad_date`` need at least one record.
    """
    kind = fault.kind
    if kind not in PAYLOAD_FAULTS:
        return None
    body = rows[0] if single else page_body(rows)
    if kind == "truncate":
        return body[: max(1, len(body) // 2)]
    if kind == "object" and not single:
        return json_reply(200, {"data": [json.loads(r) for r in rows]}).body
    if kind == "unsorted" and len(rows) > 1:
        return page_body([rows[-1], *rows[1:-1], rows[0]])
    if kind in {"missing_id", "bad_date"} and rows:
        index = 0 if single else len(rows) // 2
        record = json.loads(rows[index])
        if kind == "missing_id":
            del record["customer_id"]
        else:
            record["updated_on"] = "not-a-date"
        spoilt = [*rows[:index], dump(record), *rows[index + 1 :]]
        return spoilt[0] if single else page_body(spoilt)
    return None
