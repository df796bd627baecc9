"""Pagination that cannot lose a customer: move ``start_date`` forward, page only through ties.

Why not plain page numbers: the search is ordered by ``updated_on``, so a customer updated while
a sync pages through shifts every later customer one place and page N+1 skips one; page numbers
also stop at 100000 / per_page. Instead each request starts at the newest ``updated_on`` seen so
far (the API's ``start_date`` is inclusive, so nothing at that instant is skipped) and page 1.
Only when a whole page shares one ``updated_on`` does the next request keep ``start_date`` and
take the next page number. Because such a multi-page read of one instant can itself be shifted
by an update, it is read again from page 1 until a pass finds no customer it had missed, and
the read then resumes one microsecond after that instant, from page 1.

Records at the boundary come back in the next response; each is emitted once per run by
remembering the ids seen at the newest instant only, so memory stays bounded by the largest
block of customers sharing one timestamp, not by the size of the account.
"""

from __future__ import annotations

import logging
import typing as t

from singer_sdk.pagination import BaseAPIPaginator

from tap_profitwell.timestamps import next_instant

if t.TYPE_CHECKING:
    import requests

#: The API refuses page numbers above PAGE_OFFSET_LIMIT // per_page.
PAGE_OFFSET_LIMIT = 100_000
#: How many times a multi-page block of one timestamp is re-read while it keeps changing.
MAX_VERIFY_PASSES = 3

Record = dict[str, t.Any]


class PageToken(t.NamedTuple):
    """Where the next request reads: an inclusive ``start_date`` and a page number."""

    start_date: str | None
    page: int


class TieBlockTooLargeError(RuntimeError):
    """More customers share one ``updated_on`` than the page cap lets the API return."""


