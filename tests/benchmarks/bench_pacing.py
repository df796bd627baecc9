"""Pacing benchmark: how close a paced sync gets to ProfitWell's 25-requests-per-5-s ceiling.

Starts the sandbox with its sliding-window limiter on (it answers 429 past the limit), runs the
real CLI with its default pacing, and prints the efficiency: the least time the limit allows for
the requests made (R requests need at least window x floor((R-1)/limit) seconds) divided by the
time the tap took, plus the number of 429s. Goal: 0.95 or better with zero 429s.

    .venv/bin/python tests/benchmarks/bench_pacing.py --customers 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

_METRIC_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*http_request_duration")


def start_sandbox(customers: int, limit: int, window: float) -> tuple[subprocess.Popen[str], str]:
    """The sandbox in its own process, so it does not share the tap's CPU or GIL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tap_profitwell.sandbox",
            "--port",
            "0",
            "--customers",
            str(customers),
            "--rate-limit",
            f"{limit}/{window:g}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    match = re.search(r"(http://[\d.:]+)", line)
    if not match:
        process.kill()
        sys.exit(f"sandbox did not start: {line!r}")
    return process, match.group(1)


def request_span(stderr: str) -> float:
    """Seconds between the first and the last request the tap logged."""
    stamps = [
        dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
        for m in map(_METRIC_TIME.match, stderr.splitlines())
        if m
    ]
    return (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else 0.0


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--window", type=float, default=5.0)
    args = parser.parse_args()

    sandbox, url = start_sandbox(args.customers, args.limit, args.window)
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "config.json"
            config.write_text(
                json.dumps({"api_token": "sandbox-token", "api_url": url})  # default pacing
            )
            tap = Path(sys.executable).with_name("tap-profitwell")
            started = time.monotonic()
            run = subprocess.run(
                [str(tap), "--config", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                check=True,
            )
            wall = time.monotonic() - started
        with urllib.request.urlopen(f"{url}/_sandbox/stats") as response:  # noqa: S310
            stats = json.load(response)
    finally:
        sandbox.terminate()
        sandbox.wait()

    requests = stats["requests"]
    ideal = args.window * ((requests - 1) // args.limit)
    span = request_span(run.stderr)
    print(f"customers            {args.customers}")
    print(f"limit                {args.limit} requests in any {args.window:g} s (sliding window)")
    print(f"requests             {requests} (429s: {stats['throttled']})")
    print(f"ideal time           {ideal:.2f} s")
    print(f"first-to-last request {span:.2f} s -> efficiency {ideal / span:.3f}")
    print(f"whole process        {wall:.2f} s -> efficiency {ideal / wall:.3f} (start-up included)")
    print(f"customers per second {args.customers / wall:.0f}")


if __name__ == "__main__":
    main()
