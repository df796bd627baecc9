"""The ProfitWell sandbox: the API's rules, its data, faults, throttling and speed-critical paging.

Every expectation is derived from the API's documented rules and the sandbox's own truth
(``Sandbox.snapshot()``), parsed here independently of the sandbox's code.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
import requests

from tap_profitwell.sandbox import Fault, Sandbox, SandboxConfig
from tap_profitwell.sandbox.__main__ import parse_fault
from tap_profitwell.sandbox.dates import DateParseError, parse_instant
from tap_profitwell.sandbox.ratelimit import SlidingWindowLimiter

TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's fake token
FIELDS = [
    "customer_id",
    "email",
    "first_name",
    "last_name",
    "mrr_cents",
    "plans",
    "status",
    "created_on",
    "activated_on",
    "churned_on",
    "updated_on",
    "total_spend_cents",
]
STATUSES = {
    "active",
    "trialing",
    "churned_voluntary",
    "churned_trial",
    "churned_delinquent",
    "no_history",
}
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")
AWKWARD = {
    "customer_id": "a/../b?x=1",
    "email": "Awkward@Example.com",
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


def instant(text: str) -> datetime:
    """Parse an API timestamp independently of the sandbox (fromisoformat lacks Z on 3.10)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def session(box: Sandbox, token: str | None = TOKEN) -> requests.Session:
    s = requests.Session()
    if token is not None:
        s.headers["Authorization"] = token
    return s


def search(box: Sandbox, **params: object) -> requests.Response:
    return session(box).get(f"{box.url}/v2/customers/", params=params, timeout=10)


def eventually(read: Callable[[], int], want: int, seconds: float = 5.0) -> int:
    """What ``read`` returns once it reaches ``want``, or its last answer after ``seconds``."""
    deadline = time.monotonic() + seconds
    value = read()
    while value < want and time.monotonic() < deadline:
        time.sleep(0.01)
        value = read()
    return value


def ids(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["customer_id"] for c in response.json()]


@pytest.fixture(scope="module")
def box():
    config = SandboxConfig(
        customers=5000, seed=1, tie_blocks=3, tie_block_size=40, extra_customers=[AWKWARD]
    )
    with Sandbox(config, host="127.0.0.1", port=0) as sandbox:
        yield sandbox


@pytest.fixture
def fresh():
    started: list[Sandbox] = []

    def start(**options: object) -> Sandbox:
        sandbox = Sandbox(SandboxConfig(**options)).start()  # type: ignore[arg-type]
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


# --- routing, auth, validation ----------------------------------------------------------------


def test_url_without_trailing_slash_is_404(box):
    s = session(box)
    for path in ["/v2/customers", "/v2/customers/cus_x", "/v2/customer/", "/v1/customers/", "/"]:
        r = s.get(box.url + path, timeout=10)
        assert r.status_code == 404, path
        assert "message" in r.json()
    assert "slash" in s.get(box.url + "/v2/customers", timeout=10).json()["message"]


@pytest.mark.parametrize("token", [None, "", "wrong", f"Bearer {TOKEN}", TOKEN.upper()])
def test_bad_or_missing_token_is_401_even_on_bad_paths(box, token):
    for path in ["/v2/customers/", "/v2/customers"]:
        r = session(box, token).get(box.url + path, timeout=10)
        assert r.status_code == 401
        assert r.json() == {"message": "Invalid token."}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 251}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": 401}, "page"),
        ({"page": 401, "per_page": 250}, "page"),
        ({"page": 33334, "per_page": 3}, "page"),
        ({"date_field": "created_on"}, "date_field"),
        ({"direction": "up"}, "direction"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"end_date": "2020-13-01"}, "end_date"),
    ],
)
def test_invalid_parameters_are_400_naming_the_parameter(box, params, named):
    r = search(box, **params)
    assert r.status_code == 400
    assert named in r.json()["message"]


def test_page_cap_is_100000_over_per_page(box):
    assert search(box, page=400, per_page=250).json() == []
    assert search(box, page=400).json() == []
    assert search(box, page=33333, per_page=3).json() == []
    assert search(box, page=2, per_page=1).status_code == 200


