"""Progress lines on stderr during a long sync, and the closing summary line.

The stream is ordered by ``updated_on``, so the share of the run's ``updated_on`` range already
covered is a fair measure of how far along it is.
"""

from __future__ import annotations

import dataclasses
import time
import typing as t

from tap_profitwell.timestamps import parse_iso_datetime

if t.TYPE_CHECKING:
    import logging

_INTERVAL_SECONDS = 10.0


@dataclasses.dataclass
class SyncCounters:
    """What one stream did in this run, for the summary line."""

    emitted: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    started: float = dataclasses.field(default_factory=time.monotonic)

    def summary(self, stream: str) -> str:
        """One line: customers emitted, requests, retries, 429s and duration."""
        seconds = time.monotonic() - self.started
        return (
            f"Sync summary for {stream}: {self.emitted} customers emitted, "
            f"{self.requests} requests, {self.retries} retries, {self.throttled} throttled (429), "
            f"{seconds:.2f} s"
        )


class ProgressReporter:
    """Logs records so far, rate and position in the ``updated_on`` range every few seconds."""

    def __init__(
        self,
        logger: logging.Logger,
        counters: SyncCounters,
        *,
        range_end: str,
        interval: float = _INTERVAL_SECONDS,
    ) -> None:
        """Report to ``logger``; ``range_end`` is end_date or the run's start time."""
        self._logger = logger
        self._counters = counters
        self._interval = interval
        self._next_report = time.monotonic() + interval
        self._range_end = parse_iso_datetime(range_end).timestamp()
        self._range_start: float | None = None

    def page_done(self, newest_updated_on: str | None) -> None:
        """Called once per page; logs only when the interval has passed."""
        if newest_updated_on is None:
            return
        now = time.monotonic()
        position = parse_iso_datetime(newest_updated_on).timestamp()
        if self._range_start is None:
            self._range_start = position
        if now < self._next_report:
            return
        self._next_report = now + self._interval
        elapsed = max(now - self._counters.started, 1e-9)
        span = self._range_end - self._range_start
        share = 1.0 if span <= 0 else min(max((position - self._range_start) / span, 0.0), 1.0)
        self._logger.info(
            "Progress: %d customers emitted, %.0f/s, updated_on at %s (%.0f%% of the range)",
            self._counters.emitted,
            self._counters.emitted / elapsed,
            newest_updated_on,
            share * 100,
        )
