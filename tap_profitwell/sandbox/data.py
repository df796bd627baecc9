"""Deterministic generation of realistic ProfitWell customers, already serialized to JSON bytes.

Rows are built with string formatting rather than ``json.dumps`` because a million calls of
the latter take far longer; every generated value is plain ASCII that needs no escaping, and a
test checks that each row equals what ``json.dumps`` would produce.
"""

from __future__ import annotations

import json
import random
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tap_profitwell.sandbox.dates import US_PER_SECOND, datetime_to_us, format_us, parse_instant

FIELDS = (
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
)
# A fixed past range, so the same seed gives the same data whatever today's date is.
RANGE_START_US = datetime_to_us(datetime(2019, 1, 1, tzinfo=timezone.utc))
RANGE_END_US = datetime_to_us(datetime(2026, 11, 30, tzinfo=timezone.utc))
DAY_US = 86_400 * US_PER_SECOND
MONTH_US = 30 * DAY_US

PLANS = (
    ("Starter Monthly", 1900),
    ("Team Plan", 4900),
    ("Pro Monthly", 9900),
    ("Pro Annual", 8250),
    ("Growth Monthly", 19900),
    ("Enterprise", 49900),
    ("Basic", 900),
)
# (status, cumulative probability)
STATUSES = (
    ("active", 0.45),
    ("trialing", 0.53),
    ("churned_voluntary", 0.73),
    ("churned_trial", 0.83),
    ("churned_delinquent", 0.90),
    ("no_history", 1.0),
)
FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Ana", "Ben", "Carla", "Chen", "Dara", "Diego", "Elena", "Emil",
    "Fatima", "Grace", "Hana", "Ivan", "Jana", "Jonas", "Kai", "Lena", "Luis", "Maya", "Mei",
    "Nia", "Noah", "Omar", "Priya", "Rosa", "Sam", "Sofia", "Tariq", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Berg", "Costa", "Diaz", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kim", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi",
    "Schmidt", "Silva", "Tanaka", "Umar", "Vogel", "Walsh", "Xu", "Young", "Zhang",
)  # fmt: skip
HANDLE_WORDS = (
    "blue", "fox", "river", "stone", "maple", "pixel", "north", "cedar", "delta", "echo",
    "lark", "moss", "orbit", "quartz", "sage", "tide", "vale", "willow",
)  # fmt: skip
DOMAINS = (
    "example.com", "example.org", "example.net", "mail.example.com", "corp.example.org",
    "shop.example.test", "studio.example.test",
)  # fmt: skip
# Shares of customers, drawn from one uniform number each where possible (cheaper).
FRACTION_SHARE = 0.5  # timestamps printed with microseconds
SINGLE_PLAN_SHARE = 0.8  # customers on one plan; the rest have two
NAMED_SHARE = 0.5  # customers with a first name
FULL_NAME_SHARE = 0.45  # ... and a last name too
DOTTED_EMAIL_SHARE = 0.3  # first.last emails; other named customers get flast emails
CAPITALIZED_EMAIL_SHARE = 0.05  # emails typed with capitals
NO_EMAIL_ABOVE = 0.97  # customers without an email
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_TABLE = bytes(ord(_ALNUM[b % len(_ALNUM)]) for b in range(256))
ID_LENGTH = 14


@dataclass
class Dataset:
    """Customers sorted by (updated_on, insertion order), as parallel row/key sequences."""

    rows: list[bytes]
    keys: array[int]
    tie_keys: frozenset[int]


def dump(record: dict[str, Any]) -> bytes:
    """Serialize one customer the way every row is stored and served."""
    return json.dumps(record, separators=(",", ":")).encode()


