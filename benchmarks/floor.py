"""The floor: the cost of reading the exports once.

For each export table that has an amount (its first column named ``amount*``: transactions,
bills' ``amount_due``, loan_applications, negative_records), one bare DuckDB query
``select user_id, count(*), sum(amount) ... group by user_id`` written to Parquet.
Run as ``python -m benchmarks.floor --input DIR --out DIR`` so it is measured as a child process.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from sesame.schema import TABLES, Table


def amount_column(table: Table) -> str | None:
    """The table's first column whose name starts with ``amount``, if any."""
    return next((c.name for c in table.columns if c.name.startswith("amount")), None)


def floor_tables() -> dict[str, str]:
    """Export table -> its amount column, for the tables the floor reads."""
    return {t.name: column for t in TABLES if (column := amount_column(t)) is not None}


def run_floor(input_dir: Path, out_dir: Path, memory_limit: str, threads: int | None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set memory_limit = $limit", {"limit": memory_limit})
    if threads is not None:
        con.execute("set threads = $threads", {"threads": threads})
    for table, amount in floor_tables().items():
        source = (input_dir / table / "**" / "*.parquet").as_posix()
        target = (out_dir / f"{table}.parquet").as_posix()
        con.execute(
            f"copy (select user_id, count(*) as n, sum({amount}) as amount "
            f"from read_parquet('{source}') group by user_id) to '{target}' (format parquet)"
        )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    run_floor(args.input, args.out, args.memory_limit, args.threads)


if __name__ == "__main__":
    main()
