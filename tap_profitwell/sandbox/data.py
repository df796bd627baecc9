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
    rng = random.Random(seed)
    ids = _customer_ids(rng, customers)
    tie_times = tie_block_times(tie_blocks)
    keys = _updated_instants(rng, customers - tie_blocks * tie_block_size)
    keys.extend(t for t in tie_times for _ in range(tie_block_size))
    keys.sort()
    rows = _rows(rng, ids, keys)
    dataset = Dataset(rows=rows, keys=array("q", keys), tie_keys=frozenset(tie_times))
    del keys
    if extra_customers:
        _insert_extras(dataset, set(ids), extra_customers)
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
        raise ValueError(msg)
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


def _customer_ids(rng: random.Random, count: int) -> list[str]:
    """Draw unique Stripe-like ids in bulk: one randbytes call instead of a million choices."""
    raw = rng.randbytes(count * ID_LENGTH).translate(_ID_TABLE).decode("ascii")
    ids = [f"cus_{raw[i : i + ID_LENGTH]}" for i in range(0, count * ID_LENGTH, ID_LENGTH)]
    if len(set(ids)) != count:  # astronomically unlikely; redraw duplicates deterministically
        seen: set[str] = set()
        for i, cid in enumerate(ids):
            while cid in seen:
                cid = "cus_" + "".join(rng.choices(_ALNUM, k=ID_LENGTH))
            seen.add(cid)
            ids[i] = cid
    return ids


def _updated_instants(rng: random.Random, count: int) -> list[int]:
    """Uniform instants over the range; about half truncated to whole seconds."""
    r = rng.random
    span = RANGE_END_US - RANGE_START_US
    start = RANGE_START_US
    instants = [start + int(r() * span) for _ in range(count)]
    return [t if r() < 0.5 else t - t % US_PER_SECOND for t in instants]  # noqa: PLR2004


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


def _status_table() -> list[str]:
    """One entry per percent, so drawing a weighted status is a single index."""
    table: list[str] = []
    for name, cumulative in STATUSES:
        table.extend([name] * (round(cumulative * 100) - len(table)))
    return table


def _rows(rng: random.Random, ids: list[str], keys: list[int]) -> list[bytes]:  # noqa: PLR0915
    """Generate every customer in one tight loop (locals and tables avoid per-row overhead)."""
    r = rng.random
    fmt = format_us
    combos = _plan_combos()
    n_single = len(PLANS)
    n_pair = len(combos) - n_single
    statuses = _status_table()
    first_names = [(f'"{n}"', n.lower()) for n in FIRST_NAMES]
    last_names = [(f'"{n}"', n.lower()) for n in LAST_NAMES]
    words = HANDLE_WORDS
    domains = DOMAINS
    start = RANGE_START_US
    second = US_PER_SECOND
    modulus = 10 ** max(7, len(str(len(ids))) + 1)
    base = int(r() * modulus)
    rows: list[bytes] = []
    append = rows.append
    for i, (cid, updated) in enumerate(zip(ids, keys)):
        whole = r() < 0.5  # noqa: PLR2004 - created/activated/churned share one format
        created = start + int(r() * (updated - start))
        status = statuses[int(r() * 100)]
        activated = churned = "null"
        mrr = spend = 0
        if status == "no_history":
            plans = "[]"
        else:
            pick = r() * 5
            plans, price = combos[
                int(pick * n_single) if pick < 4 else n_single + int((pick - 4) * n_pair)  # noqa: PLR2004
            ]
            if status == "churned_trial":
                at = created + int((updated - created) * r() * 0.5)
                churned = f'"{fmt(at - at % second if whole else at)}"'
            elif status != "trialing":
                at = created + int((updated - created) * r() * 0.3)
                activated = f'"{fmt(at - at % second if whole else at)}"'
                if status == "active":
                    mrr = price
                    spend = price * (1 + (updated - at) // MONTH_US)
                else:  # churned_voluntary, churned_delinquent
                    end = at + int((updated - at) * (0.2 + 0.8 * r()))
                    churned = f'"{fmt(end - end % second if whole else end)}"'
                    spend = price * (1 + (end - at) // MONTH_US)
        if whole:
            created -= created % second
        v = r()
        first = last = "null"
        num = (i * 7919 + base) % modulus
        if v < 0.5:  # noqa: PLR2004
            first, first_lower = first_names[int(r() * len(first_names))]
            if v < 0.45:  # noqa: PLR2004
                last, last_lower = last_names[int(r() * len(last_names))]
                local = (
                    f"{first_lower}.{last_lower}{num}"
                    if v < 0.3  # noqa: PLR2004
                    else f"{first_lower[0]}{last_lower}{num}"
                )
            else:
                local = f"{first_lower}{num}"
        else:
            local = f"{words[int(r() * len(words))]}.{words[int(r() * len(words))]}{num}"
        if v > 0.97:  # noqa: PLR2004
            email = "null"
        else:
            if v < 0.05:  # noqa: PLR2004 - some addresses keep the capitals people typed
                local = local.title()
            email = f'"{local}@{domains[int(r() * len(domains))]}"'
        append(
            f'{{"customer_id":"{cid}","email":{email},"first_name":{first},'
            f'"last_name":{last},"mrr_cents":{mrr},"plans":{plans},"status":"{status}",'
            f'"created_on":"{fmt(created)}","activated_on":{activated},'
            f'"churned_on":{churned},"updated_on":"{fmt(updated)}","total_spend_cents":{spend}}}'.encode()
        )
    return rows