def generate(
    customers: int,
    seed: int,
    tie_blocks: int = 0,
    tie_block_size: int = 1000,
    extra_customers: list[dict[str, Any]] | None = None,
) -> Dataset:
    """Build the whole dataset; the same arguments always give byte-identical rows.

    The updated_on instants are drawn and sorted first and customers generated in that order,
    so the rows come out sorted without sorting a million rows afterwards.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not cryptography
    ids = _customer_ids(rng, customers)
    tie_times = tie_block_times(tie_blocks)
    keys = _updated_instants(rng, customers - tie_blocks * tie_block_size)
    keys.extend(t for t in tie_times for _ in range(tie_block_size))
    keys.sort()
    rows = _rows(rng, ids, keys)
    dataset = Dataset(rows=rows, keys=array("q", keys), tie_keys=frozenset(tie_times))
    del keys
    if extra_customers:
        taken = {f"cus_{ids[i : i + ID_LENGTH]}" for i in range(0, len(ids), ID_LENGTH)}
        _insert_extras(dataset, taken, extra_customers)
    return dataset


def tie_block_times(blocks: int) -> list[int]:
    """Spread-out block timestamps; even blocks have whole seconds, odd ones microseconds."""
    span = RANGE_END_US - RANGE_START_US
    times = []
    for k in range(blocks):
        moment = RANGE_START_US + span * (k + 1) // (blocks + 1)
        moment -= moment % US_PER_SECOND
        times.append(moment + 123_456 + k if k % 2 else moment)
    return times


def normalize_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """Put a test-supplied customer into the documented field order, defaulting what's absent."""
    if not isinstance(extra.get("customer_id"), str) or not isinstance(
        extra.get("updated_on"), str
    ):
        msg = "extra_customers entries need string 'customer_id' and 'updated_on'"
        raise TypeError(msg)
    defaults: dict[str, Any] = {"mrr_cents": 0, "plans": [], "total_spend_cents": 0}
    record = {name: extra.get(name, defaults.get(name)) for name in FIELDS}
    record.update({k: v for k, v in extra.items() if k not in record})
    return record


def _insert_extras(dataset: Dataset, ids: set[str], extras: list[dict[str, Any]]) -> None:
    """Merge test-supplied customers, each after existing ones with the same updated_on."""
    for extra in extras:
        record = normalize_extra(extra)
        if record["customer_id"] in ids:
            msg = f"duplicate customer_id in extra_customers: {record['customer_id']!r}"
            raise ValueError(msg)
        ids.add(record["customer_id"])
        key = parse_instant(record["updated_on"])
        position = bisect_right(dataset.keys, key)
        dataset.keys.insert(position, key)
        dataset.rows.insert(position, dump(record))


def _customer_ids(rng: random.Random, count: int) -> str:
    """Unique Stripe-like id suffixes, concatenated (14 characters each) to save memory.

    One randbytes call instead of a million choices; a duplicate is astronomically unlikely,
    but is redrawn deterministically all the same.
    """
    raw = rng.randbytes(count * ID_LENGTH).translate(_ID_TABLE).decode("ascii")
    chunks = [raw[i : i + ID_LENGTH] for i in range(0, len(raw), ID_LENGTH)]
    if len(set(chunks)) == count:
        return raw
    seen: set[str] = set()
    for i in range(count):
        while chunks[i] in seen:
            chunks[i] = "".join(rng.choices(_ALNUM, k=ID_LENGTH))
        seen.add(chunks[i])
    return "".join(chunks)


def _updated_instants(rng: random.Random, count: int) -> list[int]:
    """Uniform instants over the range; about half truncated to whole seconds."""
    r = rng.random
    span = RANGE_END_US - RANGE_START_US
    start = RANGE_START_US
    instants = [start + int(r() * span) for _ in range(count)]
    return [t if r() < FRACTION_SHARE else t - t % US_PER_SECOND for t in instants]


def _plan_combos() -> list[tuple[str, int]]:
    """Precompute JSON for one plan (first entries) and every ordered pair of distinct plans."""
    singles = [(json.dumps([name]), price) for name, price in PLANS]
    pairs = [
        (json.dumps([a, b], separators=(",", ":")), pa + pb)
        for a, pa in PLANS
        for b, pb in PLANS
        if a != b
    ]
    return singles + pairs


# How a status shapes the event timestamps: none, churned only, activated, activated + churned.
_NO_EVENTS, _CHURNED_TRIAL, _ACTIVE, _CHURNED_PAID = range(4)
_STATUS_SHAPES = {
    "active": _ACTIVE,
    "trialing": _NO_EVENTS,
    "churned_voluntary": _CHURNED_PAID,
    "churned_trial": _CHURNED_TRIAL,
    "churned_delinquent": _CHURNED_PAID,
    "no_history": _NO_EVENTS,
}


def _profiles(rng: random.Random, count: int) -> list[tuple[str, str, int, int]]:
    """(status, plans JSON, monthly price, shape) drawn once; customers pick one by index."""
    combos = _plan_combos()
    n_single = len(PLANS)
    n_pair = len(combos) - n_single
    profiles = []
    for _ in range(count):
        u = rng.random()
        status = next(name for name, limit in STATUSES if u < limit)
        pick = rng.random()
        if pick < SINGLE_PLAN_SHARE:
            plans, price = combos[int(pick / SINGLE_PLAN_SHARE * n_single)]
        else:
            share = (pick - SINGLE_PLAN_SHARE) / (1 - SINGLE_PLAN_SHARE)
            plans, price = combos[n_single + int(share * n_pair)]
        if status == "no_history":
            plans, price = "[]", 0
        profiles.append((status, plans, price, _STATUS_SHAPES[status]))
    return profiles


