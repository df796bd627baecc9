"""Configuration of the sandbox: what data to generate and how the fake API misbehaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Faults answered before the API looks at the request (a proxy or load balancer misbehaving).
TRANSPORT_FAULTS = frozenset({"500", "502", "503", "504", "429", "html200", "drop", "slow"})
# Faults that corrupt an otherwise successful JSON answer (the API itself misbehaving).
PAYLOAD_FAULTS = frozenset({"truncate", "object", "missing_id", "bad_date", "unsorted"})
FAULT_KINDS = TRANSPORT_FAULTS | PAYLOAD_FAULTS
MUTATE_TARGETS = ("any", "tie")


@dataclass(frozen=True)
class Fault:
    """One injected failure, fired by request number so tests can predict it exactly.

    Attributes:
        kind: One of ``FAULT_KINDS``.
        every: Fire on every ``every``-th API request (1-based); 0 disables.
        at: Also fire at these request numbers.
        retry_after: For ``429``: seconds to put in ``Retry-After``; None sends no header.
        delay: For ``slow``: seconds to wait before answering normally.
    """

    kind: str
    every: int = 0
    at: tuple[int, ...] = ()
    retry_after: int | None = None
    delay: float = 2.0

    def __post_init__(self) -> None:
        """Reject typos early: a silently ignored fault makes a resilience test pass vacuously."""
        if self.kind not in FAULT_KINDS:
            msg = f"unknown fault kind {self.kind!r}; expected one of {sorted(FAULT_KINDS)}"
            raise ValueError(msg)
        if self.every < 0 or any(n < 1 for n in self.at):
            msg = "fault 'every' must be >= 0 and 'at' request numbers >= 1"
            raise ValueError(msg)
        object.__setattr__(self, "at", tuple(self.at))

    def fires(self, request_number: int) -> bool:
        """Tell whether this fault applies to the given 1-based request number."""
        if self.every and request_number % self.every == 0:
            return True
        return request_number in self.at


@dataclass
class SandboxConfig:
    """Everything that shapes the simulated account and its API; same config, same data."""

    customers: int = 5000
    seed: int = 1
    token: str = "sandbox-token"  # noqa: S105 - the sandbox's own fake token, not a secret
    tie_blocks: int = 0
    tie_block_size: int = 1000
    mutate_every: int = 0
    mutate_count: int = 1
    mutate_target: str = "any"
    truncate_start_to_seconds: bool = False
    extra_customers: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    rate_limit_requests: int = 0
    rate_limit_window: float = 5.0
    rate_limit_retry_after: bool = True
    latency: float = 0.0
    verbose: bool = False

    def __post_init__(self) -> None:
        """Fail at construction, not halfway through a benchmark."""
        checks = [
            (self.customers >= 0, "customers must be >= 0"),
            (self.tie_blocks >= 0 and self.tie_block_size >= 1, "bad tie block settings"),
            (
                self.tie_blocks * self.tie_block_size <= self.customers,
                "tie_blocks * tie_block_size exceeds the number of customers",
            ),
            (self.mutate_every >= 0 and self.mutate_count >= 1, "bad mutation settings"),
            (self.mutate_target in MUTATE_TARGETS, f"mutate_target must be in {MUTATE_TARGETS}"),
            (self.rate_limit_requests >= 0, "rate_limit_requests must be >= 0"),
            (self.rate_limit_window > 0, "rate_limit_window must be > 0"),
            (self.latency >= 0, "latency must be >= 0"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(msg)
