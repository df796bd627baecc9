"""The Airbyte adapter: its messages, its commands against the sandbox, and PyAirbyte on it.

``source-profitwell`` is run as a real executable (as Airbyte runs it) against the local
sandbox; every line it prints must parse as an Airbyte message. PyAirbyte runs from a venv of
its own (.venv-pyairbyte, built on first use and reused), since its dependencies (airbyte-cdk,
the classic ``backoff``) must not enter the tap's venv.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SOURCE = BIN / ("source-profitwell.exe" if os.name == "nt" else "source-profitwell")


def _ensure_airbyte_extra() -> None:
    """Install the ``airbyte`` extra into this venv if ``make setup`` did not (it adds
    ``[airbyte]`` when the Makefile installs ``.[dev,airbyte]``; then this does nothing)."""
    if importlib.util.find_spec("airbyte_protocol") is not None and SOURCE.exists():
        return
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[airbyte]"],
        check=True,
    )
    importlib.invalidate_caches()


_ensure_airbyte_extra()

from airbyte_protocol.models import (  # noqa: E402
    AirbyteMessage,
    ConfiguredAirbyteCatalog,
    Type,
)
from jsonschema import Draft7Validator  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from tap_profitwell.airbyte.messages import Level, log_message, to_json  # noqa: E402
from tap_profitwell.airbyte.redact import MASK, Redactor  # noqa: E402
from tap_profitwell.airbyte.state import StateError, singer_state  # noqa: E402
from tap_profitwell.sandbox import Sandbox, SandboxConfig  # noqa: E402
from tap_profitwell.sandbox.config import Fault  # noqa: E402
from tap_profitwell.settings import CONFIG_SCHEMA  # noqa: E402

CUSTOMERS = 300
TOKEN = "sandbox-token-7f3c9e"  # noqa: S105 - the sandbox's fake token, checked for leaks
BOOKMARK = {"replication_key": "updated_on", "replication_key_value": "2026-01-01T00:00:00.000000Z"}

PAYLOAD = {
    Type.SPEC: "spec",
    Type.CATALOG: "catalog",
    Type.CONNECTION_STATUS: "connectionStatus",
    Type.RECORD: "record",
    Type.STATE: "state",
    Type.LOG: "log",
    Type.TRACE: "trace",
}


# -- helpers ---------------------------------------------------------------------------------


def no_extras(model: BaseModel, where: str = "message") -> None:
    """The protocol models allow unknown fields; a typo'd field must still fail the test."""
    assert not model.model_extra or where.endswith("stream_state"), (where, model.model_extra)
    for name in model.model_fields_set:
        value = getattr(model, name)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, BaseModel):
                no_extras(item, f"{where}.{name}")


def parse(stdout: str) -> list[AirbyteMessage]:
    """Every line validated against the protocol models, strictly."""
    messages = []
    for line in stdout.splitlines():
        message = AirbyteMessage.model_validate_json(line)
        no_extras(message)
        assert getattr(message, PAYLOAD[message.type]) is not None, line
        assert json.loads(to_json(message)) == json.loads(line), line
        messages.append(message)
    return messages


class Run:
    """One ``source-profitwell`` command's outcome."""

    def __init__(self, process: subprocess.CompletedProcess[str]) -> None:
        self.returncode = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.messages = parse(process.stdout)

    def of(self, kind: Type) -> list[Any]:
        return [getattr(m, PAYLOAD[kind]) for m in self.messages if m.type == kind]

    def records(self) -> list[dict[str, Any]]:
        return [r.data for r in self.of(Type.RECORD)]


def source(tmp_path: Path, command: str, config: dict[str, Any], **files: Any) -> Run:
    """Run one protocol command as Airbyte does, with JSON files for its arguments."""
    args = [str(SOURCE), command]
    for name, content in {"config": config, **files}.items():
        path = tmp_path / f"{command}-{name}.json"
        path.write_text(json.dumps(content))
        args += [f"--{name}", str(path)]
    process = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    return Run(process)


