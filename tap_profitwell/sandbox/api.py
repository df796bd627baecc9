"""The Customers API's rules: routing, auth, throttling, validation, paging and faults.

Kept free of sockets (request in, ``Reply`` out) so the HTTP layer stays a thin adapter.
Order per request: proxy faults, then auth, then the rate limiter, then routing and validation,
then the answer (possibly spoilt by a payload fault).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from tap_profitwell.sandbox.dates import US_PER_SECOND, DateParseError, parse_instant
from tap_profitwell.sandbox.faults import corrupt, firing, throttled, transport_reply
from tap_profitwell.sandbox.ratelimit import SlidingWindowLimiter
from tap_profitwell.sandbox.replies import Reply, json_reply, message, page_body
from tap_profitwell.sandbox.stats import Stats

if TYPE_CHECKING:
    from tap_profitwell.sandbox.config import Fault, SandboxConfig
    from tap_profitwell.sandbox.store import Store

MAX_PER_PAGE = 250
MAX_OFFSET = 100_000  # page may not exceed MAX_OFFSET // per_page
CONTROL_PREFIX = "/_sandbox/"
_DIGITS = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class SearchQuery:
    """A validated search: instants in microseconds, paging as offset and limit."""

    start: int | None
    end: int | None
    email: str | None
    offset: int
    limit: int
    descending: bool


class Api:
    """Answers requests against a store, counting what it does."""

    def __init__(self, config: SandboxConfig, store: Store) -> None:
        """Wire the configured limiter and counters to the store."""
        self.config = config
        self.store = store
        self.stats = Stats()
        self.limiter = (
            SlidingWindowLimiter(config.rate_limit_requests, config.rate_limit_window)
            if config.rate_limit_requests
            else None
        )

    def handle(self, method: str, target: str, authorization: str | None) -> Reply:
        """Answer one HTTP request given its method, raw request target and auth header."""
        path, _, query = target.partition("?")
        if path.startswith(CONTROL_PREFIX):
            return self._control(method, path, query)
        number = self.stats.next_request()
        reply = self._api(method, path, query, authorization, number)
        reply.delay += self.config.latency
        if not reply.drop:
            self.stats.record_status(reply.status)
        return reply

    def _api(
        self, method: str, path: str, query: str, authorization: str | None, number: int
    ) -> Reply:
        """Apply a firing proxy-level fault, or let the API answer (maybe slowly)."""
        fault = firing(self.config.faults, number)
        if fault is not None and (early := transport_reply(fault)) is not None:
            self.stats.add("faults_injected")
            return early
        reply = self._respond(method, path, query, authorization, fault)
        if fault is not None and fault.kind == "slow":
            self.stats.add("faults_injected")
            reply.delay += fault.delay
        return reply

    def _respond(
        self, method: str, path: str, query: str, authorization: str | None, fault: Fault | None
    ) -> Reply:
        """What the API itself would answer."""
        if authorization != self.config.token:
            return message(401, "Invalid token.")
        if self.limiter is not None and (wait := self.limiter.acquire()) is not None:
            return throttled(wait if self.config.rate_limit_retry_after else None)
        route = _route(path)
        if isinstance(route, Reply):
            return route
        if method != "GET":
            return message(405, f'Method "{method}" not allowed.')
        if route is None:
            self.stats.add("search_requests")
            return self._search(query, fault)
        self.stats.add("single_requests")
        return self._single(route, fault)

    def _search(self, query: str, fault: Fault | None) -> Reply:
        """A page of customers as a bare JSON array; mutations may follow it."""
        parsed = parse_search(query, truncate_to_seconds=self.config.truncate_start_to_seconds)
        if isinstance(parsed, Reply):
            return parsed
        rows = self.store.search(
            parsed.start,
            parsed.end,
            parsed.email,
            parsed.offset,
            parsed.limit,
            descending=parsed.descending,
        )
        body = self._spoil(fault, rows, single=False) or page_body(rows)
        reply = Reply(200, body)
        every = self.config.mutate_every
        if every and self.stats.add("served_searches") % every == 0:
            count, target = self.config.mutate_count, self.config.mutate_target
            reply.after = lambda: self.store.mutate(count, target)
        return reply

    def _single(self, customer_id: str, fault: Fault | None) -> Reply:
        """One customer as a JSON object, or 404."""
        row = self.store.get(customer_id)
        if row is None:
            return message(404, "Customer not found")
        return Reply(200, self._spoil(fault, [row], single=True) or row)

    def _spoil(self, fault: Fault | None, rows: list[bytes], *, single: bool) -> bytes | None:
        """Apply a payload fault, counting it only if it changed the answer."""
        spoilt = None if fault is None else corrupt(fault, rows, single=single)
        if spoilt is not None:
            self.stats.add("faults_injected")
        return spoilt

    def _control(self, method: str, path: str, query: str) -> Reply:
        """Unauthenticated endpoints for tests and benchmarks, outside the API's namespace."""
        name = path[len(CONTROL_PREFIX) :].strip("/")
        if method == "GET" and name == "stats":
            return json_reply(200, self.stats_dict())
        if method == "GET" and name == "customers":
            return Reply(200, page_body(self.store.rows()))
        if method == "POST" and name == "mutate":
            values = parse_qs(query).get("n", ["1"])
            if not _DIGITS.fullmatch(values[0]):
                return message(400, "n must be a non-negative integer")
            changed = self.store.mutate(int(values[0]), self.config.mutate_target)
            return json_reply(200, {"mutated": changed})
        if name in {"stats", "customers", "mutate"}:
            return message(405, f'Method "{method}" not allowed.')
        return message(404, "Not found.")

    def stats_dict(self) -> dict[str, object]:
        """Counters plus the store's mutation count."""
        return self.stats.as_dict(self.store.mutated)


