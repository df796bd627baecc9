"""An in-memory model of the search endpoint's rules, for unit tests of the paginator.

Inclusive start_date, ordering by (updated_on, insertion), page offsets, and updates that move a
customer to a new, later updated_on between two requests.
"""

from __future__ import annotations

import itertools
import typing as t

from tap_profitwell.paginator import CustomerPaginator, PageToken


class SearchModel:
    def __init__(self, timestamps: t.Iterable[str], *, floor_to_seconds: bool = False) -> None:
        self.floor_to_seconds = floor_to_seconds
        self._seq = itertools.count()
        self.rows: dict[str, tuple[str, int]] = {}
        for number, ts in enumerate(timestamps):
            self.rows[f"cus_{number:06d}"] = (ts, next(self._seq))
        self.requests: list[PageToken] = []
        self.after_request: t.Callable[[SearchModel, int], None] | None = None
        self.clock = 0

    def update(self, customer_id: str) -> None:
        """Move a customer to a new updated_on later than every other."""
        self.clock += 1
        self.rows[customer_id] = (f"2099-01-01T00:00:00.{self.clock:06d}Z", next(self._seq))

    def search(self, token: PageToken, per_page: int) -> list[dict[str, str]]:
        self.requests.append(token)
        ordered = sorted(self.rows.items(), key=lambda item: item[1])
        start = token.start_date
        if start is not None and self.floor_to_seconds:
            start = start[:19] + ".000000Z"
        matching = [
            {"customer_id": cid, "updated_on": ts}
            for cid, (ts, _) in ordered
            if start is None or ts >= start
        ]
        offset = (token.page - 1) * per_page
        page = matching[offset : offset + per_page]
        if self.after_request:
            self.after_request(self, len(self.requests))
        return page


def drain(
    model: SearchModel, per_page: int, start: str | None = None, max_requests: int = 10_000
) -> list[dict[str, str]]:
    """Run a paginator against the model the way the SDK's request loop does."""
    paginator = CustomerPaginator(start, per_page=per_page)
    emitted: list[dict[str, str]] = []
    while not paginator.finished:
        assert len(model.requests) < max_requests, "pagination did not end"
        token = paginator.current_value
        assert token.page <= paginator.max_page
        emitted.extend(paginator.select(model.search(token, per_page)))
        paginator.advance(None)  # type: ignore[arg-type]
    return emitted


def ts(second: int, micros: int = 0) -> str:
    """A canonical timestamp on 2024-01-01 at the given second of the day."""
    hours, rest = divmod(second, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"2024-01-01T{hours:02d}:{minutes:02d}:{seconds:02d}.{micros:06d}Z"