class CustomerPaginator(BaseAPIPaginator[PageToken]):
    """Chooses each next request and which records of each page are new in this run.

    The stream hands every decoded page to :meth:`select` (from ``parse_response``); the SDK
    then calls ``advance``, whose ``get_next`` returns the token :meth:`select` decided on.
    """

    def __init__(
        self,
        start_date: str | None,
        *,
        per_page: int,
        logger: logging.Logger | None = None,
    ) -> None:
        """Start at ``start_date`` (canonical timestamp, inclusive), or the first customer."""
        super().__init__(PageToken(start_date, 1))
        self.per_page = per_page
        self.max_page = PAGE_OFFSET_LIMIT // per_page
        self._logger = logger or logging.getLogger(__name__)
        self._boundary = start_date
        self._boundary_ids: set[str] = set()
        self._next: PageToken | None = None
        self._verify_pass = 0
        self._missed_in_pass = 0
        self._floors_start = False
        self._error: TieBlockTooLargeError | None = None

    @property
    def boundary(self) -> tuple[str | None, frozenset[str]]:
        """The newest ``updated_on`` emitted so far and the ids emitted at that instant."""
        return self._boundary, frozenset(self._boundary_ids)

    def select(self, records: list[Record]) -> list[Record]:
        """Return the records of this page that were not yet emitted, and plan the next request.

        ``records`` must be sorted by canonical ``updated_on`` (see ``pages.normalize_page``).
        """
        start, page = self.current_value
        if not records:
            self._next = None
            return []
        newest: str = records[-1]["updated_on"]
        full = len(records) >= self.per_page
        leaves_start = start is None or newest > start
        fresh = self._fresh(records)
        if self._verify_pass:
            self._missed_in_pass += sum(1 for r in fresh if r["updated_on"] == start)

        if start is not None and records[0]["updated_on"] < start:
            self._floors_start = True
        ends_block = start is not None and (leaves_start or not full)
        if ends_block and (self._verify_pass or page > 1):
            # A multi-page read of one instant just ended. Customers after it may have shifted
            # into pages read earlier, so the rest of this page is not trusted: read the
            # instant again, or, once it proved stable, everything strictly after it.
            at_start = [r for r in fresh if r["updated_on"] == start]
            if self._needs_another_pass(start):
                self._remember(at_start, start)
                self._next = PageToken(start, 1)
                return at_start
            if not self._floors_start:
                self._remember(at_start, start)
                self._next = PageToken(next_instant(start), 1)
                return at_start
            # This API ignores fractions of a second in start_date, so "one microsecond later"
            # would read the same second again: take the rest of this page as it stands.

        self._remember(fresh, newest)
        if not full:
            self._next = None
        elif leaves_start:
            self._next = PageToken(newest, 1)
        else:
            self._next = PageToken(start, self._next_page_number(start, page))
        return fresh

    def _fresh(self, records: list[Record]) -> list[Record]:
        """Drop the records already emitted: older than the boundary, or at it with a known id."""
        boundary = self._boundary
        if boundary is None or records[0]["updated_on"] > boundary:
            return records
        seen = self._boundary_ids
        fresh: list[Record] = []
        for index, record in enumerate(records):
            updated_on = record["updated_on"]
            if updated_on > boundary:
                fresh.extend(records[index:])
                break
            if updated_on == boundary and record["customer_id"] not in seen:
                fresh.append(record)
        return fresh

    def _remember(self, emitted: list[Record], newest: str) -> None:
        """Move the boundary to ``newest`` and keep only the ids emitted at that instant.

        The boundary never moves back: a page of customers already emitted (as an API that
        ignores sub-second start dates returns) says nothing new.
        """
        if self._boundary is not None and newest < self._boundary:
            return
        at_newest = {r["customer_id"] for r in emitted if r["updated_on"] == newest}
        if newest == self._boundary:
            self._boundary_ids.update(at_newest)
        else:
            self._boundary = newest
            self._boundary_ids = at_newest

    def _needs_another_pass(self, start: str) -> bool:
        """After a multi-page read of one instant, decide whether to read it once more.

        The first read is always checked by a second; a pass that finds no customer the
        previous ones missed proves the block stood still, and the passes are bounded.
        """
        if self._verify_pass and self._missed_in_pass == 0:
            self._verify_pass = 0
            return False
        if self._verify_pass >= MAX_VERIFY_PASSES:
            self._logger.warning(
                "Customers at updated_on %s kept changing through %d re-reads; "
                "moving on (any customer updated since will come later in this sync).",
                start,
                self._verify_pass,
            )
            self._verify_pass = 0
            return False
        self._verify_pass += 1
        self._missed_in_pass = 0
        return True

    def _next_page_number(self, start: str, page: int) -> int:
        """The next page through a tie block; at the cap, the error for :meth:`has_more`.

        The page in hand is still emitted: its customers are good, and the bookmark then
        stands at ``start``, so nothing is skipped.
        """
        if page + 1 > self.max_page:
            reached = self.max_page * self.per_page
            msg = (
                f"At least {reached} customers share updated_on {start}: the API's page limit "
                f"({self.max_page} pages of {self.per_page}) cannot reach past them, so the sync "
                f"stops here rather than skip any. The {reached} were emitted; a rerun stops here "
                f"again. To move on, knowing that any more customers at that instant are skipped, "
                f"set start_date to {next_instant(start)}."
            )
            self._error = TieBlockTooLargeError(msg)
        return page + 1

    def has_more(self, response: requests.Response) -> bool:  # noqa: ARG002
        """Whether :meth:`select` planned another request.

        Raises:
            TieBlockTooLargeError: the next page is past the API's page cap.
        """
        if self._error is not None:
            raise self._error
        return self._next is not None

    def continue_if_empty(self, response: requests.Response) -> bool:
        """Keep going past a page whose customers were all emitted already."""
        return self.has_more(response)

    def get_next(self, response: requests.Response) -> PageToken | None:  # noqa: ARG002
        """The token planned by :meth:`select` for this response."""
        return self._next


class CustomerIdPaginator(BaseAPIPaginator[int]):
    """Walks a fixed list of customer ids, one request each; the token is a 1-based position."""

    def __init__(self, count: int) -> None:
        """Start at the first of ``count`` ids."""
        super().__init__(1)
        self._count = count

    def has_more(self, response: requests.Response) -> bool:  # noqa: ARG002
        """Until the last id has been requested."""
        return self.current_value < self._count

    def continue_if_empty(self, response: requests.Response) -> bool:
        """A missing customer (404) does not end the list."""
        return self.has_more(response)

    def get_next(self, response: requests.Response) -> int:  # noqa: ARG002
        """The next position."""
        return self.current_value + 1
