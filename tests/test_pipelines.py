"""Real pipelines: ``meltano run`` from the repo's meltano.yml into real Singer targets.

The slow parts of the suite live here: ``meltano install`` (once per session; Meltano gives each
plugin its own venv under .meltano/), a throwaway PostgreSQL server (started and stopped by
tests/support/postgres.sh), and one sandbox per test. Every check compares the warehouse with
the sandbox's own truth (``Sandbox.snapshot()``): row counts, no duplicate customer_id, column
types, values, Meltano's state, and what an incremental rerun touches after ``Sandbox.mutate``.

Each test gets its own Meltano system database (so its own state) and its own output files, so
the tests neither see nor disturb what ``make demo`` leaves in .meltano/ and output/.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import socket
import subprocess
import typing as t
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from tap_profitwell.sandbox import Sandbox, SandboxConfig
from tap_profitwell.timestamps import canonical_timestamp

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "tests" / "support"
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
DUCKDB_PYTHON = ROOT / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin" / "python"
POSTGRES_SH = SUPPORT / "postgres.sh"

CUSTOMERS = 2_000  # 8 pages of 250: enough to cross pages and target batches, quick to load
MUTATED = 7
TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's fake token (also in meltano.yml)
PG_DATABASE = "warehouse"
TIMESTAMP_FIELDS = ("created_on", "activated_on", "churned_on", "updated_on")


# --- helpers ---------------------------------------------------------------------------------


def instant(value: str | None) -> datetime | None:
    """A timestamp from any of the forms the tap, targets and databases print, as aware UTC."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value.strip().replace(" ", "T").replace("Z", "+00:00"))
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed


def truth_by_id(box: Sandbox) -> dict[str, dict[str, t.Any]]:
    """The sandbox's customers by id, exactly as the API serves them."""
    customers = box.snapshot()
    by_id = {c["customer_id"]: c for c in customers}
    assert len(by_id) == len(customers)
    return by_id


def newest_updated_on(box: Sandbox) -> str:
    return max(canonical_timestamp(c["updated_on"]) for c in box.snapshot())


def at_bookmark(truth: dict[str, dict[str, t.Any]], bookmark: str) -> set[str]:
    """Customers whose updated_on equals the bookmark: start_date is inclusive, so an
    incremental run re-reads them (and only them) besides the changed ones."""
    return {i for i, c in truth.items() if canonical_timestamp(c["updated_on"]) == bookmark}


def assert_same_customer(loaded: dict[str, t.Any], expected: dict[str, t.Any]) -> None:
    """A loaded row equals the API's customer, field by field, types included."""
    assert loaded["customer_id"] == expected["customer_id"]
    for name in ("email", "first_name", "last_name", "status"):
        assert loaded[name] == expected[name], name
    for name in ("mrr_cents", "total_spend_cents"):
        assert type(loaded[name]) is int, (name, loaded[name])
        assert loaded[name] == expected[name], name
    plans = loaded["plans"]
    assert (json.loads(plans) if isinstance(plans, str) else plans) == expected["plans"]
    for name in TIMESTAMP_FIELDS:
        assert instant(loaded[name]) == instant(expected[name]), name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Meltano --------------------------------------------------------------------------------