def parse_search(query: str, *, truncate_to_seconds: bool = False) -> SearchQuery | Reply:
    """Validate search parameters as the API does; a 400 Reply names the bad parameter."""
    params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    date_field = params.get("date_field") or "updated_on"
    if date_field != "updated_on":
        return message(
            400, f"Invalid date_field {date_field!r}: the only valid value is updated_on"
        )
    per_page = _bounded_int(params.get("per_page") or str(MAX_PER_PAGE), MAX_PER_PAGE)
    if per_page is None:
        return message(400, f"Invalid per_page: must be an integer from 1 to {MAX_PER_PAGE}")
    max_page = MAX_OFFSET // per_page
    page = _bounded_int(params.get("page") or "1", max_page)
    if page is None:
        return message(
            400, f"Invalid page: must be an integer from 1 to {max_page} (100000 / per_page)"
        )
    direction = params.get("direction") or "asc"
    if direction not in {"asc", "desc"}:
        return message(400, "Invalid direction: must be asc or desc")
    instants: dict[str, int | None] = {}
    for name in ("start_date", "end_date"):
        text = params.get(name)
        try:
            value = parse_instant(text) if text else None
        except DateParseError:
            return message(
                400, f"Invalid {name} {text!r}: use a unix timestamp or an ISO-8601 date/time"
            )
        if truncate_to_seconds and value is not None:
            value -= value % US_PER_SECOND  # the emulated API ignores fractions of a second
        instants[name] = value
    return SearchQuery(
        start=instants["start_date"],
        end=instants["end_date"],
        email=params.get("email") or None,
        offset=(page - 1) * per_page,
        limit=per_page,
        descending=direction == "desc",
    )


def _route(path: str) -> str | Reply | None:
    """None for the search, the decoded customer_id for one customer, else a 404 Reply.

    The id is decoded after splitting on "/", so an encoded "/" stays inside the id.
    """
    parts = path.split("/")
    if parts[:3] != ["", "v2", "customers"] or len(parts) > 5:  # noqa: PLR2004
        return message(404, "Not found.")
    if parts[-1] != "" or len(parts) == 3:  # noqa: PLR2004
        return message(404, f"Not found. The URL must end with a slash: {path}/")
    return unquote(parts[3]) if len(parts) == 5 else None  # noqa: PLR2004


def _bounded_int(text: str, maximum: int) -> int | None:
    """Parse a plain decimal integer in 1..maximum, else None."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None