def test_unknown_params_ignored_and_defaults_apply(box):
    truth = box.snapshot()
    r = search(box, color="blue")
    assert r.headers["Content-Type"] == "application/json"
    assert int(r.headers["Content-Length"]) == len(r.content)
    assert r.json() == truth[:250]
    assert search(box, page=2, per_page=7).json() == truth[7:14]


# --- dates -------------------------------------------------------------------------------------


def _customer_with(box: Sandbox, *, fraction: bool) -> tuple[int, dict]:
    """A customer whose updated_on is unique in the data, with or without microseconds."""
    truth = box.snapshot()
    counts = Counter(c["updated_on"] for c in truth)
    for i, c in enumerate(truth[100:], start=100):
        if ("." in c["updated_on"]) == fraction and counts[c["updated_on"]] == 1:
            return i, c
    raise AssertionError


@pytest.mark.parametrize("fraction", [False, True])
def test_start_inclusive_end_exclusive_at_exact_boundaries(box, fraction):
    truth = box.snapshot()
    index, customer = _customer_with(box, fraction=fraction)
    stamp = customer["updated_on"]
    micro = timedelta(microseconds=1)
    after = iso(instant(stamp) + micro)
    assert ids(search(box, start_date=stamp, per_page=1)) == [customer["customer_id"]]
    assert ids(search(box, start_date=after, per_page=1)) == [truth[index + 1]["customer_id"]]
    assert ids(search(box, end_date=stamp, direction="desc", per_page=1)) == [
        truth[index - 1]["customer_id"]
    ]
    assert ids(search(box, end_date=after, direction="desc", per_page=1)) == [
        customer["customer_id"]
    ]
    window = ids(search(box, start_date=stamp, end_date=after))
    assert window == [customer["customer_id"]]
    assert search(box, start_date=stamp, end_date=stamp).json() == []


def test_unix_and_iso_forms_select_the_same_customers(box):
    truth = box.snapshot()
    start = instant(truth[1000]["updated_on"]).replace(microsecond=0)
    end = start + timedelta(days=40)
    forms = [
        (start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")),
        (str(int(start.timestamp())), str(int(end.timestamp()))),
        (f"{start.timestamp():.6f}", f"{end.timestamp():.6f}"),
        (start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S")),
        (start.strftime("%Y-%m-%dT%H:%M:%S.000Z"), end.strftime("%Y-%m-%dT%H:%M:%S.0Z")),
        (
            start.astimezone(timezone(timedelta(hours=2))).isoformat(),
            end.astimezone(timezone(timedelta(hours=-5))).isoformat(),
        ),
    ]
    expected = [c["customer_id"] for c in truth if start <= instant(c["updated_on"]) < end][:250]
    assert expected
    for start_text, end_text in forms:
        assert ids(search(box, start_date=start_text, end_date=end_text)) == expected, start_text


def test_date_only_means_midnight_utc(box):
    day = datetime(2022, 3, 1, tzinfo=timezone.utc)
    expected = [c["customer_id"] for c in box.snapshot() if instant(c["updated_on"]) >= day]
    assert ids(search(box, start_date="2022-03-01", per_page=5)) == expected[:5]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-05-20T18:45:22Z", datetime(2020, 5, 20, 18, 45, 22, tzinfo=timezone.utc)),
        ("2020-05-20 18:45:22", datetime(2020, 5, 20, 18, 45, 22, tzinfo=timezone.utc)),
        ("2020-05-20T20:45:22.5+02:00", datetime(2020, 5, 20, 18, 45, 22, 500000, timezone.utc)),
        ("2020-05-20T18:45:22.000001Z", datetime(2020, 5, 20, 18, 45, 22, 1, timezone.utc)),
        ("2020-05-20", datetime(2020, 5, 20, tzinfo=timezone.utc)),
        ("1590000322", datetime(2020, 5, 20, 18, 45, 22, tzinfo=timezone.utc)),
        ("1590000322.25", datetime(2020, 5, 20, 18, 45, 22, 250000, timezone.utc)),
    ],
)
def test_parse_instant_forms(text, expected):
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert parse_instant(text) == (expected - epoch) // timedelta(microseconds=1)


