"""Each rule of the paginator, against a model of the API's search rules."""

from __future__ import annotations

import random

import pytest

from tap_profitwell.paginator import (
    MAX_VERIFY_PASSES,
    CustomerPaginator,
    PageToken,
    TieBlockTooLargeError,
)
from tests.search_model import SearchModel, drain, ts


def ids(records: list[dict[str, str]]) -> list[str]:
    return [r["customer_id"] for r in records]


def page(*stamps: str, first: int = 0) -> list[dict[str, str]]:
    return [{"customer_id": f"c{first + i}", "updated_on": s} for i, s in enumerate(stamps)]


def test_rule1_page_reaching_past_start_moves_start_to_its_newest_and_page_1() -> None:
    paginator = CustomerPaginator(None, per_page=3)
    paginator.select(page(ts(1), ts(2), ts(3)))
    paginator.advance(None)  # type: ignore[arg-type]
    assert paginator.current_value == PageToken(ts(3), 1)


def test_rule2_page_entirely_on_start_keeps_start_and_takes_next_page() -> None:
    paginator = CustomerPaginator(ts(5), per_page=3)
    paginator.select(page(ts(5), ts(5), ts(5)))
    paginator.advance(None)  # type: ignore[arg-type]
    assert paginator.current_value == PageToken(ts(5), 2)


@pytest.mark.parametrize("size", [0, 1, 2])
def test_rule3_short_or_empty_page_ends_the_stream(size: int) -> None:
    paginator = CustomerPaginator(None, per_page=3)
    paginator.select(page(*[ts(i) for i in range(size)]))
    paginator.advance(None)  # type: ignore[arg-type]
    assert paginator.finished


def test_page_cap_is_100000_over_per_page() -> None:
    assert CustomerPaginator(None, per_page=250).max_page == 400
    assert CustomerPaginator(None, per_page=7).max_page == 14285


def test_tie_block_past_the_page_cap_stops_with_a_clear_error() -> None:
    paginator = CustomerPaginator(ts(9), per_page=250)
    full_page = [{"customer_id": f"c{i}", "updated_on": ts(9)} for i in range(250)]
    for number in range(1, 400):
        assert paginator.current_value == PageToken(ts(9), number)
        paginator.select([dict(r, customer_id=f"{r['customer_id']}-{number}") for r in full_page])
        paginator.advance(None)  # type: ignore[arg-type]
    last = paginator.select([dict(r, customer_id=f"{r['customer_id']}-400") for r in full_page])
    assert len(last) == 250  # the 400th page is emitted: its customers are good
    with pytest.raises(TieBlockTooLargeError, match=r"At least 100000 customers share updated_on"):
        paginator.advance(None)  # type: ignore[arg-type]  # page 401 is past the cap


def test_rule4_records_at_the_boundary_are_emitted_once() -> None:
    paginator = CustomerPaginator(None, per_page=3)
    first = paginator.select(page(ts(1), ts(2), ts(2)))
    paginator.advance(None)  # type: ignore[arg-type]
    # start_date is inclusive: the two customers at ts(2) come back first.
    second = paginator.select(page(ts(2), ts(2), ts(3), first=1))
    assert ids(first) == ["c0", "c1", "c2"]
    assert ids(second) == ["c3"]


def test_rule4_records_older_than_the_boundary_are_skipped() -> None:
    """An API that ignores sub-second precision returns customers from before start_date."""
    paginator = CustomerPaginator(ts(7, 500_000), per_page=4)
    fresh = paginator.select(page(ts(7, 100), ts(7, 400_000), ts(7, 500_000), ts(7, 900_000)))
    assert ids(fresh) == ["c2", "c3"]


