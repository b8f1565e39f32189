"""Benchmark of pipeline.analysis.continuity at full-France scale, on a SYNTHETIC palmarès.

Writes a synthetic palmarès (benchmarks/synthetic.py: every current commune in every edition
1999-2026 except 2010, about 944,000 rows, flagged synthetic) to a temporary DuckDB file, never
to the real warehouse, then times the per-collectivity continuity table two ways on it:

- `build_basis` then `continuity_table`: the knowledge grid, then streaks, counts, gaps and
  trajectories, in DuckDB queries (window functions over collectivity × edition);
- `continuity_table_pandas` (tests/continuity_oracle.py, the tests' oracle): the same logic
  written the way one would first write it, reading the tables into pandas and looping over
  `groupby("code")`.

Both produce the same table (checked on every run, and by tests/test_continuity.py); the
figures are written to stdout. The DuckDB timings include `build_basis` (coverage, claims and
the grid), which the whole computation builds once and shares.

    .venv/bin/python benchmarks/continuity_benchmark.py [--seed 2026] [--participation 1.0]
        [--repeat 3] [--out /tmp/palmares_synthetic.duckdb]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import synthetic
from pipeline.analysis import continuity as c
from tests.continuity_oracle import continuity_table_pandas, same_tables


def everything(basis: c.Basis) -> tuple:
    """The whole continuity computation on one basis: table, transitions, retention, TEN."""
    return (
        c.continuity_table(basis),
        c.transition_counts(basis),
        c.retention(basis),
        c.ten_eligibility(basis, editions=[2021, 2026]),
    )


def timed(function, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--participation",
        type=float,
        default=1.0,
        help="share labelled at any edition (1.0: every commune every edition)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best kept)")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="synthetic database file (default: a temporary directory)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="palmares-synthetic-") as tmp:
        path = args.out or Path(tmp) / "synthetic.duckdb"
        start = time.perf_counter()
        made = synthetic.write_synthetic_warehouse(path, args.seed, args.participation)
        print(
            f"SYNTHETIC palmarès: {made.rows:,} rows, {made.collectivities:,} communes × "
            f"{made.editions} editions (seed {made.seed}, participation "
            f"{args.participation:g}) written to {made.path} in "
            f"{time.perf_counter() - start:.1f} s"
        )
        with duckdb.connect(str(path), read_only=True) as con:
            threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
            sql_time, sql_table = timed(lambda: c.continuity_table(c.build_basis(con)), args.repeat)
            pandas_time, pandas_table = timed(lambda: continuity_table_pandas(con), args.repeat)
            full_time, _ = timed(lambda: everything(c.build_basis(con)), args.repeat)
        assert sql_table.attrs["synthetic"] and sql_table["is_synthetic"].all()
        differ = same_tables(sql_table, pandas_table)
        print(f"collectivities: {len(sql_table):,}; DuckDB threads: {threads}")
        print(f"basis + continuity_table (DuckDB)  : {sql_time:7.2f} s")
        print(f"same logic, pandas groupby loop    : {pandas_time:7.2f} s")
        print(f"ratio                              : {pandas_time / sql_time:7.1f} ×")
        print(
            f"table + transition counts + retention + TEN eligibility (DuckDB): {full_time:.2f} s"
        )
        print("tables identical" if not differ else f"TABLES DIFFER on {differ}")
    return 0 if not differ else 1


if __name__ == "__main__":
    sys.exit(main())