@pytest.mark.parametrize("text", ["", "soon", "2020-02-30", "2020-05-20T25:00:00Z", "1e9"])
def test_parse_instant_rejects(text):
    with pytest.raises(DateParseError):
        parse_instant(text)


def test_truncate_start_to_seconds_ignores_fractions(fresh):
    box = fresh(customers=3000, seed=2, truncate_start_to_seconds=True)
    _, customer = _customer_with(box, fraction=True)
    after = iso(instant(customer["updated_on"]) + timedelta(microseconds=1))
    # A faithful API would skip the customer; this one floors start_date to the second.
    assert ids(search(box, start_date=after, per_page=1)) == [customer["customer_id"]]


# --- filters, order, single customer --------------------------------------------------------


def test_email_filter_is_exact_and_case_insensitive(box):
    truth = box.snapshot()
    customer = next(c for c in truth[300:] if c["email"])
    assert ids(search(box, email=customer["email"].upper())) == [customer["customer_id"]]
    assert ids(search(box, email="awkward@example.COM")) == ["a/../b?x=1"]
    assert search(box, email=customer["email"][:-1]).json() == []
    assert search(box, email="nobody@example.com").json() == []


def test_direction_desc_reverses_the_order(box):
    truth = box.snapshot()
    assert search(box, direction="desc", per_page=10).json() == truth[::-1][:10]
    assert search(box, direction="desc", per_page=10, page=3).json() == truth[::-1][20:30]


def test_random_queries_match_a_brute_force_model(box):
    truth = box.snapshot()
    moments = [instant(c["updated_on"]) for c in truth]
    rng = random.Random(42)
    for _ in range(40):
        start, end = sorted(rng.sample(moments, 2))
        per_page, page = rng.choice([1, 7, 100, 250]), rng.randint(1, 4)
        desc = rng.random() < 0.5
        params = {"start_date": iso(start), "end_date": iso(end), "per_page": per_page}
        params |= {"page": page, "direction": "desc" if desc else "asc"}
        chosen = [c for c, m in zip(truth, moments, strict=True) if start <= m < end]
        chosen = chosen[::-1] if desc else chosen
        assert search(box, **params).json() == chosen[(page - 1) * per_page : page * per_page]


def test_single_customer_by_encoded_id_and_404(box):
    s = session(box)
    r = s.get(f"{box.url}/v2/customers/{quote(AWKWARD['customer_id'], safe='')}/", timeout=10)
    assert r.status_code == 200
    assert r.json() == AWKWARD
    known = box.snapshot()[1234]
    assert s.get(f"{box.url}/v2/customers/{known['customer_id']}/", timeout=10).json() == known
    r = s.get(f"{box.url}/v2/customers/cus_missing/", timeout=10)
    assert r.status_code == 404
    assert r.json() == {"message": "Customer not found"}


def test_paging_returns_each_customer_once_in_order(box):
    truth = box.snapshot()
    s = session(box)
    seen: list[dict] = []
    for page in range(1, 100):
        batch = s.get(f"{box.url}/v2/customers/", params={"page": page}, timeout=10).json()
        if not batch:
            break
        seen.extend(batch)
    assert seen == truth
    assert len({c["customer_id"] for c in seen}) == len(truth) == 5001


def test_keep_alive_serves_many_requests_on_one_connection(box):
    connection = http.client.HTTPConnection("127.0.0.1", box.port, timeout=10)
    sockets = set()
    for _ in range(3):
        connection.request("GET", "/v2/customers/?per_page=2", headers={"Authorization": TOKEN})
        response = connection.getresponse()
        assert len(json.loads(response.read())) == 2
        sockets.add(id(connection.sock))
    assert len(sockets) == 1
    connection.close()


# --- data --------------------------------------------------------------------------------------


def test_same_seed_same_data_other_seed_other_data():
    first = Sandbox(SandboxConfig(customers=500, seed=7)).snapshot()
    assert first == Sandbox(SandboxConfig(customers=500, seed=7)).snapshot()
    assert first != Sandbox(SandboxConfig(customers=500, seed=8)).snapshot()


