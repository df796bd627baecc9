"""`make demo`: the local ProfitWell sandbox -> `meltano run tap-profitwell target-duckdb`.

Installs the Meltano plugins, starts the sandbox on a free port, loads every customer into a
fresh DuckDB file (output/warehouse.duckdb), changes a few customers and runs again (an
incremental run from Meltano's own state), then prints a summary from the warehouse and
checks it against the sandbox. The sandbox is stopped however the demo ends.

Run with the tap's venv Python (the sandbox lives in the tap package):
    .venv/bin/python tests/support/demo.py --meltano .venv-meltano/bin/meltano
"""

# ruff: noqa: T201 - a command-line demo prints its progress and summary

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import typing as t
import urllib.request
from pathlib import Path

from tap_profitwell.timestamps import canonical_timestamp

ROOT = Path(__file__).resolve().parent.parent.parent
WAREHOUSE = ROOT / "warehouse.duckdb"  # meltano.yml: target-duckdb's filepath
LOG = ROOT / "output" / "demo-meltano.log"
DUCKDB_PYTHON = ROOT / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin" / "python"
STATE_ID = "sandbox:tap-profitwell-to-target-duckdb"
TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's fake token


class DemoError(Exception):
    """A step failed; the message says which and where its log is."""


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


class Project:
    """Runs meltano in the repo's project, environment `sandbox`, appending its log to a file."""

    def __init__(self, meltano: str, log: Path, env: dict[str, str]) -> None:
        self.meltano = meltano
        self.log = log
        drop = ("MELTANO_", "TAP_PROFITWELL_", "TARGET_DUCKDB_", "VIRTUAL_ENV")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        self.env |= {"MELTANO_ENVIRONMENT": "sandbox", "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "0"}
        self.env |= env
        self.seconds = 0.0
        self.summary: str | None = None

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        completed = subprocess.run(
            [self.meltano, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        with self.log.open("a") as log:
            log.write(f"\n$ meltano {' '.join(args)}  # exit {completed.returncode}\n")
            log.write(completed.stderr)
        if check and completed.returncode != 0:
            tail = "\n".join(completed.stderr.splitlines()[-25:])
            msg = f"meltano {' '.join(args)} failed (full log: {self.log}):\n{tail}"
            raise DemoError(msg)
        self.seconds = time.monotonic() - started
        self.summary = next(
            (
                line.split("Sync summary for ", 1)[1]
                for line in completed.stderr.splitlines()
                if "Sync summary for " in line
            ),
            None,
        )
        return completed


def start_sandbox(customers: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    """The sandbox on a free port, in its own process; returns it and its URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tap_profitwell.sandbox",
            "--port",
            "0",
            "--customers",
            str(customers),
            "--seed",
            str(seed),
            "--token",
            TOKEN,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if not match:
        process.terminate()
        process.wait(10)
        msg = f"the sandbox did not start (it printed {line!r})"
        raise DemoError(msg)
    return process, match.group(1).rstrip("/")


def stop_sandbox(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    if process.stdout:
        process.stdout.close()


def sandbox_call(url: str, path: str, *, method: str = "GET") -> t.Any:
    request = urllib.request.Request(f"{url}{path}", method=method)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.load(response)


def customers_of(payload: t.Any) -> list[dict[str, t.Any]]:
    if isinstance(payload, dict):
        payload = payload.get("customers", payload.get("data"))
    return list(payload)


SUMMARY_SQL = (
    (
        "SELECT status, count(*) AS customers, sum(mrr_cents) AS mrr_cents "
        "FROM profitwell.customers GROUP BY status ORDER BY customers DESC"
    ),
    (
        "SELECT count(*) AS rows, count(DISTINCT customer_id) AS ids, "
        "sum(mrr_cents) AS mrr_cents, max(updated_on) AS newest, "
        "typeof(any_value(updated_on)) AS ts_type, typeof(any_value(mrr_cents)) AS cents_type, "
        "typeof(any_value(plans)) AS plans_type FROM profitwell.customers"
    ),
)


def query_warehouse(warehouse: Path) -> list[list[dict[str, t.Any]]]:
    completed = subprocess.run(
        [
            str(DUCKDB_PYTHON),
            str(ROOT / "tests/support/duckdb_query.py"),
            str(warehouse),
            *SUMMARY_SQL,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        msg = f"querying {warehouse} failed:\n{completed.stderr}"
        raise DemoError(msg)
    return json.loads(completed.stdout)


def dollars(cents: int | None) -> str:
    return f"${(cents or 0) / 100:,.2f}"


def report(warehouse: Path, truth: list[dict[str, t.Any]], bookmark: str) -> bool:
    """Print the warehouse's summary; True when it agrees with the sandbox."""
    by_status, (totals,) = query_warehouse(warehouse)
    truth_mrr = sum(c.get("mrr_cents") or 0 for c in truth)
    newest = max(canonical_timestamp(c["updated_on"]) for c in truth)
    shown = warehouse.relative_to(ROOT) if warehouse.is_relative_to(ROOT) else warehouse
    print(f"\nWarehouse {shown}, table profitwell.customers")
    print(f"  {'status':<22}{'customers':>10}{'MRR':>16}")
    for row in by_status:
        print(f"  {row['status']!s:<22}{row['customers']:>10}{dollars(row['mrr_cents']):>16}")
    print(f"  {'total':<22}{totals['rows']:>10}{dollars(totals['mrr_cents']):>16}")
    print(
        f"  types: updated_on {totals['ts_type']}, mrr_cents {totals['cents_type']}, "
        f"plans {totals['plans_type']}"
    )
    ok = (
        totals["rows"] == totals["ids"] == len(truth)
        and totals["mrr_cents"] == truth_mrr
        and bookmark == newest
    )
    verdict = "match" if ok else "MISMATCH"
    print(
        f"  rows {totals['rows']}, distinct customer_id {totals['ids']}, sandbox customers "
        f"{len(truth)}, MRR {dollars(totals['mrr_cents'])} vs sandbox {dollars(truth_mrr)}: "
        f"{verdict}"
    )
    print(f"  bookmark {bookmark} vs sandbox's newest updated_on {newest}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meltano", default=str(ROOT / ".venv-meltano" / "bin" / "meltano"))
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mutate", type=int, default=25, help="customers changed before run 2")
    parser.add_argument("--warehouse", type=Path, default=WAREHOUSE, help="the DuckDB file")
    parser.add_argument("--log", type=Path, default=LOG, help="where Meltano's log goes")
    parser.add_argument("--system-db", help="Meltano system database URI (holds the state)")
    args = parser.parse_args()
    warehouse: Path = args.warehouse.resolve()
    env = {"TARGET_DUCKDB_FILEPATH": str(warehouse)}
    if args.system_db:
        env["MELTANO_DATABASE_URI"] = args.system_db
    args.log.parent.mkdir(parents=True, exist_ok=True)
    args.log.write_text("")
    started = time.monotonic()

    step("meltano install (every plugin in meltano.yml, each in its own venv)")
    Project(args.meltano, args.log, env)("install")

    step(f"starting the ProfitWell sandbox ({args.customers} customers, seed {args.seed})")
    sandbox, url = start_sandbox(args.customers, args.seed)
    try:
        print(f"    {url}")
        project = Project(args.meltano, args.log, env | {"TAP_PROFITWELL_API_URL": url})
        for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
            stale.unlink(missing_ok=True)
        project("state", "clear", "--force", STATE_ID, check=False)

        step("meltano run tap-profitwell target-duckdb  (full load into a fresh warehouse)")
        project("run", "tap-profitwell", "target-duckdb")
        print(f"    done in {project.seconds:.1f} s; tap: {project.summary}")

        changed = sandbox_call(url, f"/_sandbox/mutate?n={args.mutate}", method="POST")
        count = len(changed) if isinstance(changed, list) else args.mutate
        step(f"changed {count} customers in the sandbox; meltano run again (incremental)")
        project("run", "tap-profitwell", "target-duckdb")
        print(f"    done in {project.seconds:.1f} s; tap: {project.summary}")

        state = json.loads(project("state", "get", STATE_ID).stdout)
        bookmark = state["singer_state"]["bookmarks"]["customers"]["replication_key_value"]
        print(f"    meltano state get {STATE_ID}: updated_on bookmark {bookmark}")

        truth = customers_of(sandbox_call(url, "/_sandbox/customers"))
    finally:
        stop_sandbox(sandbox)
        step("sandbox stopped")

    ok = report(warehouse, truth, bookmark)
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s (meltano log: {args.log})")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        sys.exit(1)
