"""Run SQL on a DuckDB file and print the rows as JSON (one list of objects per statement).

Runs with the target-duckdb plugin's own Python (the one venv that has duckdb):

    .meltano/loaders/target-duckdb/venv/bin/python tests/support/duckdb_query.py FILE SQL...

Values JSON cannot hold (timestamps, decimals) are printed with str(); ``typeof(col)`` in the
SQL shows the column types.
"""

from __future__ import annotations

import json
import sys

import duckdb


def main(path: str, *statements: str) -> None:
    """Print ``[[{column: value}, ...], ...]``, one inner list per statement."""
    con = duckdb.connect(path, read_only=True)
    try:
        results = []
        for sql in statements:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            results.append([dict(zip(names, row, strict=True)) for row in cur.fetchall()])
    finally:
        con.close()
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    main(*sys.argv[1:])