def test_records_have_the_documented_shape(box):
    truth = box.snapshot()
    generated = [c for c in truth if c["customer_id"] != AWKWARD["customer_id"]]
    assert all(list(c) == FIELDS for c in truth)
    assert len({c["customer_id"] for c in truth}) == len(truth)
    assert all(re.fullmatch(r"cus_[A-Za-z0-9]{14}", c["customer_id"]) for c in generated)
    assert {c["status"] for c in generated} == STATUSES
    for c in generated:
        churned = c["status"].startswith("churned_")
        assert (c["churned_on"] is not None) == churned, c
        assert isinstance(c["mrr_cents"], int)
        assert isinstance(c["total_spend_cents"], int)
        assert (c["mrr_cents"] > 0) == (c["status"] == "active"), c
        assert 0 <= len(c["plans"]) <= 2
        stamps = [c[k] for k in ("created_on", "activated_on", "churned_on", "updated_on")]
        present = [s for s in stamps if s is not None]
        assert all(STAMP.fullmatch(s) for s in present), c
        moments = [instant(s) for s in present]
        assert moments == sorted(moments), c
    assert all(c["activated_on"] is None for c in generated if c["status"] == "no_history")
    updated = [c["updated_on"] for c in truth]
    with_micros = sum("." in u for u in updated) / len(updated)
    assert 0.3 < with_micros < 0.7
    assert sum(c["email"] is None for c in truth) > 0
    assert sum(c["first_name"] is None for c in truth) > len(truth) / 4
    moments = [instant(u) for u in updated]
    assert moments == sorted(moments)


def test_rows_are_exactly_compact_json(box):
    body = requests.get(f"{box.url}/_sandbox/customers", timeout=30).content
    assert body == json.dumps(box.snapshot(), separators=(",", ":")).encode()


def test_tie_blocks_share_one_timestamp(box):
    counts = Counter(c["updated_on"] for c in box.snapshot())
    blocks = [stamp for stamp, n in counts.items() if n > 1]
    assert sorted(counts[b] for b in blocks) == [40, 40, 40]
    assert any("." in b for b in blocks)
    assert any("." not in b for b in blocks)


def test_extra_customer_ids_must_be_unique():
    with pytest.raises(ValueError, match="duplicate"):
        Sandbox(SandboxConfig(customers=5, extra_customers=[AWKWARD, AWKWARD]))
    with pytest.raises(ValueError, match="tie_blocks"):
        SandboxConfig(customers=5, tie_blocks=1, tie_block_size=6)
    with pytest.raises(ValueError, match="fault kind"):
        Fault("teapot")


# --- mutation -------------------------------------------------------------------------------


def test_mutate_moves_customers_to_the_end_with_a_newer_timestamp(fresh):
    box = fresh(customers=300, seed=3)
    before = {c["customer_id"]: c for c in box.snapshot()}
    newest = max(instant(c["updated_on"]) for c in before.values())
    changed = box.mutate(2)
    after = box.snapshot()
    assert [c["customer_id"] for c in after[-2:]] == changed
    assert instant(after[-2]["updated_on"]) > newest
    assert instant(after[-1]["updated_on"]) > instant(after[-2]["updated_on"])
    for c in after[-2:]:
        assert c["mrr_cents"] != before[c["customer_id"]]["mrr_cents"]
        assert c["status"] == "active"
        assert c["churned_on"] is None
    assert box.stats["mutations"] == 2
    assert search(box, per_page=250, page=2).json()[-2:] == after[-2:]


