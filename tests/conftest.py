"""Shared helpers: a sandbox per test and a runner for the real ``tap-profitwell`` CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from tap_profitwell.sandbox import Sandbox, SandboxConfig
from tap_profitwell.timestamps import canonical_timestamp

TAP = str(Path(sys.executable).with_name("tap-profitwell"))


@dataclasses.dataclass
class TapRun:
    """What one run of the CLI printed, split into Singer messages."""

    returncode: int
    messages: list[dict[str, t.Any]]
    stdout: str
    stderr: str

    @property
    def records(self) -> list[dict[str, t.Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD"]

    @property
    def ids(self) -> list[str]:
        return [r["customer_id"] for r in self.records]

    @property
    def states(self) -> list[dict[str, t.Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, t.Any]:
        return self.states[-1]

    @property
    def bookmark(self) -> str | None:
        return self.final_state["bookmarks"]["customers"].get("replication_key_value")


def run_tap(
    tmp_path: Path,
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    args: t.Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> TapRun:
    """Run ``tap-profitwell`` as a user would, with config (and state) files."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [TAP, "--config", str(config_file), *args]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
    messages = [
        json.loads(line) for line in completed.stdout.splitlines() if line.startswith('{"type"')
    ]
    return TapRun(completed.returncode, messages, completed.stdout, completed.stderr)


def tap_config(sandbox: Sandbox, **overrides: t.Any) -> dict[str, t.Any]:
    """Config pointing at the sandbox, unpaced, with quick retries."""
    return {
        "api_token": sandbox.token,
        "api_url": sandbox.url,
        "rate_limit_requests": 0,
        "retry_max_tries": 6,
        "retry_max_seconds": 60,
        **overrides,
    }


def as_emitted(customer: dict[str, t.Any]) -> dict[str, t.Any]:
    """A sandbox customer the way the tap emits it: updated_on in canonical form."""
    return {**customer, "updated_on": canonical_timestamp(customer["updated_on"])}


@pytest.fixture
def sandbox() -> t.Iterator[t.Callable[..., Sandbox]]:
    """Start sandboxes with the given options; all stop at the end of the test."""
    started: list[Sandbox] = []

    def start(**options: t.Any) -> Sandbox:
        box = Sandbox(SandboxConfig(**options), host="127.0.0.1", port=0)
        box.start()
        started.append(box)
        return box

    yield start
    for box in started:
        box.stop()