class Meltano:
    """The repo's Meltano project, run as a user would, with per-test state and outputs."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [str(MELTANO), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if completed.returncode != 0:
            pytest.fail(
                f"meltano {' '.join(args)} exited {completed.returncode}:\n"
                f"{completed.stderr[-6000:]}\n{completed.stdout[-2000:]}"
            )
        return completed

    def state(self, state_id: str) -> dict[str, t.Any]:
        """``meltano state get``: the Singer state Meltano stored for that pipeline."""
        return json.loads(self("state", "get", state_id).stdout)

    def bookmark(self, state_id: str) -> str:
        state = self.state(state_id)
        bookmarks = state["singer_state"]["bookmarks"]["customers"]
        assert bookmarks["replication_key"] == "updated_on"
        assert "progress_markers" not in bookmarks
        return bookmarks["replication_key_value"]


def base_env() -> dict[str, str]:
    """This process's environment without anything that would steer Meltano or a plugin."""
    drop = ("MELTANO_", "TAP_PROFITWELL_", "TARGET_", "VIRTUAL_ENV", "PYTHONPATH")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """``meltano install`` of every plugin in meltano.yml (cold: about a minute; warm: seconds)."""
    if not MELTANO.exists():
        subprocess.run(["make", "--no-print-directory", "meltano"], cwd=ROOT, check=True)
    env = {**base_env(), "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    Meltano(env)("install")
    assert DUCKDB_PYTHON.exists()


@pytest.fixture
def sandbox() -> t.Iterator[Sandbox]:
    with Sandbox(SandboxConfig(customers=CUSTOMERS, seed=11, token=TOKEN), port=0) as box:
        yield box


@pytest.fixture
def meltano(meltano_installed: None, sandbox: Sandbox, tmp_path: Path) -> Meltano:
    """Meltano in the sandbox environment, pointed at this test's sandbox, state and outputs."""
    out = tmp_path / "output"
    out.mkdir()
    env = {
        **base_env(),
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_ENVIRONMENT": "sandbox",
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TAP_PROFITWELL_API_URL": sandbox.url,
        "TARGET_DUCKDB_FILEPATH": str(out / "warehouse.duckdb"),
        "TARGET_JSONL_DESTINATION_PATH": str(out / "jsonl"),
        "TARGET_CSV_OUTPUT_PATH": str(out / "csv"),
    }
    return Meltano(env)


# --- meltano.yml ------------------------------------------------------------------------------


def test_meltano_yml_defines_every_plugin_inline_and_every_tap_setting() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    plugins = [p for kind in project["plugins"].values() for p in kind]
    assert {p["name"] for p in plugins} >= {
        "tap-profitwell",
        "target-duckdb",
        "target-postgres",
        "target-jsonl",
        "target-csv",
    }
    for plugin in plugins:  # nothing inherited from Meltano Hub, which the builds can't reach
        assert not {"variant", "inherit_from"} & set(plugin), plugin["name"]
        assert plugin["pip_url"], plugin["name"]
        assert plugin["namespace"], plugin["name"]
    duckdb_pip = next(p for p in plugins if p["name"] == "target-duckdb")["pip_url"]
    assert "duckdb>=1.1,<1.3" in duckdb_pip.split()  # 1.3+ drops a row per batch in 0.8.0

    about = json.loads(
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "tap-profitwell"), "--about", "--format=json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    tap = next(p for p in plugins if p["name"] == "tap-profitwell")
    assert sorted(tap["capabilities"]) == sorted(about["capabilities"])
    declared = {s["name"]: s for s in tap["settings"]}
    properties = about["settings"]["properties"]
    assert list(declared) == list(properties)
    kinds = {
        "string": "string",
        "integer": "integer",
        "number": "decimal",
        "boolean": "boolean",
        "array": "array",
        "object": "object",
    }
    for name, prop in properties.items():
        setting = declared[name]
        assert " ".join(setting["description"].split()) == " ".join(prop["description"].split())
        assert setting.get("value") == prop.get("default"), name
        if prop.get("secret"):
            assert setting["kind"] == "password", name
            assert setting["sensitive"] is True, name
        else:
            first_type = next(x for x in prop["type"] if x != "null")
            assert setting["kind"] == kinds[first_type], name
    assert about["settings"]["required"] == ["api_token"]


# --- DuckDB: the default warehouse ------------------------------------------------------------


def duckdb_query(path: Path, *sql: str) -> list[list[dict[str, t.Any]]]:
    """Run SQL with the target-duckdb plugin's own Python, the one venv that has duckdb."""
    completed = subprocess.run(
        [str(DUCKDB_PYTHON), str(SUPPORT / "duckdb_query.py"), str(path), *sql],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


DUCKDB_ROWS = """
    SELECT customer_id, email, first_name, last_name, mrr_cents, total_spend_cents, status,
           plans, CAST(plans AS VARCHAR[]) AS plan_list, json_array_length(plans) AS plan_count,
           created_on, activated_on, churned_on, updated_on, _sdc_batched_at
    FROM profitwell.customers
"""
DUCKDB_TYPES = """
    SELECT column_name, data_type FROM information_schema.columns
    WHERE table_schema = 'profitwell' AND table_name = 'customers'
"""


def test_duckdb_full_load_then_incremental_upsert_through_meltano_state(
    meltano: Meltano, sandbox: Sandbox, tmp_path: Path
) -> None:
    warehouse = tmp_path / "output" / "warehouse.duckdb"
    state_id = "sandbox:tap-profitwell-to-target-duckdb"
    truth = truth_by_id(sandbox)
    assert len(truth) == CUSTOMERS

    meltano("run", "tap-profitwell", "target-duckdb")
    rows, types = duckdb_query(warehouse, DUCKDB_ROWS, DUCKDB_TYPES)
    types = {r["column_name"]: r["data_type"] for r in types}
    for name in TIMESTAMP_FIELDS:
        assert types[name] == "TIMESTAMP", (name, types[name])
    assert types["mrr_cents"] in {"BIGINT", "HUGEINT"}
    assert types["total_spend_cents"] in {"BIGINT", "HUGEINT"}
    assert types["plans"] == "JSON"
    assert len(rows) == len(truth)  # no row dropped (target-duckdb + duckdb >= 1.3 would)
    loaded = {r["customer_id"]: r for r in rows}
    assert len(loaded) == len(rows)  # no duplicate customer_id
    assert loaded.keys() == truth.keys()
    for customer_id, row in loaded.items():
        assert_same_customer(row, truth[customer_id])
        assert row["plan_list"] == truth[customer_id]["plans"]  # plans usable as a list too
        assert row["plan_count"] == len(truth[customer_id]["plans"])

    first_bookmark = meltano.bookmark(state_id)
    assert first_bookmark == newest_updated_on(sandbox)
    first_batch = max(instant(r["_sdc_batched_at"]) for r in rows)

    changed = set(sandbox.mutate(MUTATED))
    assert len(changed) == MUTATED
    truth = truth_by_id(sandbox)
    meltano("run", "tap-profitwell", "target-duckdb")
    (rows,) = duckdb_query(warehouse, DUCKDB_ROWS)
    loaded = {r["customer_id"]: r for r in rows}
    assert len(rows) == len(loaded) == len(truth)  # upserted, not appended
    for customer_id, row in loaded.items():
        assert_same_customer(row, truth[customer_id])
    touched = {i for i, r in loaded.items() if instant(r["_sdc_batched_at"]) > first_batch}
    assert touched - at_bookmark(truth, first_bookmark) == changed  # only the changed ones
    assert meltano.bookmark(state_id) == newest_updated_on(sandbox)


# --- JSONL and CSV --------------------------------------------------------------------------


def test_target_jsonl_writes_every_customer_once(
    meltano: Meltano, sandbox: Sandbox, tmp_path: Path
) -> None:
    truth = truth_by_id(sandbox)
    meltano("run", "tap-profitwell", "target-jsonl")
    lines = (tmp_path / "output" / "jsonl" / "customers.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == len(truth)
    by_id = {r["customer_id"]: r for r in records}
    assert len(by_id) == len(records)
    assert by_id.keys() == truth.keys()
    for customer_id, record in by_id.items():
        assert_same_customer(record, truth[customer_id])
        assert record["updated_on"] == canonical_timestamp(truth[customer_id]["updated_on"])
    assert meltano.bookmark("sandbox:tap-profitwell-to-target-jsonl") == newest_updated_on(sandbox)


def test_target_csv_writes_every_customer_once(
    meltano: Meltano, sandbox: Sandbox, tmp_path: Path
) -> None:
    truth = truth_by_id(sandbox)
    meltano("run", "tap-profitwell", "target-csv")
    with (tmp_path / "output" / "csv" / "customers.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(truth)
    by_id = {r["customer_id"]: r for r in rows}
    assert len(by_id) == len(rows)
    assert by_id.keys() == truth.keys()
    for customer_id, row in by_id.items():
        expected = truth[customer_id]
        typed = {
            **row,
            "mrr_cents": int(row["mrr_cents"]),
            "total_spend_cents": int(row["total_spend_cents"]),
            **{name: row[name] or None for name in TIMESTAMP_FIELDS},
            # target-csv writes a list as Python's repr, e.g. ['Basic', 'Pro Annual']
            "plans": ast.literal_eval(row["plans"]),
        }
        for name in ("email", "first_name", "last_name"):
            typed[name] = row[name] if expected[name] is not None else (row[name] or None)
        assert_same_customer(typed, expected)


# --- PostgreSQL, for real ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> t.Iterator[int]:
    """A throwaway PostgreSQL on 127.0.0.1 (own data dir under /tmp, own port), always stopped.

    The data dir is not under pytest's tmp_path: that is private to root, and the server runs
    as the postgres user.
    """
    datadir = Path(f"/tmp/tap-profitwell-pg-{uuid.uuid4().hex[:12]}")  # noqa: S108
    port = free_port()
    subprocess.run(["bash", str(POSTGRES_SH), "start", str(datadir), str(port)], check=True)
    try:
        psql(port, f"CREATE DATABASE {PG_DATABASE}", database="postgres")
        yield port
    finally:
        subprocess.run(["bash", str(POSTGRES_SH), "stop", str(datadir)], check=True)


def psql(port: int, sql: str, *, database: str = PG_DATABASE) -> str:
    completed = subprocess.run(
        ["bash", str(POSTGRES_SH), "psql", str(port), sql, database],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def pg_json(port: int, sql: str) -> t.Any:
    return json.loads(psql(port, f"SELECT coalesce(json_agg(q), '[]') FROM ({sql}) q"))  # noqa: S608


def test_postgres_load_types_and_incremental_upsert(
    meltano: Meltano, sandbox: Sandbox, postgres: int
) -> None:
    meltano.env.update(
        {
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_PORT": str(postgres),
            "TARGET_POSTGRES_USER": "postgres",
            "TARGET_POSTGRES_PASSWORD": "unused-trust-auth",
            "TARGET_POSTGRES_DATABASE": PG_DATABASE,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": f"t{uuid.uuid4().hex[:8]}",
        }
    )
    schema = meltano.env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"]
    state_id = "sandbox:tap-profitwell-to-target-postgres"
    truth = truth_by_id(sandbox)

    meltano("run", "tap-profitwell", "target-postgres")
    columns_sql = (
        "SELECT column_name, data_type, udt_name FROM information_schema.columns "  # noqa: S608
        f"WHERE table_schema = '{schema}' AND table_name = 'customers'"
    )
    types = {
        r["column_name"]: (r["data_type"], r["udt_name"]) for r in pg_json(postgres, columns_sql)
    }
    for name in TIMESTAMP_FIELDS:
        assert types[name][0].startswith("timestamp"), (name, types[name])
    assert types["mrr_cents"][0] == "bigint"
    assert types["total_spend_cents"][0] == "bigint"
    assert types["plans"] == ("ARRAY", "_text")  # text[]: plans usable as a list
    rows_sql = f"SELECT * FROM {schema}.customers"  # noqa: S608 - our own random schema name
    rows = pg_json(postgres, rows_sql)
    assert len(rows) == len(truth)
    loaded = {r["customer_id"]: r for r in rows}
    assert len(loaded) == len(rows)
    assert loaded.keys() == truth.keys()
    for customer_id, row in loaded.items():
        assert_same_customer(row, truth[customer_id])
    duplicates = psql(
        postgres,
        f"SELECT count(*) FROM (SELECT customer_id FROM {schema}.customers "  # noqa: S608
        "GROUP BY customer_id HAVING count(*) > 1) d",
    )
    assert duplicates.strip() == "0"

    first_bookmark = meltano.bookmark(state_id)
    assert first_bookmark == newest_updated_on(sandbox)
    first_batch = max(instant(r["_sdc_batched_at"]) for r in rows)

    changed = set(sandbox.mutate(MUTATED))
    assert len(changed) == MUTATED
    truth = truth_by_id(sandbox)
    meltano("run", "tap-profitwell", "target-postgres")
    rows = pg_json(postgres, rows_sql)
    loaded = {r["customer_id"]: r for r in rows}
    assert len(rows) == len(loaded) == len(truth)  # upserted on customer_id, not appended
    for customer_id, row in loaded.items():
        assert_same_customer(row, truth[customer_id])
    touched = {i for i, r in loaded.items() if instant(r["_sdc_batched_at"]) > first_batch}
    assert touched - at_bookmark(truth, first_bookmark) == changed
    assert meltano.bookmark(state_id) == newest_updated_on(sandbox)


# --- make demo ----------------------------------------------------------------------------------


def test_demo_loads_the_sandbox_into_duckdb_and_stops_it(
    meltano_installed: None, tmp_path: Path
) -> None:
    """What ``make demo`` runs, on a smaller sandbox, with its own warehouse and state."""
    completed = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            str(SUPPORT / "demo.py"),
            "--meltano",
            str(MELTANO),
            "--customers",
            "600",
            "--mutate",
            "9",
            "--warehouse",
            str(tmp_path / "demo.duckdb"),
            "--log",
            str(tmp_path / "demo.log"),
            "--system-db",
            f"sqlite:///{tmp_path / 'meltano.db'}",
        ],
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "tap: customers: 600 customers emitted" in out
    assert "changed 9 customers in the sandbox" in out
    assert "rows 600, distinct customer_id 600, sandbox customers 600" in out
    assert ": match" in out
    assert "types: updated_on TIMESTAMP, mrr_cents HUGEINT, plans JSON" in out
    url = next(line.strip() for line in out.splitlines() if line.strip().startswith("http://"))
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect((host, int(port)))  # the sandbox was stopped