def test_automatic_mutation_after_every_nth_search_prefers_ties(fresh):
    box = fresh(
        customers=400,
        seed=4,
        tie_blocks=1,
        tie_block_size=100,
        mutate_every=2,
        mutate_count=3,
        mutate_target="tie",
    )
    block = Counter(c["updated_on"] for c in box.snapshot()).most_common(1)[0][0]
    tied = {c["customer_id"] for c in box.snapshot() if c["updated_on"] == block}
    search(box, per_page=1)
    assert box.stats["mutations"] == 0
    search(box, per_page=1)
    # The sandbox mutates just after it has sent the page, so the client can be quicker.
    assert eventually(lambda: box.stats["mutations"], 3) == 3
    moved = [c["customer_id"] for c in box.snapshot()[-3:]]
    assert set(moved) <= tied
    r = requests.post(f"{box.url}/_sandbox/mutate?n=2", timeout=10)
    assert len(r.json()["mutated"]) == 2
    assert box.stats["mutations"] == 5


# --- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "503", "504"])
def test_error_status_faults(fresh, kind):
    box = fresh(customers=50, faults=[Fault(kind, every=2)])
    assert search(box).status_code == 200
    r = search(box)
    assert r.status_code == int(kind)
    assert "message" in r.json()
    assert search(box).status_code == 200
    assert box.stats["faults_injected"] == 1


def test_502_is_an_html_proxy_page(fresh):
    box = fresh(customers=50, faults=[Fault("502", at=(1,))])
    r = search(box)
    assert r.status_code == 502
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text == "<html><body><h1>502 Bad Gateway</h1></body></html>"


def test_429_fault_with_and_without_retry_after(fresh):
    box = fresh(customers=50, faults=[Fault("429", at=(1,), retry_after=1), Fault("429", at=(2,))])
    first, second = search(box), search(box)
    assert (first.status_code, first.text, first.headers["Retry-After"]) == (
        429,
        "Request was throttled.",
        "1",
    )
    assert second.status_code == 429
    assert "Retry-After" not in second.headers
    assert box.stats["throttled"] == 2


def test_html200_and_truncate_break_json_with_a_complete_response(fresh):
    box = fresh(customers=600, faults=[Fault("html200", at=(1,)), Fault("truncate", at=(2,))])
    portal = search(box)
    assert portal.status_code == 200
    assert portal.headers["Content-Type"].startswith("text/html")
    cut = search(box)
    assert cut.status_code == 200
    assert int(cut.headers["Content-Length"]) == len(cut.content)
    whole = search(box).content
    assert whole.startswith(cut.content)
    assert len(cut.content) < len(whole)
    with pytest.raises(ValueError):  # noqa: PT011 - any JSON decode error
        json.loads(cut.content)


def test_drop_closes_the_connection_without_a_response(fresh):
    box = fresh(customers=50, faults=[Fault("drop", every=2)])
    s = session(box)
    assert s.get(f"{box.url}/v2/customers/", timeout=10).status_code == 200
    with pytest.raises(requests.ConnectionError):
        s.get(f"{box.url}/v2/customers/", timeout=10)
    assert s.get(f"{box.url}/v2/customers/", timeout=10).status_code == 200
    assert box.stats["requests"] == 3
    assert box.stats["status"] == {200: 2}


def test_slow_fault_and_latency_delay_a_normal_answer(fresh):
    box = fresh(customers=50, faults=[Fault("slow", at=(1,), delay=0.3)], latency=0.1)
    started = time.monotonic()
    assert search(box).json() == box.snapshot()
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    assert search(box).json() == box.snapshot()
    assert 0.1 <= time.monotonic() - started < 0.3


def test_payload_faults(fresh):
    faults = [
        Fault("object", at=(1,)),
        Fault("missing_id", at=(2,)),
        Fault("bad_date", at=(3,)),
        Fault("unsorted", at=(4,)),
    ]
    box = fresh(customers=600, seed=6, faults=faults)
    page = box.snapshot()[:250]
    assert search(box).json() == {"data": page}
    missing = search(box).json()
    assert sum("customer_id" not in c for c in missing) == 1
    assert len(missing) == 250
    bad = search(box).json()
    assert [c["updated_on"] for c in bad].count("not-a-date") == 1
    unsorted = search(box).json()
    assert unsorted != page
    assert sorted(unsorted, key=lambda c: instant(c["updated_on"])) == page
    assert search(box).json() == page
    assert box.stats["faults_injected"] == 4


