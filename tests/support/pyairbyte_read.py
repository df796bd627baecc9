"""One PyAirbyte read of ``source-profitwell`` into a DuckDB cache; prints what it read as JSON.

Run by tests/test_airbyte.py with the python of .venv-pyairbyte (PyAirbyte is not installed in
the tap's venv). Reads are incremental: PyAirbyte keeps the state in the cache and passes it to
the next read of the same cache, which is what the test checks. Records are appended, so the
ids a read brought are those extracted after it started.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

# Set before PyAirbyte is imported: no registry look-up for a local executable, no telemetry.
os.environ["AIRBYTE_OFFLINE_MODE"] = "1"
os.environ["DO_NOT_TRACK"] = "1"

import airbyte as ab
from sqlalchemy import text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executable", required=True, type=Path)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--cache", required=True, type=Path)
    args = parser.parse_args()

    source = ab.get_source(
        "source-profitwell",
        config=json.loads(args.config.read_text()),
        local_executable=args.executable,
        streams=["customers"],
    )
    cache = ab.DuckDBCache(db_path=args.cache, schema_name="main")
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    result = source.read(cache=cache, write_strategy="append")
    with cache.get_sql_engine().connect() as connection:
        rows = connection.execute(
            text(
                "select customer_id from main.customers "
                "where _airbyte_extracted_at >= :started order by customer_id"
            ),
            {"started": started},
        ).fetchall()
        total = connection.execute(text("select count(*) from main.customers")).scalar_one()
    json.dump(
        {
            "processed_records": result.processed_records,
            "read_ids": [row[0] for row in rows],
            "rows_in_cache": total,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