def _personas(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """(first_name JSON, last_name JSON, email before the number, email after it).

    The email is ``"<local><number>@<domain>"`` with a per-customer number that makes it unique;
    empty parts mean the customer has no email.
    """
    first_names = [(f'"{n}"', n.lower()) for n in FIRST_NAMES]
    last_names = [(f'"{n}"', n.lower()) for n in LAST_NAMES]
    personas = []
    for _ in range(count):
        v = rng.random()
        first = last = "null"
        if v < NAMED_SHARE:
            first, local = rng.choice(first_names)
            if v < FULL_NAME_SHARE:
                last, last_low = rng.choice(last_names)
                local = f"{local}.{last_low}" if v < DOTTED_EMAIL_SHARE else local[0] + last_low
        else:
            local = f"{rng.choice(HANDLE_WORDS)}.{rng.choice(HANDLE_WORDS)}"
        if v < CAPITALIZED_EMAIL_SHARE:
            local = local.title()
        domain = rng.choice(DOMAINS)
        if v > NO_EMAIL_ABOVE:
            personas.append((first, last, "", ""))
        else:
            personas.append((first, last, f'"{local}', f'@{domain}"'))
    return personas


def _event_pool(rng: random.Random, count: int) -> tuple[list[int], list[str]]:
    """Sorted instants, preformatted, for created/activated/churned, plus an end sentinel.

    Formatting timestamps dominates generation time; drawing event times from a shared pool
    (about four customers per instant at most) leaves one timestamp to format per customer.
    """
    instants = sorted({RANGE_START_US, *_updated_instants(rng, max(4096, count // 4))})
    texts = [f'"{format_us(t)}"' for t in instants]
    instants.append(RANGE_END_US * 2)
    return instants, texts


def _rows(rng: random.Random, ids: str, keys: list[int]) -> list[bytes]:
    """Generate every customer in one tight loop over precomputed tables (speed matters here).

    Event times are pool entries at or before the customer's updated_on, ordered
    created <= activated <= churned, so every record is internally consistent.
    """
    r = rng.random
    fmt = format_us
    pool, pool_text = _event_pool(rng, len(keys))
    profiles = _profiles(rng, 1024)
    personas = _personas(rng, 4096)
    n_profiles, n_personas = len(profiles), len(personas)
    modulus = 10 ** max(7, len(str(len(keys))) + 1)
    num = int(r() * modulus)
    upper = 0  # pool[:upper] holds the instants <= the current (ascending) updated_on
    rows: list[bytes] = []
    append = rows.append
    for offset, updated in zip(range(0, len(ids), ID_LENGTH), keys, strict=True):
        while pool[upper] <= updated:
            upper += 1
        created = int(r() * upper)
        status, plans, price, shape = profiles[int(r() * n_profiles)]
        activated = churned = "null"
        mrr = spend = 0
        if shape == _CHURNED_TRIAL:
            churned = pool_text[created + int((upper - created) * r() * 0.5)]
        elif shape != _NO_EVENTS:
            start = created + int((upper - created) * r() * 0.3)
            activated = pool_text[start]
            if shape == _ACTIVE:
                mrr = price
                spend = price * (1 + (updated - pool[start]) // MONTH_US)
            else:
                end = start + int((upper - start) * (0.2 + 0.8 * r()))
                churned = pool_text[end]
                spend = price * (1 + (pool[end] - pool[start]) // MONTH_US)
        first, last, before, after = personas[int(r() * n_personas)]
        num = (num + 7919) % modulus  # 7919 is prime, so num never repeats within modulus
        email = f"{before}{num}{after}" if before else "null"
        append(
            f'{{"customer_id":"cus_{ids[offset : offset + ID_LENGTH]}","email":{email},'
            f'"first_name":{first},"last_name":{last},"mrr_cents":{mrr},"plans":{plans},'
            f'"status":"{status}","created_on":{pool_text[created]},"activated_on":{activated},'
            f'"churned_on":{churned},"updated_on":"{fmt(updated)}","total_spend_cents":{spend}}}'.encode()
        )
    return rows
