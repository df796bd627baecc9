"""Throughput, CPU, memory and request benchmark: the tap against a plain "floor" reader.

Run from the repository root (a script, not a pytest test)::

    .venv/bin/python tests/benchmarks/bench_throughput.py                 # 10k, 100k, 1M
    .venv/bin/python tests/benchmarks/bench_throughput.py --sizes 10000,100000

For each size a sandbox with that many customers runs in its own process, without a rate
limit, and three readers run against it one after the other, each in its own process with
stdout to /dev/null:

* ``sandbox alone``: fetches the same pages and only finds the next ``start_date`` in the raw
  bytes (no JSON decoding), to show how fast the sandbox serves pages by itself;
* ``floor``: a plain loop with ``requests`` that fetches the same pages, decodes each with
  ``json`` and writes every customer with ``json.dumps``: the least any Python tap must do;
* ``tap``: the real ``tap-profitwell`` CLI with ``rate_limit_requests: 0``.

CPU seconds and peak RSS of each reader come from ``os.wait4`` on its process; the sandbox's
own CPU comes from /proc/<pid>/stat before and after. Start-up is measured apart, against an
empty sandbox, and subtracted from the per-record CPU figures ("net").
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import typing as t
import urllib.request
from pathlib import Path

PYTHON = sys.executable
TAP = str(Path(PYTHON).with_name("tap-profitwell"))
TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's fixed token
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LISTENING = re.compile(r"listening on (http://\S+)")
SUMMARY = re.compile(r"Sync summary for customers: (\d+) customers emitted, (\d+) requests")


@dataclasses.dataclass
class Run:
    """What one reader process cost."""

    reader: str
    customers: int
    records: int
    requests: int
    wall: float
    cpu: float
    max_rss_kb: int
    sandbox_cpu: float

    @property
    def per_second(self) -> float:
        return self.records / self.wall if self.wall else 0.0


class SandboxProcess:
    """``python -m tap_profitwell.sandbox`` in its own process (its CPU is not the reader's)."""

    def __init__(self, customers: int, seed: int = 1) -> None:
        self.process = subprocess.Popen(
            [
                *(PYTHON, "-m", "tap_profitwell.sandbox", "--port", "0"),
                *("--customers", str(customers), "--seed", str(seed)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = LISTENING.search(line)
        if not match:
            self.stop()
            msg = f"sandbox did not start: {line!r}"
            raise RuntimeError(msg)
        self.url = match.group(1)

    def cpu_seconds(self) -> float:
        """User + system CPU of the sandbox process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stats(self) -> dict[str, t.Any]:
        with urllib.request.urlopen(f"{self.url}/_sandbox/stats") as response:  # noqa: S310
            return json.load(response)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def measure(command: list[str], *, stderr_path: Path) -> tuple[float, float, int, int]:
    """Run ``command`` with stdout to /dev/null: wall s, CPU s, peak RSS KiB, exit status."""
    with Path(os.devnull).open("wb") as null, stderr_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=null, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, process.returncode


def run_reader(reader: str, sandbox: SandboxProcess, customers: int, per_page: int) -> Run:
    """One measured run of ``reader`` (tap, floor or probe) against ``sandbox``."""
    with tempfile.TemporaryDirectory() as tmp:
        err = Path(tmp) / "stderr.txt"
        if reader == "tap":
            config = Path(tmp) / "config.json"
            config.write_text(
                json.dumps(
                    {
                        "api_token": TOKEN,
                        "api_url": sandbox.url,
                        "rate_limit_requests": 0,
                        "per_page": per_page,
                    }
                )
            )
            command = [TAP, "--config", str(config)]
        else:
            command = [PYTHON, __file__, f"--{reader}", sandbox.url, "--per-page", str(per_page)]
        before, cpu_before = sandbox.stats()["search_requests"], sandbox.cpu_seconds()
        wall, cpu, rss, code = measure(command, stderr_path=err)
        sandbox_cpu = sandbox.cpu_seconds() - cpu_before
        requests = sandbox.stats()["search_requests"] - before
        text = err.read_text()
        if code != 0:
            msg = f"{reader} failed with exit code {code}:\n{text[-3000:]}"
            raise RuntimeError(msg)
        if reader == "tap":
            match = SUMMARY.search(text)
            records = int(match.group(1)) if match else -1
        else:
            records = int(json.loads(text.strip().splitlines()[-1])["records"])
    return Run(reader, customers, records, requests, wall, cpu, rss, sandbox_cpu)


# --- the readers that run in their own process -------------------------------------------


def search_params(start: str | None, per_page: int) -> dict[str, t.Any]:
    params: dict[str, t.Any] = {
        "date_field": "updated_on",
        "direction": "asc",
        "per_page": per_page,
        "page": 1,
    }
    if start is not None:
        params["start_date"] = start
    return params


def floor_reader(url: str, per_page: int, *, fast_json: bool = False) -> None:
    """The floor: the same pages, ``json`` decode, one ``json.dumps`` per customer, nothing else.

    Each request starts at the previous page's newest ``updated_on`` (the tap's own scheme on
    data without ties), so the customer at the boundary comes back once per page and is
    skipped by id. ``fast_json`` swaps the standard library's json for msgspec (a lower floor,
    reported for reference).
    """
    import requests  # noqa: PLC0415 - only in the reader process

    loads, dumps = json.loads, json.dumps
    if fast_json:
        import msgspec.json  # noqa: PLC0415

        loads, encode = msgspec.json.decode, msgspec.json.encode
        dumps = lambda record: encode(record).decode()  # noqa: E731

    session = requests.Session()
    headers = {"Authorization": TOKEN, "Accept": "application/json"}
    out = sys.stdout
    start: str | None = None
    last_id = None
    records = 0
    while True:
        response = session.get(
            f"{url}/v2/customers/", params=search_params(start, per_page), headers=headers
        )
        response.raise_for_status()
        page = loads(response.content)
        for record in page:
            if record["customer_id"] == last_id:
                continue
            out.write(dumps(record))
            out.write("\n")
            records += 1
        if len(page) < per_page:
            break
        start, last_id = page[-1]["updated_on"], page[-1]["customer_id"]
    out.flush()
    sys.stderr.write(json.dumps({"records": records}) + "\n")


def probe_reader(url: str, per_page: int) -> None:
    """The sandbox alone: the same pages, the next ``start_date`` found in the raw bytes."""
    import requests  # noqa: PLC0415

    session = requests.Session()
    headers = {"Authorization": TOKEN, "Accept": "application/json"}
    marker = b'"updated_on":"'
    start: str | None = None
    records = 0
    while True:
        body = session.get(
            f"{url}/v2/customers/", params=search_params(start, per_page), headers=headers
        ).content
        count = body.count(b'{"customer_id":')
        records += count - (start is not None and count > 0)
        if count < per_page:
            break
        at = body.rindex(marker) + len(marker)
        start = body[at : body.index(b'"', at)].decode()
    sys.stderr.write(json.dumps({"records": records}) + "\n")


# --- the report ---------------------------------------------------------------------------


def startup_costs() -> dict[str, float]:
    """CPU of ``--about``, and of the tap and the floor against an empty sandbox (start-up)."""
    costs: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        _, costs["about"], _, _ = measure([TAP, "--about"], stderr_path=Path(tmp) / "about.txt")
    sandbox = SandboxProcess(0)
    try:
        readers = (("tap", "tap"), ("floor", "floor"), ("floor-msgspec", "floor (msgspec)"))
        for _ in range(3):
            for reader, name in readers:
                cpu = run_reader(reader, sandbox, 0, 250).cpu
                costs[name] = min(cpu, costs.get(name, cpu))
    finally:
        sandbox.stop()
    return costs


def best(tries: list[Run], reader: str) -> Run:
    """The least CPU and the least wall time of several runs (other load only adds to both)."""
    run = dataclasses.replace(min(tries, key=lambda r: r.cpu), reader=reader)
    run.wall = min(r.wall for r in tries)
    run.max_rss_kb = max(r.max_rss_kb for r in tries)
    return run


def net_per_10k(run: Run, startup: float) -> float:
    return (run.cpu - startup) / max(run.records, 1) * 10_000


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def report(runs: list[Run], startup: dict[str, float], per_page: int) -> str:
    lines = [
        f"Machine: {machine()}; load average at the end {os.getloadavg()[0]:.1f}",
        (
            f"Start-up CPU: `tap-profitwell --about` {startup['about']:.2f} s; a sync of an "
            f"empty account (first request included) {startup['tap']:.2f} s for the tap, "
            f"{startup['floor']:.2f} s for the floor, "
            f"{startup['floor (msgspec)']:.2f} s for the msgspec floor."
        ),
        "",
        (
            "| customers | reader | records/s (wall) | CPU s / 10k records, net (gross) "
            "| peak RSS MB | requests / customer | requests (limit) | sandbox CPU s / 10k |"
        ),
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        net = (
            "n/a"
            if run.reader == "sandbox alone"
            else f"{net_per_10k(run, startup[run.reader]):.3f}"
        )
        gross = run.cpu / max(run.records, 1) * 10_000
        limit = math.ceil(1.01 * math.ceil(run.customers / per_page))
        lines.append(
            f"| {run.customers:,} | {run.reader} | {run.per_second:,.0f} | {net} ({gross:.3f}) "
            f"| {run.max_rss_kb / 1024:.1f} | {run.requests / max(run.customers, 1):.5f} "
            f"| {run.requests} ({limit}) | {run.sandbox_cpu / max(run.records, 1) * 1e4:.3f} |"
        )
    lines.append("")
    by_size: dict[int, dict[str, Run]] = {}
    for run in runs:
        by_size.setdefault(run.customers, {})[run.reader] = run
    for customers, group in by_size.items():
        tap, floor, probe = group.get("tap"), group.get("floor"), group.get("sandbox alone")
        if tap is None or floor is None or probe is None:
            continue
        ratio = net_per_10k(floor, startup["floor"]) / net_per_10k(tap, startup["tap"])
        fast = group.get("floor (msgspec)")
        fast_ratio = (
            ""
            if fast is None
            else f" (against the msgspec floor: "
            f"{net_per_10k(fast, startup[fast.reader]) / net_per_10k(tap, startup['tap']):.2f})"
        )
        lines.append(
            f"- {customers:,}: tap / floor = {ratio:.2f}{fast_ratio} (floor CPU per record / "
            f"tap CPU per record, net of start-up); tap {tap.per_second:,.0f}/s, floor "
            f"{floor.per_second:,.0f}/s, sandbox alone {probe.per_second:,.0f}/s."
        )
    rss = {c: g["tap"].max_rss_kb / 1024 for c, g in by_size.items() if "tap" in g}
    if len(rss) > 1:
        low, high = min(rss), max(rss)
        lines.append(
            f"- Tap peak RSS at {high:,} minus at {low:,}: {rss[high] - rss[low]:+.1f} MB."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--per-page", type=int, default=250)
    parser.add_argument(
        "--readers", default="probe,floor,floor-msgspec,tap", help="which readers to run"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per reader and size; the best is reported"
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--floor", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--floor-msgspec", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--probe", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor or args.floor_msgspec:
        floor_reader(
            args.floor or args.floor_msgspec, args.per_page, fast_json=bool(args.floor_msgspec)
        )
        return
    if args.probe:
        probe_reader(args.probe, args.per_page)
        return

    names = {
        "probe": "sandbox alone",
        "floor": "floor",
        "floor-msgspec": "floor (msgspec)",
        "tap": "tap",
    }
    startup = startup_costs()
    runs: list[Run] = []
    for customers in (int(size) for size in args.sizes.split(",")):
        sandbox = SandboxProcess(customers)
        try:
            # Rounds of every reader in turn, so load from elsewhere falls on all of them alike.
            tries: dict[str, list[Run]] = {reader: [] for reader in args.readers.split(",")}
            for _ in range(args.repeat):
                for reader, done in tries.items():
                    done.append(run_reader(reader, sandbox, customers, args.per_page))
                    sys.stderr.write(f"{names[reader]}: {dataclasses.asdict(done[-1])}\n")
            runs.extend(best(done, names[reader]) for reader, done in tries.items())
        finally:
            sandbox.stop()
    sys.stdout.write(report(runs, startup, args.per_page) + "\n")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"startup": startup, "runs": [dataclasses.asdict(r) for r in runs]}, indent=1
            )
        )


if __name__ == "__main__":
    main()