def configured_catalog(
    stream: dict[str, Any], sync_mode: str = "incremental", columns: list[str] | None = None
) -> dict[str, Any]:
    stream = json.loads(json.dumps(stream))
    if columns is not None:
        props = stream["json_schema"]["properties"]
        stream["json_schema"]["properties"] = {k: props[k] for k in columns}
    return {
        "streams": [
            {
                "stream": stream,
                "sync_mode": sync_mode,
                "destination_sync_mode": "append",
                "cursor_field": ["updated_on"],
            }
        ]
    }


def last_states(run: Run) -> list[dict[str, Any]]:
    """The state Airbyte would save: the last STATE message of each stream."""
    latest = {}
    for state in run.of(Type.STATE):
        latest[state.stream.stream_descriptor.name] = json.loads(
            state.model_dump_json(exclude_unset=True, by_alias=True)
        )
    return list(latest.values())


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def sandbox() -> Any:
    with Sandbox(SandboxConfig(customers=CUSTOMERS, seed=3, token=TOKEN), port=0) as sb:
        yield sb


@pytest.fixture
def config(sandbox: Sandbox) -> dict[str, Any]:
    return {"api_token": TOKEN, "api_url": sandbox.url, "rate_limit_requests": 0, "per_page": 100}


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The discovered stream (discovery reads no data, so no sandbox is needed)."""
    run = source(tmp_path_factory.mktemp("discover"), "discover", {"api_token": TOKEN})
    assert run.returncode == 0
    (catalog,) = run.of(Type.CATALOG)
    return catalog.streams[0].model_dump(mode="json", exclude_unset=True)


# -- spec, discover, check -------------------------------------------------------------------


def test_spec_is_the_tap_settings_schema(tmp_path: Path) -> None:
    args = [str(SOURCE), "spec"]
    run = Run(subprocess.run(args, capture_output=True, text=True, timeout=60, check=False))
    assert run.returncode == 0
    (spec,) = run.of(Type.SPEC)
    schema = spec.connectionSpecification
    Draft7Validator.check_schema(schema)
    assert set(schema["properties"]) == set(CONFIG_SCHEMA["properties"])
    assert schema["required"] == ["api_token"]
    assert schema["properties"]["api_token"]["airbyte_secret"] is True
    assert not any(
        p.get("airbyte_secret") for n, p in schema["properties"].items() if n != "api_token"
    )
    assert "stream_maps" not in schema["properties"]
    Draft7Validator(schema).validate({"api_token": "x", "per_page": 10, "start_date": "2024-01-01"})


def test_discover_offers_customers_incrementally(stream: dict[str, Any]) -> None:
    assert stream["name"] == "customers"
    assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert stream["source_defined_cursor"] is True
    assert stream["default_cursor_field"] == ["updated_on"]
    assert stream["source_defined_primary_key"] == [["customer_id"]]
    assert "updated_on" in stream["json_schema"]["properties"]


def test_discover_by_customer_ids_is_full_refresh_only(tmp_path: Path, config: dict) -> None:
    run = source(tmp_path, "discover", {**config, "customer_ids": ["a", "b"]})
    (catalog,) = run.of(Type.CATALOG)
    assert [m.value for m in catalog.streams[0].supported_sync_modes] == ["full_refresh"]


def test_check_succeeds_on_the_sandbox(tmp_path: Path, config: dict) -> None:
    run = source(tmp_path, "check", config)
    assert run.returncode == 0
    assert [s.status.value for s in run.of(Type.CONNECTION_STATUS)] == ["SUCCEEDED"]


# -- read ------------------------------------------------------------------------------------


def test_read_full_then_incremental(
    tmp_path: Path, sandbox: Sandbox, config: dict, stream: dict
) -> None:
    catalog = configured_catalog(stream)
    first = source(tmp_path, "read", config, catalog=catalog)
    assert first.returncode == 0, first.stdout[-2000:]
    records = first.records()
    assert len(records) == CUSTOMERS
    assert {r["customer_id"] for r in records} == {c["customer_id"] for c in sandbox.snapshot()}
    assert all(r.stream == "customers" and r.emitted_at > 1e12 for r in first.of(Type.RECORD))
    (state,) = last_states(first)
    bookmark = state["stream"]["stream_state"]
    assert bookmark["replication_key_value"] == max(r["updated_on"] for r in records)
    assert state["sourceStats"]["recordCount"] == CUSTOMERS
    statuses = [t.stream_status.status.value for t in first.of(Type.TRACE)]
    assert statuses == ["STARTED", "COMPLETE"]
    assert first.of(Type.LOG), "the tap's logging comes through as LOG messages"

    changed = sandbox.mutate(5)
    second = source(tmp_path, "read", config, catalog=catalog, state=last_states(first))
    assert second.returncode == 0
    got = [r["customer_id"] for r in second.records()]
    at_bookmark = {
        r["customer_id"] for r in records if r["updated_on"] == bookmark["replication_key_value"]
    }
    assert set(changed) <= set(got) <= set(changed) | at_bookmark
    assert len(got) == len(set(got))


@pytest.mark.parametrize(
    "shape",
    [
        "per-stream message",
        "legacy bookmarks",
        "legacy stream map",
        "legacy message",
        "cursor",
        "bare cursor",
    ],
)
def test_read_accepts_legacy_and_hand_written_states(
    tmp_path: Path, sandbox: Sandbox, config: dict, stream: dict, shape: str
) -> None:
    middle = sorted(c["updated_on"] for c in sandbox.snapshot())[CUSTOMERS // 2]
    bookmark = {"replication_key": "updated_on", "replication_key_value": middle}
    descriptor = {"stream_descriptor": {"name": "customers"}}
    state = {
        "per-stream message": [
            {"type": "STREAM", "stream": {**descriptor, "stream_state": bookmark}}
        ],
        "legacy bookmarks": {"bookmarks": {"customers": bookmark}},
        "legacy stream map": {"customers": bookmark},
        "legacy message": [{"type": "LEGACY", "data": {"customers": bookmark}}],
        "cursor": [
            {"type": "STREAM", "stream": {**descriptor, "stream_state": {"updated_on": middle}}}
        ],
        "bare cursor": {"updated_on": middle},
    }[shape]
    run = source(tmp_path, "read", config, catalog=configured_catalog(stream), state=state)
    assert run.returncode == 0, run.stdout[-2000:]
    got = run.records()
    assert got, "records after the bookmark"
    assert min(r["updated_on"] for r in got) >= middle
    assert len(got) <= CUSTOMERS - CUSTOMERS // 2 + 1


def test_full_refresh_ignores_state_and_selects_columns(
    tmp_path: Path, config: dict, stream: dict
) -> None:
    catalog = configured_catalog(stream, "full_refresh", columns=["customer_id", "email"])
    state = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "customers"},
                "stream_state": {
                    "replication_key": "updated_on",
                    "replication_key_value": "2100-01-01T00:00:00.000000Z",
                },
            },
        }
    ]
    run = source(tmp_path, "read", config, catalog=catalog, state=state)
    assert run.returncode == 0
    records = run.records()
    assert len(records) == CUSTOMERS
    assert set(records[0]) == {"customer_id", "email", "updated_on"}  # key and cursor stay


def test_sync_failure_is_a_trace_error(tmp_path: Path, stream: dict) -> None:
    faulty = SandboxConfig(customers=CUSTOMERS, seed=3, token=TOKEN, faults=[Fault("503", at=(2,))])
    with Sandbox(faulty, port=0) as sb:
        config = {"api_token": TOKEN, "api_url": sb.url, "rate_limit_requests": 0}
        config |= {"per_page": 100, "retry_max_tries": 1}
        run = source(tmp_path, "read", config, catalog=configured_catalog(stream))
    assert run.returncode == 1
    errors = [t.error for t in run.of(Type.TRACE) if t.error]
    assert len(errors) == 1
    assert errors[0].failure_type.value == "transient_error"
    assert "503" in errors[0].message
    assert len(run.records()) == 100  # the first page, before the failure
    statuses = [t.stream_status.status.value for t in run.of(Type.TRACE) if t.stream_status]
    assert statuses == ["STARTED", "INCOMPLETE"]


# -- configuration mistakes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mistake", "expected"),
    [
        ("bad token", "rejected the API token"),
        ("closed port", "Could not connect"),
        ("wrong path", "check the api_url setting"),
        ("empty token", "api_token"),
        ("token with a newline", "a line break"),
        ("per_page 0", "per_page"),
    ],
)
def test_config_mistake_fails_check_and_read(
    tmp_path: Path, sandbox: Sandbox, stream: dict, mistake: str, expected: str
) -> None:
    secret = "tok-DO-NOT-PRINT-8d1e"  # noqa: S105 - the sandbox expects TOKEN
    config = {"api_token": TOKEN, "api_url": sandbox.url, "rate_limit_requests": 0}
    if mistake == "bad token":
        config["api_token"] = secret
    elif mistake == "closed port":
        config["api_url"] = "http://127.0.0.1:9"
    elif mistake == "wrong path":
        config["api_url"] = sandbox.url + "/nothing-here"
    elif mistake == "token with a newline":  # as read from a secrets file
        config["api_token"] = secret + "\n"
    elif mistake == "per_page 0":  # check reads with per_page 1: the setting must still count
        config["per_page"] = 0
    else:
        config["api_token"] = ""

    started = time.monotonic()
    check = source(tmp_path, "check", config)  # with the default retry budget, cut for check
    assert time.monotonic() - started < 30
    assert check.returncode == 0
    (status,) = check.of(Type.CONNECTION_STATUS)
    assert status.status.value == "FAILED"
    assert expected in status.message

    config["retry_max_tries"] = 1
    read = source(tmp_path, "read", config, catalog=configured_catalog(stream))
    assert read.returncode == 1
    (error,) = [t.error for t in read.of(Type.TRACE) if t.error]
    assert error.failure_type.value == "config_error"
    assert expected in error.message
    assert not read.records()
    for run in (check, read):
        for text in (run.stdout, run.stderr):
            assert secret not in text
            assert TOKEN not in text
            assert "DO-NOT-PRINT" not in text


def test_unreadable_inputs_are_config_errors(tmp_path: Path, config: dict) -> None:
    run = source(tmp_path, "read", config, catalog={"streams": [{"stream": {}}]})
    assert run.returncode == 1
    (trace,) = run.of(Type.TRACE)
    assert trace.error.failure_type.value == "config_error"
    assert "not a configured catalog" in trace.error.message
    missing = tmp_path / "missing.json"
    args = [str(SOURCE), "check", "--config", str(missing)]
    check = Run(subprocess.run(args, capture_output=True, text=True, timeout=60, check=False))
    assert check.returncode == 0
    assert "Cannot read the config file" in check.of(Type.CONNECTION_STATUS)[0].message


# -- units -----------------------------------------------------------------------------------


def test_redactor_masks_secrets_in_free_text_only() -> None:
    redact = Redactor({"api_token": "s3cret", "api_url": "http://x"})
    message = redact.message(log_message(Level.ERROR, "bad s3cret", stack_trace="at s3cret"))
    assert message.log.message == f"bad {MASK}"
    assert message.log.stack_trace == f"at {MASK}"
    assert "stack_trace" not in to_json(redact.message(log_message(Level.INFO, "s3cret")))
    quoted = Redactor({"api_token": "s3cret\n"})(r"Invalid header value b's3cret\n'")
    assert quoted == f"Invalid header value b'{MASK}'"


def test_singer_state_shapes() -> None:
    message = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "customers"}}}
    assert singer_state(None) == {}
    assert singer_state([message]) == {}
    assert singer_state({"customers": BOOKMARK}, ignore={"customers"}) == {}
    glob = {
        "type": "GLOBAL",
        "global": {
            "stream_states": [
                {"stream_descriptor": {"name": "customers"}, "stream_state": BOOKMARK}
            ]
        },
    }
    assert singer_state(glob) == {"bookmarks": {"customers": BOOKMARK}}
    with pytest.raises(StateError):
        singer_state([{"type": "STREAM"}])
    with pytest.raises(StateError):
        singer_state("nonsense")
    cursor = {"updated_on": "2026-01-01T00:00:00Z"}
    expected = {"replication_key": "updated_on", "replication_key_value": cursor["updated_on"]}
    assert singer_state(cursor, cursors={"customers": "updated_on"}) == {
        "bookmarks": {"customers": expected}
    }


def test_configured_catalog_model_round_trip(stream: dict) -> None:
    ConfiguredAirbyteCatalog.model_validate(configured_catalog(stream))


# -- PyAirbyte -------------------------------------------------------------------------------

PYAIRBYTE_VENV = ROOT / ".venv-pyairbyte"
PYAIRBYTE_REQUIREMENTS = ROOT / "tests" / "support" / "pyairbyte-requirements.txt"
PYAIRBYTE_SCRIPT = ROOT / "tests" / "support" / "pyairbyte_read.py"


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _install(python: Path, requirements: Path) -> None:
    """uv installs PyAirbyte's ~180 packages in well under a minute where pip takes minutes;
    pip stays as the fallback."""
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if subprocess.run([*pip, "uv"], check=False).returncode == 0:
        uv = [str(python), "-m", "uv", "pip", "install", "--quiet", "--python", str(python)]
        if subprocess.run([*uv, "-r", str(requirements)], check=False).returncode == 0:
            return
    subprocess.run([*pip, "-r", str(requirements)], check=True)


@pytest.fixture(scope="session")
def pyairbyte() -> Path:
    """PyAirbyte's python, from .venv-pyairbyte: built once (about a minute), then reused
    while tests/support/pyairbyte-requirements.txt is unchanged. Built aside and moved into
    place, so an interrupted build never leaves a half venv that looks ready."""
    wanted = PYAIRBYTE_REQUIREMENTS.read_text()
    marker = PYAIRBYTE_VENV / "requirements.txt"
    if marker.is_file() and marker.read_text() == wanted:
        return _venv_python(PYAIRBYTE_VENV)
    staging = PYAIRBYTE_VENV.with_name(f"{PYAIRBYTE_VENV.name}.tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True)
    (staging / ".gitignore").write_text("*\n")  # the venv ignores itself
    _install(_venv_python(staging), PYAIRBYTE_REQUIREMENTS)
    (staging / "requirements.txt").write_text(wanted)
    shutil.rmtree(PYAIRBYTE_VENV, ignore_errors=True)
    staging.rename(PYAIRBYTE_VENV)
    return _venv_python(PYAIRBYTE_VENV)


def pyairbyte_read(python: Path, tmp_path: Path, config: dict[str, Any]) -> dict[str, Any]:
    """One PyAirbyte read into tmp_path's DuckDB cache (state carries over between calls)."""
    config_file = tmp_path / "pyairbyte-config.json"
    config_file.write_text(json.dumps(config))
    env = {**os.environ, "AIRBYTE_PROJECT_DIR": str(tmp_path), "AIRBYTE_TEMP_DIR": str(tmp_path)}
    args = [str(python), "-I", str(PYAIRBYTE_SCRIPT), "--executable", str(SOURCE)]
    args += ["--config", str(config_file), "--cache", str(tmp_path / "cache.duckdb")]
    process = subprocess.run(
        args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False
    )
    assert process.returncode == 0, process.stderr[-4000:]
    assert TOKEN not in process.stdout + process.stderr
    return json.loads(process.stdout.splitlines()[-1])


def test_pyairbyte_reads_all_then_only_changes(
    pyairbyte: Path, tmp_path: Path, sandbox: Sandbox, config: dict
) -> None:
    first = pyairbyte_read(pyairbyte, tmp_path, config)
    assert first["processed_records"] == len(sandbox.snapshot()) == CUSTOMERS
    assert len(first["read_ids"]) == CUSTOMERS

    newest = max(c["updated_on"] for c in sandbox.snapshot())
    at_bookmark = {c["customer_id"] for c in sandbox.snapshot() if c["updated_on"] == newest}
    changed = sandbox.mutate(7)
    second = pyairbyte_read(pyairbyte, tmp_path, config)
    got = second["read_ids"]
    assert set(changed) <= set(got) <= set(changed) | at_bookmark
    assert second["processed_records"] == len(got)
    assert second["rows_in_cache"] == CUSTOMERS + len(got)
