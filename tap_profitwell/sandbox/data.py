"""Deterministic generation of realistic ProfitWell customers, already serialized to JSON bytes.

Rows are built with string formatting rather than ``json.dumps`` because a million calls of
the latter take far longer; every generated value is plain ASCII that needs no escaping, and a
test checks that each row equals what ``json.dumps`` would produce.
"""

from __future__ import annotations

import json
import random
from array import array
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
    """Build the whole dataset; the same arguments always give byte-identical rows."""
    rng = random.Random(seed)
    ids = _customer_ids(rng, customers)
    tie_times = tie_block_times(tie_blocks)
    rows: list[bytes] = []
    keys: list[int] = []
    _fill(rng, ids, tie_times, tie_block_size, rows, keys)
    seen = set(ids)
    for extra in extra_customers or []:
        record = normalize_extra(extra)
        if record["customer_id"] in seen:
            msg = f"duplicate customer_id in extra_customers: {record['customer_id']!r}"
            raise ValueError(msg)
        seen.add(record["customer_id"])
        rows.append(dump(record))
        keys.append(parse_instant(record["updated_on"]))
    order = sorted(range(len(keys)), key=keys.__getitem__)  # stable: ties keep insertion order
    return Dataset(
        rows=[rows[i] for i in order],
        keys=array("q", [keys[i] for i in order]),
        tie_keys=frozenset(tie_times),
    )


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


def _fill(  # noqa: C901, PLR0912, PLR0915 - one hot loop, kept flat on purpose for speed
    rng: random.Random,
    ids: list[str],
    tie_times: list[int],
    tie_block_size: int,
    rows: list[bytes],
    keys: list[int],
) -> None:
    """Generate every customer in one tight loop (locals and tables avoid per-row overhead)."""
    r = rng.random
    fmt = format_us
    combos = _plan_combos()
    n_single = len(PLANS)
    n_pair = len(combos) - n_single
    first_json = [(f'"{n}"', n.lower()) for n in FIRST_NAMES]
    last_json = [(f'"{n}"', n.lower()) for n in LAST_NAMES]
    words = HANDLE_WORDS
    domains = DOMAINS
    span = RANGE_END_US - RANGE_START_US
    start = RANGE_START_US
    modulus = 10 ** max(7, len(str(len(ids))) + 1)
    base = int(r() * modulus)
    tie_limit = len(tie_times) * tie_block_size
    thresholds = [limit for _, limit in STATUSES]
    names = [name for name, _ in STATUSES]
    append_row = rows.append
    append_key = keys.append
    for i, cid in enumerate(ids):
        # updated_on: a tie block's shared instant, or uniform over the range
        if i < tie_limit:
            updated = tie_times[i // tie_block_size]
            updated_fraction = updated % US_PER_SECOND != 0
        else:
            updated = start + int(r() * span)
            updated_fraction = r() < 0.5  # noqa: PLR2004
            if not updated_fraction:
                updated -= updated % US_PER_SECOND
        events_fraction = r() < 0.5  # noqa: PLR2004
        created = start + int(r() * (updated - start))
        u = r()
        status = names[next(k for k, limit in enumerate(thresholds) if u < limit)]
        activated = churned = None
        mrr = spend = 0
        if status == "no_history":
            plans_json = "[]"
        else:
            pick = r()
            combo = combos[
                int(pick * 5 * n_single) if pick < 0.8 else n_single + int((pick - 0.8) * 5 * n_pair)  # noqa: PLR2004
            ]
            plans_json, price = combo
            if status in {"active", "churned_voluntary", "churned_delinquent"}:
                activated = created + int((updated - created) * r() * 0.3)
                if status == "active":
                    mrr = price
                    end = updated
                else:
                    churned = activated + int((updated - activated) * (0.2 + 0.8 * r()))
                    end = churned
                spend = price * (1 + (end - activated) // MONTH_US)
            elif status == "churned_trial":
                churned = created + int((updated - created) * r() * 0.5)
        if not events_fraction:
            created -= created % US_PER_SECOND
            if activated is not None:
                activated -= activated % US_PER_SECOND
            if churned is not None:
                churned -= churned % US_PER_SECOND
        # names and email
        v = r()
        first = last = None
        num = (i * 7919 + base) % modulus
        domain = domains[int(r() * len(domains))]
        if v < 0.5:  # noqa: PLR2004
            first = first_json[int(r() * len(first_json))]
            if v < 0.45:  # noqa: PLR2004
                last = last_json[int(r() * len(last_json))]
                local = f"{first[1]}.{last[1]}{num}" if v < 0.3 else f"{first[1][0]}{last[1]}{num}"  # noqa: PLR2004
            else:
                local = f"{first[1]}{num}"
        else:
            local = f"{words[int(r() * len(words))]}.{words[int(r() * len(words))]}{num}"
        if v > 0.97:  # noqa: PLR2004
            email = "null"
        elif v < 0.05:  # noqa: PLR2004 - some addresses keep capitals, as people type them
            email = f'"{local.capitalize()}@{domain.upper()}"'
        else:
            email = f'"{local}@{domain}"'
        append_row(
            (
                f'{{"customer_id":"{cid}","email":{email},'
                f'"first_name":{first[0] if first else "null"},'
                f'"last_name":{last[0] if last else "null"},'
                f'"mrr_cents":{mrr},"plans":{plans_json},"status":"{status}",'
                f'"created_on":"{fmt(created, fraction=events_fraction)}",'
                f'"activated_on":{_quoted(fmt, activated, events_fraction)},'
                f'"churned_on":{_quoted(fmt, churned, events_fraction)},'
                f'"updated_on":"{fmt(updated, fraction=updated_fraction)}",'
                f'"total_spend_cents":{spend}}}'
            ).encode()
        )
        append_key(updated)


def _quoted(fmt: Any, instant: int | None, fraction: bool) -> str:  # noqa: ANN401, FBT001
    """JSON for an optional timestamp: ``null`` or the quoted ISO string."""
    return "null" if instant is None else f'"{fmt(instant, fraction=fraction)}"'
