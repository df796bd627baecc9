"""Counters of what the sandbox served, so tests can assert on retries, throttling and faults."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Thread-safe request counters; ``as_dict`` gives a consistent copy."""

    def __init__(self) -> None:
        """Start every counter at zero."""
        self._lock = threading.Lock()
        self._requests = 0
        self._counters: Counter[str] = Counter()
        self._status: Counter[int] = Counter()

    def next_request(self) -> int:
        """Count an API request and return its 1-based number (faults fire by it)."""
        with self._lock:
            self._requests += 1
            return self._requests

    def add(self, name: str, amount: int = 1) -> int:
        """Bump a named counter and return its new value."""
        with self._lock:
            self._counters[name] += amount
            return self._counters[name]

    def record_status(self, status: int) -> None:
        """Count one response by HTTP status."""
        with self._lock:
            self._status[status] += 1

    def as_dict(self, mutations: int) -> dict[str, Any]:
        """Snapshot of all counters (``mutations`` comes from the store)."""
        with self._lock:
            return {
                "requests": self._requests,
                "search_requests": self._counters["search_requests"],
                "single_requests": self._counters["single_requests"],
                "status": dict(sorted(self._status.items())),
                "throttled": self._status[429],
                "faults_injected": self._counters["faults_injected"],
                "mutations": mutations,
            }
