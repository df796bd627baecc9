"""Command line: ``python -m tap_profitwell.sandbox`` serves a sandbox until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tap_profitwell.sandbox.config import FAULT_KINDS, MUTATE_TARGETS, Fault, SandboxConfig
from tap_profitwell.sandbox.server import Sandbox

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType


def parse_fault(text: str) -> Fault:
    """Parse ``KIND:EVERY[:ARG]`` or ``KIND@N,N,...`` (ARG: slow's delay, 429's Retry-After)."""
    try:
        if "@" in text:
            kind, numbers = text.split("@", 1)
            return Fault(kind, at=tuple(int(n) for n in numbers.split(",")))
        kind, every, *arg = text.split(":")
        if len(arg) > 1:
            raise ValueError(text)  # noqa: TRY301 - reported as a usage error below
        if kind == "slow" and arg:
            return Fault(kind, int(every), delay=float(arg[0]))
        if kind == "429" and arg:
            return Fault(kind, int(every), retry_after=int(arg[0]))
        if arg:
            raise ValueError(text)  # noqa: TRY301
        return Fault(kind, int(every))
    except ValueError as exc:
        msg = f"bad fault {text!r}: expected KIND:EVERY[:ARG] or KIND@N[,N...] ({exc})"
        raise argparse.ArgumentTypeError(msg) from exc


def parse_rate_limit(text: str) -> tuple[int, float]:
    """Parse ``REQUESTS/SECONDS``, e.g. ``25/5``."""
    try:
        requests, seconds = text.split("/")
        return int(requests), float(seconds)
    except ValueError as exc:
        msg = f"bad rate limit {text!r}: expected REQUESTS/SECONDS, e.g. 25/5"
        raise argparse.ArgumentTypeError(msg) from exc


def build_parser() -> argparse.ArgumentParser:
    """Every SandboxConfig option as a flag."""
    p = argparse.ArgumentParser(
        prog="python -m tap_profitwell.sandbox",
        description="Serve a local, deterministic simulation of ProfitWell's Customers API.",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--port", type=int, default=8765, help="port; 0 picks a free one (default: %(default)s)"
    )
    p.add_argument(
        "--customers", type=int, default=5000, help="customers to generate (default: %(default)s)"
    )
    p.add_argument(
        "--seed",
        type=int,
        default=1,
        help="random seed: same seed, same data (default: %(default)s)",
    )
    p.add_argument(
        "--token", default="sandbox-token", help="Authorization header value (default: %(default)s)"
    )
    p.add_argument(
        "--tie-blocks",
        type=int,
        default=0,
        help="blocks sharing one updated_on (default: %(default)s)",
    )
    p.add_argument(
        "--tie-block-size",
        type=int,
        default=1000,
        help="customers per tie block (default: %(default)s)",
    )
    p.add_argument(
        "--mutate-every",
        type=int,
        default=0,
        help="update customers after every Nth served search; 0 = off (default: %(default)s)",
    )
    p.add_argument(
        "--mutate-count",
        type=int,
        default=1,
        help="customers updated each time (default: %(default)s)",
    )
    p.add_argument(
        "--mutate-target",
        choices=MUTATE_TARGETS,
        default="any",
        help="tie: prefer tie blocks (default: %(default)s)",
    )
    p.add_argument(
        "--truncate-start-to-seconds",
        action="store_true",
        help="ignore fractions of a second in start_date/end_date, like some APIs do",
    )
    p.add_argument(
        "--fault",
        type=parse_fault,
        action="append",
        default=[],
        metavar="KIND:EVERY[:ARG]",
        help=f"inject a fault every Nth API request, or at listed ones with KIND@N,N; repeatable. "
        f"Kinds: {', '.join(sorted(FAULT_KINDS))}. ARG: delay seconds for slow, "
        f"Retry-After seconds for 429",
    )
    p.add_argument(
        "--rate-limit",
        type=parse_rate_limit,
        metavar="REQUESTS/SECONDS",
        help="sliding-window rate limit, e.g. 25/5 like the real API (default: off)",
    )
    p.add_argument(
        "--no-retry-after", action="store_true", help="send rate-limit 429s without Retry-After"
    )
    p.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds added to every response (default: %(default)s)",
    )
    p.add_argument(
        "--extra-customers", type=Path, help="JSON file with an array of extra customers to merge"
    )
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Turn parsed flags into a SandboxConfig."""
    limit, window = args.rate_limit or (0, 5.0)
    extra = json.loads(args.extra_customers.read_text()) if args.extra_customers else []
    return SandboxConfig(
        customers=args.customers,
        seed=args.seed,
        token=args.token,
        tie_blocks=args.tie_blocks,
        tie_block_size=args.tie_block_size,
        mutate_every=args.mutate_every,
        mutate_count=args.mutate_count,
        mutate_target=args.mutate_target,
        truncate_start_to_seconds=args.truncate_start_to_seconds,
        extra_customers=extra,
        faults=args.fault,
        rate_limit_requests=limit,
        rate_limit_window=window,
        rate_limit_retry_after=not args.no_retry_after,
        latency=args.latency,
        verbose=args.verbose,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT, then stop cleanly and return 0."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except (ValueError, TypeError, OSError) as exc:
        parser.error(str(exc))
    stopping = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    sandbox = Sandbox(config, host=args.host, port=args.port).start()
    try:
        sys.stdout.write(
            f"ProfitWell sandbox listening on {sandbox.url} "
            f"({config.customers + len(config.extra_customers)} customers, "
            f"token: {config.token})\n"
        )
        sys.stdout.flush()
        while not stopping.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