def test_fault_every_counts_all_api_requests(fresh):
    box = fresh(customers=50, faults=[Fault("503", every=3)])
    s = session(box)
    codes = [s.get(f"{box.url}/v2/customers/{p}", timeout=10).status_code for p in ["", "x/"] * 3]
    assert codes == [200, 404, 503, 404, 200, 503]
    requests.get(f"{box.url}/_sandbox/stats", timeout=10)  # control calls are not counted
    assert box.stats["requests"] == 6
    assert box.stats["single_requests"] == 2


def test_cli_fault_syntax():
    assert parse_fault("502:7") == Fault("502", every=7)
    assert parse_fault("slow:5:0.25") == Fault("slow", every=5, delay=0.25)
    assert parse_fault("429:4:2") == Fault("429", every=4, retry_after=2)
    assert parse_fault("drop@3,9") == Fault("drop", at=(3, 9))


# --- rate limiter ---------------------------------------------------------------------------


def test_sliding_window_limiter_exactly():
    now = [0.0]
    limiter = SlidingWindowLimiter(2, 10.0, clock=lambda: now[0])
    assert limiter.acquire() is None
    now[0] = 4.0
    assert limiter.acquire() is None
    now[0] = 9.5
    assert limiter.acquire() == 1  # the request at 0 leaves the window at 10
    now[0] = 10.0
    assert limiter.acquire() is None  # 0 expired; 4 and 10 are in the window
    now[0] = 11.0
    assert limiter.acquire() == 3  # the request at 4 leaves at 14


def test_rate_limit_allows_n_then_429s(fresh):
    box = fresh(customers=50, rate_limit_requests=3, rate_limit_window=1.0)
    s = session(box)
    codes = [s.get(f"{box.url}/v2/customers/", timeout=10) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert codes[3].text == "Request was throttled."
    assert codes[3].headers["Retry-After"] == "1"
    assert box.stats["throttled"] == 1
    time.sleep(1.05)
    assert s.get(f"{box.url}/v2/customers/", timeout=10).status_code == 200


def test_rate_limit_without_retry_after(fresh):
    box = fresh(customers=5, rate_limit_requests=1, rate_limit_retry_after=False)
    assert search(box).status_code == 200
    r = search(box)
    assert r.status_code == 429
    assert "Retry-After" not in r.headers


# --- control endpoints and CLI --------------------------------------------------------------


def test_stats_endpoint_matches_stats(fresh):
    box = fresh(customers=20)
    search(box)
    session(box, "bad").get(f"{box.url}/v2/customers/", timeout=10)
    stats = requests.get(f"{box.url}/_sandbox/stats", timeout=10).json()
    assert stats == {
        "requests": 2,
        "search_requests": 1,
        "single_requests": 0,
        "status": {"200": 1, "401": 1},
        "throttled": 0,
        "faults_injected": 0,
        "mutations": 0,
    }
    assert box.stats["status"] == {200: 1, 401: 1}


def test_cli_serves_until_sigterm():
    command = [sys.executable, "-m", "tap_profitwell.sandbox", "--port", "0", "--customers", "30"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            line = process.stdout.readline()  # type: ignore[union-attr]
            match = re.fullmatch(
                r"ProfitWell sandbox listening on (http://127\.0\.0\.1:\d+) "
                r"\(30 customers, token: sandbox-token\)\n",
                line,
            )
            assert match, line
            url = f"{match[1]}/v2/customers/"
            assert len(requests.get(url, headers={"Authorization": TOKEN}, timeout=10).json()) == 30
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
            assert process.stderr.read() == ""  # type: ignore[union-attr]
        finally:
            process.kill()


def test_cli_help_documents_every_option():
    out = subprocess.run(
        [sys.executable, "-m", "tap_profitwell.sandbox", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    renamed = {
        "faults": "fault",
        "rate_limit_requests": "rate-limit",
        "rate_limit_window": "rate-limit",
        "rate_limit_retry_after": "no-retry-after",
    }
    flags = ["--host", "--port"] + [
        "--" + renamed.get(f.name, f.name.replace("_", "-"))
        for f in dataclasses.fields(SandboxConfig)
    ]
    assert [flag for flag in flags if flag not in out] == []
