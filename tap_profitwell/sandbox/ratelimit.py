"""A true sliding-window rate limiter, like the API's 25 requests per 5 seconds."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class SlidingWindowLimiter:
    """Accept at most ``limit`` requests in any ``window`` seconds; rejections don't count."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Keep the accepted requests' times; ``clock`` is injectable for tests."""
        self.limit = limit
        self.window = window
        self._clock = clock
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> int | None:
        """Accept the request (None) or return whole seconds until a slot frees, rounded up."""
        with self._lock:
            now = self._clock()
            while self._accepted and self._accepted[0] <= now - self.window:
                self._accepted.popleft()
            if len(self._accepted) < self.limit:
                self._accepted.append(now)
                return None
            return max(1, math.ceil(self._accepted[0] + self.window - now))