def test_boundary_memory_holds_only_ids_at_the_newest_instant() -> None:
    model = SearchModel([ts(i // 2) for i in range(2_000)])  # pairs share a timestamp
    paginator = CustomerPaginator(None, per_page=50)
    while not paginator.finished:
        paginator.select(model.search(paginator.current_value, 50))
        assert len(paginator.boundary[1]) <= 2
        paginator.advance(None)  # type: ignore[arg-type]


def test_full_sync_without_ties_emits_each_customer_once_in_ceil_n_over_per_page_requests() -> None:
    model = SearchModel([ts(i) for i in range(1_000)])
    emitted = drain(model, per_page=100)
    assert ids(emitted) == sorted(model.rows)
    # 10 full pages each reaching a new instant, then one more that returns 1 boundary + 0.
    # Every request after the first repeats one boundary customer, so 11 requests.
    assert len(model.requests) == 11


def test_tie_block_longer_than_three_pages_is_read_whole_and_verified() -> None:
    stamps = [ts(1)] * 2 + [ts(5)] * 11 + [ts(9)] * 3
    model = SearchModel(stamps)
    emitted = drain(model, per_page=3)
    assert sorted(ids(emitted)) == sorted(model.rows)
    assert len(ids(emitted)) == len(set(ids(emitted)))
    pages_at_5 = [tok.page for tok in model.requests if tok.start_date == ts(5)]
    # 11 customers at ts(5) then 3 at ts(9): pages 1-3 hold 9 of the block, page 4 the other
    # 2 and the first at ts(9). The first read is pages 1-4, the verifying re-read 1-4 again,
    # then the read resumes one microsecond after the block.
    assert pages_at_5 == [1, 2, 3, 4, 1, 2, 3, 4]
    after_block = len(model.requests) - model.requests[::-1].index(PageToken(ts(5), 4))
    assert model.requests[after_block] == PageToken(ts(5, 1), 1)


def test_customer_updated_inside_a_tie_block_while_it_is_read_is_not_lost() -> None:
    stamps = [ts(5)] * 12 + [ts(9)] * 2
    model = SearchModel(stamps)
    before = set(model.rows)

    def update_one_early_customer(model: SearchModel, request_number: int) -> None:
        if request_number == 2:  # after page 1 was read: every later customer shifts left
            model.update("cus_000001")

    model.after_request = update_one_early_customer
    emitted = drain(model, per_page=3)
    assert before <= set(ids(emitted))
    # The updated customer is emitted twice: its old version, then its new one.
    assert ids(emitted).count("cus_000001") == 2
    assert len(ids(emitted)) == len(before) + 1


def test_verification_passes_are_bounded_when_a_block_never_settles() -> None:
    stamps = [ts(5)] * 60 + [ts(9)] * 2
    model = SearchModel(stamps)
    victims = iter(sorted(model.rows))

    def keep_updating(model: SearchModel, request_number: int) -> None:
        if request_number % 2 == 0:
            model.update(next(victims))

    model.after_request = keep_updating
    emitted = drain(model, per_page=5)
    first_pages = [tok for tok in model.requests if tok == PageToken(ts(5), 1)]
    assert len(first_pages) <= 1 + MAX_VERIFY_PASSES
    assert set(model.rows) <= set(ids(emitted))


@pytest.mark.parametrize("seed", range(20))
def test_an_api_that_floors_start_date_to_the_second_still_ends(seed: int) -> None:
    rng = random.Random(seed)
    stamps = sorted(ts(rng.randrange(5), rng.randrange(3)) for _ in range(rng.randrange(10, 80)))
    model = SearchModel(stamps, floor_to_seconds=True)
    emitted = drain(model, per_page=rng.choice([2, 3, 5]), max_requests=2_000)
    assert sorted(ids(emitted)) == sorted(model.rows)


@pytest.mark.parametrize("seed", range(40))
def test_random_data_and_random_updates_lose_no_customer(seed: int) -> None:
    """Every customer present at the end was emitted, in its final version unless it changed
    after the last page; nobody who did not change is emitted twice."""
    rng = random.Random(seed)
    per_page = rng.choice([2, 3, 5, 10])
    stamps = sorted(ts(rng.randrange(40), rng.choice([0, 0, 1])) for _ in range(rng.randrange(120)))
    model = SearchModel(stamps)
    original = dict(model.rows)
    updated: set[str] = set()

    def maybe_update(model: SearchModel, request_number: int) -> None:
        if original and rng.random() < 0.3:
            victim = rng.choice(sorted(original))
            model.update(victim)
            updated.add(victim)

    model.after_request = maybe_update
    emitted = drain(model, per_page=per_page)
    seen = ids(emitted)
    assert set(original) <= set(seen)
    for customer_id in set(original) - updated:
        assert seen.count(customer_id) == 1
    timestamps = [r["updated_on"] for r in emitted]
    assert timestamps == sorted(timestamps), "records must come out in updated_on order"
