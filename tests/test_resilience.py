"""Faults a real API and network produce: every customer still arrives, or the run stops
clearly with a state from which the next run completes the set."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tap_profitwell.sandbox import Fault
from tests.conftest import TAP, run_tap, tap_config

CUSTOMERS = 1_000
PER_PAGE = 100  # 11 requests for a clean full sync


@pytest.mark.parametrize(
    "fault",
    [
        Fault("500", at=(2, 6)),
        Fault("502", at=(2, 6)),  # an HTML body, as a proxy sends
        Fault("503", at=(3,)),
        Fault("504", at=(3,)),
        Fault("429", at=(2, 5), retry_after=1),
        Fault("429", at=(2, 5)),  # no Retry-After: exponential backoff
        Fault("html200", at=(4,)),  # a 200 whose body is a proxy's HTML page
        Fault("truncate", at=(2, 7)),  # a 200 whose JSON stops halfway
        Fault("object", at=(3,)),  # a JSON object instead of the array
        Fault("drop", at=(2, 5)),  # the connection closes with no response
        Fault("slow", at=(3,), delay=3.0),  # slower than request_timeout
    ],
    ids=lambda f: f"{f.kind}{'-retry-after' if f.retry_after else ''}",
)
def test_every_customer_arrives_through_a_retried_fault(sandbox, tmp_path: Path, fault) -> None:
    box = sandbox(customers=CUSTOMERS, seed=11, faults=[fault])
    run = run_tap(tmp_path, tap_config(box, per_page=PER_PAGE, request_timeout=1))
    assert run.returncode == 0, run.stderr
    assert sorted(run.ids) == sorted(c["customer_id"] for c in box.snapshot())
    assert box.stats["faults_injected"] == len(fault.at)
    assert f"{len(fault.at)} retries" in run.stderr


def test_a_paced_sync_is_never_throttled(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=3_000, seed=12, rate_limit_requests=25, rate_limit_window=5.0)
    run = run_tap(tmp_path, tap_config(box, per_page=100, rate_limit_requests=25))
    assert run.returncode == 0, run.stderr
    assert len(set(run.ids)) == 3_000
    assert box.stats["search_requests"] == 31
    assert box.stats["throttled"] == 0


@pytest.mark.parametrize("retry_after", [True, False])
def test_an_unpaced_sync_recovers_from_429s(sandbox, tmp_path: Path, retry_after: bool) -> None:
    box = sandbox(
        customers=1_500,
        seed=13,
        rate_limit_requests=5,
        rate_limit_window=1.0,
        rate_limit_retry_after=retry_after,
    )
    run = run_tap(tmp_path, tap_config(box, per_page=100, rate_limit_requests=0))
    assert run.returncode == 0, run.stderr
    assert len(set(run.ids)) == 1_500
    assert box.stats["throttled"] > 0
    assert f"{box.stats['throttled']} throttled (429)" in run.stderr


def test_giving_up_exits_non_zero_and_the_state_lets_a_rerun_finish(sandbox, tmp_path) -> None:
    outage = Fault("503", at=tuple(range(5, 40)))  # pages 1-4 succeed, then the API is down
    box = sandbox(customers=CUSTOMERS, seed=14, faults=[outage])
    run = run_tap(tmp_path, tap_config(box, per_page=PER_PAGE, retry_max_tries=3))
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if "tap-profitwell stopped" in line]
    assert len(errors) == 1
    assert f"Gave up on {box.url}/v2/customers/ after 3 tries" in errors[0]
    assert "HTTP 503" in errors[0]
    assert run.bookmark == run.records[-1]["updated_on"]
    # The state a failed run leaves is the plain bookmark, as a finished run writes it.
    assert run.final_state["bookmarks"]["customers"] == {
        "replication_key": "updated_on",
        "replication_key_value": run.records[-1]["updated_on"],
    }

    healthy = sandbox(customers=CUSTOMERS, seed=14)  # same data, API back up
    rerun = run_tap(tmp_path, tap_config(healthy, per_page=PER_PAGE), state=run.final_state)
    assert rerun.returncode == 0, rerun.stderr
    assert set(run.ids) | set(rerun.ids) == {c["customer_id"] for c in healthy.snapshot()}


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("missing_id", "has no customer_id"),
        ("bad_date", "has an updated_on that is not a date-time: 'not-a-date'"),
        ("unsorted", "customers out of updated_on order"),
    ],
)
def test_a_page_that_cannot_be_trusted_stops_the_sync_without_losing_anyone(
    sandbox, tmp_path: Path, kind: str, says: str
) -> None:
    box = sandbox(customers=CUSTOMERS, seed=15, faults=[Fault(kind, at=(4,))])
    run = run_tap(tmp_path, tap_config(box, per_page=PER_PAGE))
    assert run.returncode == 1
    assert says in run.stderr
    assert box.stats["requests"] == 4  # refused at once, not retried
    # Only pages 1-3 were emitted and the bookmark does not pass them.
    assert len(run.ids) == len(set(run.ids))
    assert run.bookmark == run.records[-1]["updated_on"]
    healthy = sandbox(customers=CUSTOMERS, seed=15)
    rerun = run_tap(tmp_path, tap_config(healthy, per_page=PER_PAGE), state=run.final_state)
    assert set(run.ids) | set(rerun.ids) == {c["customer_id"] for c in healthy.snapshot()}


def test_wrong_api_url_fails_at_once_naming_the_setting(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=10)
    run = run_tap(tmp_path, tap_config(box, api_url=box.url + "/wrong"))
    assert run.returncode == 1
    assert "HTTP 404 for /wrong/v2/customers/" in run.stderr
    assert "check the api_url setting" in run.stderr
    assert box.stats["requests"] == 1


def test_the_token_never_appears_in_any_output(sandbox, tmp_path: Path) -> None:
    secret = "LEAK-CANARY-7d3f9a1e5b"  # noqa: S105
    box = sandbox(
        customers=600,
        seed=16,
        token=secret,
        faults=[Fault("502", at=(2,)), Fault("503", at=tuple(range(4, 30)))],
    )
    debug = {"TAP_PROFITWELL_LOGLEVEL": "DEBUG"}
    config = tap_config(box, per_page=100, retry_max_tries=2)
    outputs = []
    for args in ([], ["--about"], ["--about", "--format=json"], ["--discover"]):
        run = run_tap(tmp_path, config, args=args, env=debug)
        outputs.append(run.stdout + run.stderr)
    sync = outputs[0]
    assert "DEBUG" in sync  # the run really logged at debug level
    assert "Gave up" in sync  # and really failed
    bad_type = run_tap(tmp_path, {**config, "api_token": 12345678987654321}, env=debug)
    outputs.append(bad_type.stdout + bad_type.stderr)
    assert bad_type.returncode == 1
    for text in outputs:
        assert secret not in text
        assert "12345678987654321" not in text


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_sync_leaves_whole_lines_a_clean_state_and_a_non_zero_exit(
    sandbox, tmp_path: Path, signum: int
) -> None:
    """Stopped while a slow target holds up stdout: nothing cut, nothing twice, nothing lost."""
    box = sandbox(customers=20_000, seed=21)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tap_config(box)))
    log = tmp_path / "stderr.txt"
    with (
        log.open("wb") as err,
        subprocess.Popen([TAP, "--config", str(config)], stdout=subprocess.PIPE, stderr=err) as tap,
    ):
        assert tap.stdout is not None
        received = bytearray(tap.stdout.read(64 * 1024))  # the sync is under way...
        tap.send_signal(signum)  # ...and blocked on a full pipe, most likely mid-write
        while chunk := tap.stdout.read(4096):  # a slow target
            received += chunk
            time.sleep(0.001)
        assert tap.wait(timeout=60) == 128 + signum
    assert f"stopped: interrupted by {signal.Signals(signum).name}" in log.read_text()

    messages = [json.loads(line) for line in received.decode().splitlines()]  # all whole
    ids = [m["record"]["customer_id"] for m in messages if m["type"] == "RECORD"]
    assert len(ids) == len(set(ids))
    assert len(ids) < 20_000, "the signal came before the end"
    state = next(m["value"] for m in reversed(messages) if m["type"] == "STATE")
    bookmark = state["bookmarks"]["customers"]
    assert set(bookmark) == {"replication_key", "replication_key_value"}

    rerun = run_tap(tmp_path, tap_config(box), state=state)
    assert rerun.returncode == 0, rerun.stderr
    assert set(ids) | set(rerun.ids) == {c["customer_id"] for c in box.snapshot()}
