"""Client-side pacing: stay inside ProfitWell's 25 requests per 5 seconds, retries included.

The limit is a sliding window, so the pacing is one too (pyrate-limiter's sliding-window log):
a token bucket that bursts 25 and refills at 5/s could send 50 requests in the first 5 s and
be throttled. The wait happens in the session's transport adapter, so every HTTP request the
run sends, first tries and retries alike, draws from one budget.
"""

from __future__ import annotations

import typing as t

from pyrate_limiter import Duration, Limiter, Rate
from requests.adapters import HTTPAdapter
from typing_extensions import override

if t.TYPE_CHECKING:
    import requests

    from tap_profitwell.progress import SyncCounters

_BUCKET = "profitwell"


def build_limiter(max_requests: int, window_seconds: float) -> Limiter | None:
    """A limiter allowing ``max_requests`` in any ``window_seconds``; None when pacing is off."""
    if max_requests <= 0:
        return None
    return Limiter(Rate(max_requests, int(window_seconds * Duration.SECOND)))


class PacedAdapter(HTTPAdapter):
    """An HTTP adapter that waits for the limiter before each request and counts requests."""

    def __init__(self, limiter: Limiter | None, counters: SyncCounters) -> None:
        """Pace with ``limiter`` (None sends at once) and count into ``counters``."""
        super().__init__()
        self.limiter = limiter
        self.counters = counters

    @override
    def send(
        self, request: requests.PreparedRequest, *args: t.Any, **kwargs: t.Any
    ) -> requests.Response:
        if self.limiter is not None:
            self.limiter.try_acquire(_BUCKET)
        self.counters.requests += 1
        return super().send(request, *args, **kwargs)
