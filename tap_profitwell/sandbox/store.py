"""The live customer list: sorted rows, range queries by bisect, and mutations.

Rows stay sorted by (updated_on, insertion order) in a list of JSON bytes with a parallel array
of integer keys, so a page is a bisect plus a slice whatever the number of customers.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Any

from tap_profitwell.sandbox.data import PLANS, dump
from tap_profitwell.sandbox.dates import format_us

if TYPE_CHECKING:
    from tap_profitwell.sandbox.data import Dataset

_ID_PREFIX = b'{"customer_id":'
_PLAN_PRICES = dict(PLANS)


class Store:
    """Thread-safe customer storage; every read and write holds one short lock."""

    def __init__(self, dataset: Dataset, seed: int) -> None:
        """Take ownership of generated rows; mutation choices get their own seeded RNG."""
        self._rows = dataset.rows
        self._keys = dataset.keys
        self._tie_keys = sorted(dataset.tie_keys)
        self._lock = threading.Lock()
        self._rng = random.Random(f"mutations-{seed}")  # noqa: S311 - test data, not crypto
        self._id_keys: dict[str, int] | None = None  # built on the first single-customer read
        self.mutated = 0

    def __len__(self) -> int:
        """Number of customers."""
        return len(self._rows)

    def search(  # noqa: PLR0913 - mirrors the API's query parameters
        self,
        start: int | None,
        end: int | None,
        email: str | None,
        offset: int,
        limit: int,
        *,
        descending: bool,
    ) -> list[bytes]:
        """One page of rows with start <= updated_on < end, in the requested direction."""
        with self._lock:
            keys = self._keys
            lo = 0 if start is None else bisect_left(keys, start)
            hi = len(keys) if end is None else bisect_left(keys, end)
            if email is None:
                if descending:
                    top = hi - offset
                    page = self._rows[max(lo, top - limit) : top] if top > lo else []
                    page.reverse()
                    return page
                return self._rows[lo + offset : min(hi, lo + offset + limit)]
            candidates = self._rows[lo:hi]
        # The email filter scans (as the real API presumably does), outside the lock.
        matches = _filter_email(candidates, email)
        if descending:
            matches.reverse()
        return matches[offset : offset + limit]

    def get(self, customer_id: str) -> bytes | None:
        """One customer's row, via an id -> updated_on index built on first use."""
        with self._lock:
            if self._id_keys is None:
                self._id_keys = {
                    _row_id(row): key for row, key in zip(self._rows, self._keys, strict=True)
                }
            key = self._id_keys.get(customer_id)
            if key is None:
                return None
            prefix = _ID_PREFIX + json.dumps(customer_id).encode() + b","
            lo, hi = bisect_left(self._keys, key), bisect_right(self._keys, key)
            return next((row for row in self._rows[lo:hi] if row.startswith(prefix)), None)

    def snapshot(self) -> list[dict[str, Any]]:
        """Fresh dicts of every customer in API order: the truth tests compare against."""
        with self._lock:
            rows = list(self._rows)
        return [json.loads(row) for row in rows]

    def rows(self) -> list[bytes]:
        """A copy of the row list (cheap: the bytes themselves are shared and immutable)."""
        with self._lock:
            return list(self._rows)

    def mutate(self, count: int, target: str = "any") -> list[str]:
        """Update ``count`` distinct customers now, moving each to the end; return their ids."""
        changed: list[str] = []
        with self._lock:
            for done in range(min(count, len(self._rows))):
                position = self._pick(target, done)
                record = json.loads(self._rows.pop(position))
                self._keys.pop(position)
                now = time.time_ns() // 1000
                key = max(now, self._keys[-1] + 1) if self._keys else now
                _change(record, format_us(key), self._rng)
                self._rows.append(dump(record))
                self._keys.append(key)
                if self._id_keys is not None:
                    self._id_keys[record["customer_id"]] = key
                changed.append(record["customer_id"])
            self.mutated += len(changed)
        return changed

    def _pick(self, target: str, done: int) -> int:
        """A random position, skipping the ``done`` customers this batch already moved last."""
        if target == "tie":
            ranges = [
                (bisect_left(self._keys, k), bisect_right(self._keys, k)) for k in self._tie_keys
            ]
            total = sum(hi - lo for lo, hi in ranges)
            if total:
                choice = self._rng.randrange(total)
                for lo, hi in ranges:
                    if choice < hi - lo:
                        return lo + choice
                    choice -= hi - lo
        return self._rng.randrange(len(self._rows) - done)


def _change(record: dict[str, Any], updated_on: str, rng: random.Random) -> None:
    """A realistic update that always changes MRR: a plan change, or a (re)activation."""
    old_mrr = record.get("mrr_cents") or 0
    if record.get("status") == "active" and old_mrr > 0:
        delta = 100 * rng.randint(1, 50)
        new_mrr = old_mrr - delta if old_mrr > delta and rng.random() < 0.3 else old_mrr + delta  # noqa: PLR2004
    else:
        plans = record.get("plans") or [PLANS[0][0]]
        record.update(status="active", plans=plans, churned_on=None)
        record["activated_on"] = record.get("activated_on") or updated_on
        new_mrr = sum(_PLAN_PRICES.get(p, 1900) for p in plans)
        if new_mrr == old_mrr:
            new_mrr += 100
    record["mrr_cents"] = new_mrr
    record["total_spend_cents"] = (record.get("total_spend_cents") or 0) + new_mrr
    record["updated_on"] = updated_on


def _row_id(row: bytes) -> str:
    """The customer_id a row starts with, without decoding the whole row when it's plain."""
    end = row.index(b'"', len(_ID_PREFIX) + 1)
    raw = row[len(_ID_PREFIX) + 1 : end]
    if b"\\" in raw:  # escapes: let the JSON decoder find where the string really ends
        return json.loads(row)["customer_id"]
    return raw.decode()


def _filter_email(rows: list[bytes], email: str) -> list[bytes]:
    """Rows whose email equals ``email`` ignoring case; a regex pre-filter keeps it quick."""
    wanted = email.lower()
    if email.isascii():
        needle = b'"email":' + re.escape(json.dumps(email).encode())
        pattern = re.compile(needle, re.IGNORECASE)
        rows = [row for row in rows if pattern.search(row)]
    return [row for row in rows if (json.loads(row).get("email") or "").lower() == wanted]
