"""End to end: the real CLI against the sandbox, checked against the sandbox's own data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import as_emitted, run_tap, tap_config


def bookmark_on(key: str, value: str) -> dict[str, str]:
    return {"replication_key": key, "replication_key_value": value}


def newest(customers: list[dict]) -> str:
    return max(as_emitted(c)["updated_on"] for c in customers)


def test_full_sync_emits_every_customer_once_exactly_as_the_api_has_it(sandbox, tmp_path: Path):
    box = sandbox(customers=1_200, seed=3)
    truth = {c["customer_id"]: as_emitted(c) for c in box.snapshot()}
    run = run_tap(tmp_path, tap_config(box, per_page=100))
    assert run.returncode == 0, run.stderr
    assert sorted(run.ids) == sorted(truth)
    assert {r["customer_id"]: r for r in run.records} == truth  # nothing altered or dropped
    kinds = [m["type"] for m in run.messages]
    assert kinds.index("SCHEMA") < kinds.index("RECORD")
    assert run.bookmark == newest(list(truth.values()))
    assert "progress_markers" not in json.dumps(run.final_state)
    assert "Sync summary for customers: 1200 customers emitted" in run.stderr


def test_requests_stay_near_ceil_customers_over_per_page(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=2_000, seed=4)
    run = run_tap(tmp_path, tap_config(box, per_page=250))
    assert run.returncode == 0, run.stderr
    # 8 full pages, then one request that finds only the boundary customer: 9 requests.
    assert box.stats["search_requests"] == 9


def test_incremental_rerun_emits_only_customers_updated_since(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=800, seed=5)
    first = run_tap(tmp_path, tap_config(box))
    assert first.returncode == 0, first.stderr

    unchanged = run_tap(tmp_path, tap_config(box), state=first.final_state)
    assert unchanged.returncode == 0, unchanged.stderr
    at_bookmark = {
        c["customer_id"] for c in box.snapshot() if as_emitted(c)["updated_on"] == first.bookmark
    }
    assert set(unchanged.ids) == at_bookmark  # start_date is inclusive: only the boundary
    assert unchanged.bookmark == first.bookmark

    changed = set(box.mutate(7))
    rerun = run_tap(tmp_path, tap_config(box), state=first.final_state)
    assert rerun.returncode == 0, rerun.stderr
    assert set(rerun.ids) == changed | at_bookmark
    assert rerun.bookmark == newest(box.snapshot())


def test_start_date_and_end_date_bound_the_sync(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=1_000, seed=6)
    stamps = sorted(as_emitted(c)["updated_on"] for c in box.snapshot())
    start, end = stamps[200], stamps[700]
    run = run_tap(tmp_path, tap_config(box, start_date=start, end_date=end, per_page=50))
    assert run.returncode == 0, run.stderr
    expected = sorted(
        c["customer_id"] for c in box.snapshot() if start <= as_emitted(c)["updated_on"] < end
    )
    assert sorted(run.ids) == expected


def test_tie_block_longer_than_three_pages_loses_nobody(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=3_000, seed=7, tie_blocks=2, tie_block_size=450)
    run = run_tap(tmp_path, tap_config(box, per_page=100))
    assert run.returncode == 0, run.stderr
    assert sorted(run.ids) == sorted(c["customer_id"] for c in box.snapshot())


def test_past_the_page_cap_by_moving_start_date(sandbox, tmp_path: Path) -> None:
    """101,000 customers: page numbers alone stop at 100,000 / per_page = 400 pages."""
    box = sandbox(customers=101_000, seed=8)
    run = run_tap(tmp_path, tap_config(box))
    assert run.returncode == 0, run.stderr
    assert len(run.ids) == 101_000
    assert len(set(run.ids)) == 101_000
    assert run.bookmark == newest(box.snapshot())


def test_customers_updated_during_the_sync_are_not_lost(sandbox, tmp_path: Path) -> None:
    box = sandbox(
        customers=2_500,
        seed=9,
        tie_blocks=1,
        tie_block_size=600,
        mutate_every=2,
        mutate_count=3,
        mutate_target="tie",
    )
    before = {c["customer_id"]: as_emitted(c)["updated_on"] for c in box.snapshot()}
    run = run_tap(tmp_path, tap_config(box, per_page=100))
    assert run.returncode == 0, run.stderr
    after = {c["customer_id"] for c in box.snapshot()}
    assert set(before) <= set(run.ids)
    assert after <= set(run.ids)
    changed = {cid for cid in before if cid in after} - {
        c["customer_id"]
        for c in box.snapshot()
        if as_emitted(c)["updated_on"] == before[c["customer_id"]]
    }
    assert changed, "the sandbox should have updated customers during the sync"
    for customer_id in set(before) - changed:
        assert run.ids.count(customer_id) == 1
    stamps = [r["updated_on"] for r in run.records]
    assert stamps == sorted(stamps)


def test_customer_ids_fetch_exactly_those_with_the_id_encoded(sandbox, tmp_path: Path) -> None:
    awkward = {
        "customer_id": "a/../b?x=1",
        "email": None,
        "first_name": None,
        "last_name": None,
        "mrr_cents": 500,
        "plans": ["Team Plan"],
        "status": "active",
        "created_on": "2023-06-15T12:41:32Z",
        "activated_on": "2023-06-22T12:41:32Z",
        "churned_on": None,
        "updated_on": "2023-08-28T10:55:19.919563Z",
        "total_spend_cents": 1000,
    }
    box = sandbox(customers=50, seed=10, extra_customers=[awkward])
    known = box.snapshot()[3]
    state = {
        "bookmarks": {
            "customers": {
                "replication_key": "updated_on",
                "replication_key_value": "2024-01-01T00:00:00.000000Z",
            }
        }
    }
    ids = ["a/../b?x=1", "..", "cus_missing", known["customer_id"], "a/../b?x=1"]
    run = run_tap(tmp_path, tap_config(box, customer_ids=ids), state=state)
    assert run.returncode == 0, run.stderr
    assert run.records == [as_emitted(awkward), as_emitted(known)]  # each once, in order
    assert "Customer not found (HTTP 404)" in run.stderr
    assert "cus_missing" in run.stderr
    # ".." cannot be a URL path segment (it would address /v2/): skipped, never requested.
    assert "Customer id '..' skipped" in run.stderr
    assert box.stats["requests"] == 3
    # A lookup by id does not move the search bookmark.
    assert run.bookmark == "2024-01-01T00:00:00.000000Z"


def test_bad_token_fails_at_once_without_retrying(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=10)
    secret = "pw-secret-token-4f1d2c"  # noqa: S105
    run = run_tap(tmp_path, tap_config(box, api_token=secret, retry_max_tries=8))
    assert run.returncode == 1
    assert "rejected the API token" in run.stderr
    assert "api_token" in run.stderr
    assert secret not in run.stderr + run.stdout
    assert box.stats["requests"] == 1
    assert "Traceback" not in run.stderr


def test_bad_settings_stop_before_any_request(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=10)
    for bad, name in [
        ({"per_page": 300}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"start_date": "2024-02-01", "end_date": "2024-01-01"}, "end_date"),
    ]:
        run = run_tap(tmp_path, tap_config(box, **bad))
        assert run.returncode == 1, bad
        assert name in run.stderr
        assert run.records == []
    assert box.stats["requests"] == 0


def test_an_api_ignoring_sub_second_start_dates_still_gives_each_customer_once(
    sandbox, tmp_path: Path
) -> None:
    """Customers before start_date come back when the API floors it to the second."""
    box = sandbox(
        customers=1_500, seed=11, truncate_start_to_seconds=True, tie_blocks=1, tie_block_size=300
    )
    run = run_tap(tmp_path, tap_config(box, per_page=50))
    assert run.returncode == 0, run.stderr
    assert sorted(run.ids) == sorted(c["customer_id"] for c in box.snapshot())


def test_an_email_search_leaves_the_bookmark_for_the_next_full_run(sandbox, tmp_path: Path):
    box = sandbox(customers=600, seed=12)
    first = run_tap(tmp_path, tap_config(box))
    assert first.returncode == 0, first.stderr
    changed = box.mutate(5)
    by_id = {c["customer_id"]: c for c in box.snapshot()}
    email = next(by_id[i]["email"] for i in reversed(changed) if by_id[i]["email"])
    having_email = {i for i, c in by_id.items() if c["email"] == email}

    lookup = run_tap(tmp_path, tap_config(box, email=email), state=first.final_state)
    assert lookup.returncode == 0, lookup.stderr
    assert set(lookup.ids) == having_email  # from the start: every customer with that email
    assert lookup.bookmark == first.bookmark  # not moved to that customer's updated_on

    rerun = run_tap(tmp_path, tap_config(box), state=lookup.final_state)
    assert rerun.returncode == 0, rerun.stderr
    assert set(changed) <= set(rerun.ids)  # no changed customer skipped


@pytest.mark.parametrize(
    "form", ["STATE message", "meltano state get", "hand-written", "value without key"]
)
def test_a_state_in_the_forms_it_is_handed_over_in(sandbox, tmp_path: Path, form: str) -> None:
    box = sandbox(customers=300, seed=13)
    first = run_tap(tmp_path, tap_config(box))
    assert first.returncode == 0, first.stderr
    given = {
        "STATE message": {"type": "STATE", "value": first.final_state},  # a target's last line
        "meltano state get": {"singer_state": first.final_state},
        "hand-written": {"bookmarks": {"customers": {"updated_on": first.bookmark}}},
        "value without key": {
            "bookmarks": {"customers": {"replication_key_value": first.bookmark}}
        },
    }[form]
    rerun = run_tap(tmp_path, tap_config(box), state=given)
    assert rerun.returncode == 0, rerun.stderr
    at_bookmark = {
        c["customer_id"] for c in box.snapshot() if as_emitted(c)["updated_on"] == first.bookmark
    }
    assert set(rerun.ids) == at_bookmark


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "holds a JSON list, not an object"),
        ('{"customers": {"updated_on": "2024-01-01"}}', "has no bookmarks (its keys: customers)"),
        ('{"bookmarks": []}', "bookmarks must be a JSON object"),
        ('{"bookmarks": {"customers": {"updated_on": null}}}', "bookmark for customers is null"),
        ('{"bookmarks": {"customers": "x"}}', "bookmark for customers is not a JSON object"),
        (
            json.dumps({"bookmarks": {"customers": bookmark_on("created_on", "2099-01-01")}}),
            "is on 'created_on', but the stream's replication key is 'updated_on'",
        ),
        (
            json.dumps({"bookmarks": {"customers": bookmark_on("updated_on", "soon")}}),
            "bookmark for customers is not a date-time",
        ),
    ],
)
def test_a_bad_state_stops_with_one_line_before_any_request(
    sandbox, tmp_path: Path, content: str, says: str
) -> None:
    box = sandbox(customers=10)
    state_file = tmp_path / "bad-state.json"
    state_file.write_text(content)
    run = run_tap(tmp_path, tap_config(box), args=["--state", str(state_file)])
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if "tap-profitwell stopped" in line]
    assert len(errors) == 1, run.stderr
    assert says in errors[0]
    assert "Traceback" not in run.stderr
    assert run.records == []
    assert box.stats["requests"] == 0


def test_a_bookmark_for_an_unknown_stream_is_named_in_a_warning(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=40, seed=15)
    typo = {"bookmarks": {"customer": {"replication_key_value": "2099-01-01T00:00:00Z"}}}
    run = run_tap(tmp_path, tap_config(box), state=typo)
    assert run.returncode == 0, run.stderr
    assert "bookmark for unknown stream 'customer' is ignored" in run.stderr
    assert len(run.ids) == 40


def test_a_lookup_never_tells_the_target_to_drop_the_rest(sandbox, tmp_path: Path) -> None:
    """ACTIVATE_VERSION after a lookup would make a target drop every customer not looked up."""
    box = sandbox(customers=30, seed=16)
    some = [c["customer_id"] for c in box.snapshot()[:2]]
    for lookup in ({"customer_ids": some}, {"email": box.snapshot()[0]["email"] or "x@y.test"}):
        config = tap_config(box, emit_activate_version_messages=True, **lookup)
        run = run_tap(tmp_path, config)
        assert run.returncode == 0, run.stderr
        assert run.records, lookup
        assert "ACTIVATE_VERSION" not in {m["type"] for m in run.messages}
        assert "emit_activate_version_messages is ignored" in run.stderr


def test_discovery_needs_no_valid_config(tmp_path: Path) -> None:
    """`meltano select` discovers with whatever config it has, often no token yet."""
    for config in ({}, {"api_token": "x", "per_page": 300}):
        run = run_tap(tmp_path, config, args=["--discover"])
        assert run.returncode == 0, run.stderr
        catalog = json.loads(run.stdout)
        (stream,) = catalog["streams"]
        assert stream["tap_stream_id"] == "customers"
        assert stream["replication_key"] == "updated_on"


def test_customer_ids_that_all_404_point_at_a_wrong_api_url(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=20, seed=17)
    known = box.snapshot()[0]["customer_id"]
    wrong = tap_config(box, api_url=box.url + "/api", customer_ids=[known, "cus_other"])
    run = run_tap(tmp_path, wrong)
    assert run.returncode == 1
    assert "None of the 2 customer_ids was found" in run.stderr
    assert "check the api_url setting" in run.stderr
    assert run.records == []


def test_a_tie_block_past_the_page_cap_stops_after_emitting_what_it_can_reach(
    sandbox, tmp_path: Path
) -> None:
    """More than 100,000 customers on one updated_on: stop clearly, skip nobody silently."""
    box = sandbox(customers=100_300, seed=18, tie_blocks=1, tie_block_size=100_100)
    stamps = sorted(as_emitted(c)["updated_on"] for c in box.snapshot())
    block = max(set(stamps), key=stamps.count)
    before = sum(1 for s in stamps if s < block)
    run = run_tap(tmp_path, tap_config(box), timeout=600)
    assert run.returncode == 1
    (error,) = [line for line in run.stderr.splitlines() if "tap-profitwell stopped" in line]
    assert f"At least 100000 customers share updated_on {block}" in error
    assert len(set(run.ids)) == before + 100_000  # everything up to the cap, once
    assert run.bookmark == block
    assert box.stats["search_requests"] <= 1 + before // 249 + 400 + 1


def test_fractional_seconds_in_a_config_file(sandbox, tmp_path: Path) -> None:
    box = sandbox(customers=50, seed=19)
    run = run_tap(tmp_path, tap_config(box, request_timeout=30.5, retry_max_seconds=59.5))
    assert run.returncode == 0, run.stderr
    assert len(run.ids) == 50
