"""Benchmark of pipeline.analysis.continuity at full-France scale, on a SYNTHETIC palmarès.

Writes a synthetic palmarès (benchmarks/synthetic.py: every current commune in every edition
1999-2026 except 2010, about 944,000 rows, flagged synthetic) to a temporary DuckDB file, never
to the real warehouse, then times the per-collectivity continuity table two ways on it:

- `continuity_table`: the knowledge grid, streaks, counts, gaps and trajectories in one DuckDB
  query (window functions over collectivity × edition);
- `continuity_table_pandas` below: the same logic written the way one would first write it,
  reading the tables into pandas and looping over `groupby("code")`.

Both produce the same table (checked on every run, and by tests/test_continuity.py); the
figures are written to stdout.

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
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import synthetic
from pipeline.analysis import continuity as c

#: Columns compared between the two implementations (all but the display name).
COMPARED = [
    "code",
    "editions_labelled_min",
    "editions_labelled_max",
    "first_edition_held",
    "last_edition_held",
    "first_edition",
    "last_edition",
    "longest_streak_min",
    "longest_streak_max",
    "current_streak_min",
    "current_streak_max",
    "longest_streak_5_min",
    "longest_streak_5_max",
    "labels_5_min",
    "labels_5_max",
    "gaps_min",
    "gaps",
    "gap_editions",
    "editions_unknown",
    "trajectory",
]


def continuity_table_pandas(
    con: duckdb.DuckDBPyConnection, coverage: pd.DataFrame | None = None
) -> pd.DataFrame:
    """`continuity.continuity_table` (without claims) as a pandas groupby loop: same coverage
    model, same cells, same bounds, computed one collectivity at a time in Python."""
    editions = con.execute(
        "SELECT label_year, has_mention_level FROM edition ORDER BY label_year"
    ).df()
    years = [int(y) for y in editions["label_year"]]
    allowed = [
        c.ALL_STATES if m else c.ALL_STATES & ~c.MENTION for m in editions["has_mention_level"]
    ]
    laureates = con.execute("SELECT code, edition, arobases, name FROM laureates").df()
    quarantine = con.execute(
        "SELECT edition, arobases, candidates FROM quarantine WHERE candidates IS NOT NULL"
    ).df()
    cov = c.coverage_model(con, coverage)

    complete = cov[cov["complete"]]
    excl = {e: 0 for e in years}
    for row in complete[complete["scope"].isin(list(c.LEVEL_SCOPES))].itertuples():
        excl[row.edition] |= c.level_bit(c.LEVEL_SCOPES[row.scope])
    whole = set(complete.loc[complete["scope"] == "all", "edition"])
    protect: dict[tuple[str, int], int] = {}
    maybe: dict[tuple[str, int], int] = {}
    for row in quarantine.itertuples():
        stated = 0 if pd.isna(row.arobases) else c.level_bit(int(row.arobases))
        for candidate in row.candidates:
            key = (candidate.split(" ")[0], int(row.edition))
            protect[key] = protect.get(key, 0) | stated
            maybe[key] = maybe.get(key, 0) | (stated or c.LABELLED)

    tokens = {(m, a): c.mask_token(m, a) for a in set(allowed) for m in range(1, 128)}
    rows = []
    for code, group in laureates.groupby("code", sort=True):
        stated: dict[int, int] = {}
        for edition, level in zip(group["edition"], group["arobases"], strict=True):
            bit = 0 if pd.isna(level) else c.level_bit(int(level))
            stated[int(edition)] = stated.get(int(edition), 0) | bit
        masks = []
        for year, allow in zip(years, allowed, strict=True):
            dropped = excl[year] & ~protect.get((code, year), 0)
            if stated.get(year):
                mask = stated[year]
            elif year in stated:
                mask = c.LABELLED & allow & ~dropped
            elif year in whole:
                mask = (c.ABSENT | (maybe.get((code, year), 0) & allow)) & ~dropped
            else:
                mask = allow & ~dropped
            masks.append(mask)
        lab_c = [(m & c.ABSENT) == 0 for m in masks]
        lab_p = [(m & c.LABELLED) != 0 for m in masks]
        five_c = [m == c.FIVE for m in masks]
        five_p = [(m & c.FIVE) != 0 for m in masks]
        certain = [i for i, x in enumerate(lab_c) if x]
        possible = [i for i, x in enumerate(lab_p) if x]
        inside = [
            i
            for i, m in enumerate(masks)
            if m == c.ABSENT and certain and certain[0] < i < certain[-1]
        ]
        segments = {sum(1 for j in certain if j < i) for i in inside}
        trajectory = []
        for i, (year, mask, allow) in enumerate(zip(years, masks, allowed, strict=True)):
            token = tokens[(mask, allow)]
            if token is not None and (token != "-" or i in inside):
                trajectory.append(f"{year}:{token}")
        unknown = sum(1 for m in masks if m & c.ABSENT and m & c.LABELLED)
        rows.append(
            {
                "code": code,
                "name": group.loc[group["edition"].idxmax(), "name"],
                "editions_labelled_min": len(certain),
                "editions_labelled_max": len(possible),
                "first_edition_held": years[certain[0]] if certain else None,
                "first_possible": years[possible[0]] if possible else None,
                "last_edition_held": years[certain[-1]] if certain else None,
                "last_possible": years[possible[-1]] if possible else None,
                "longest_streak_min": _longest(lab_c),
                "longest_streak_max": _longest(lab_p),
                "current_streak_min": _current(lab_c),
                "current_streak_max": _current(lab_p),
                "longest_streak_5_min": _longest(five_c),
                "longest_streak_5_max": _longest(five_p),
                "labels_5_min": sum(five_c),
                "labels_5_max": sum(five_p),
                "gaps_min": len(segments),
                "gap_editions": "|".join(str(years[i]) for i in inside) or None,
                "editions_unknown": unknown,
                "trajectory": " ".join(trajectory) or None,
            }
        )
    frame = pd.DataFrame(rows)
    for low, high, exact in (
        ("first_edition_held", "first_possible", "first_edition"),
        ("last_edition_held", "last_possible", "last_edition"),
    ):
        frame[exact] = frame[low].where(frame[low] == frame[high]).astype("Int64")
    frame["gaps"] = frame["gaps_min"].where(frame["editions_unknown"] == 0).astype("Int64")
    return frame


def _longest(flags: list[bool]) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def _current(flags: list[bool]) -> int:
    run = 0
    for flag in reversed(flags):
        if not flag:
            break
        run += 1
    return run


def same_tables(sql: pd.DataFrame, pandas: pd.DataFrame) -> list[str]:
    """Columns on which the two implementations differ (empty when they agree)."""
    left = sql[COMPARED].reset_index(drop=True)
    right = pandas[COMPARED].reset_index(drop=True)
    differ = []
    for column in COMPARED:
        a = left[column].astype("object").where(left[column].notna(), None)
        b = right[column].astype("object").where(right[column].notna(), None)
        if len(a) != len(b) or any(x != y for x, y in zip(a, b, strict=True)):
            differ.append(column)
    return differ


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
            sql_time, sql_table = timed(lambda: c.continuity_table(con), args.repeat)
            pandas_time, pandas_table = timed(lambda: continuity_table_pandas(con), args.repeat)
            full_time, _ = timed(
                lambda: (
                    c.continuity_table(con),
                    c.transition_counts(con),
                    c.retention(con),
                    c.ten_eligibility(con, editions=[2021, 2026]),
                ),
                args.repeat,
            )
        assert sql_table.attrs["synthetic"] and sql_table["is_synthetic"].all()
        differ = same_tables(sql_table, pandas_table)
        print(f"collectivities: {len(sql_table):,}; DuckDB threads: {threads}")
        print(f"continuity_table, one DuckDB query : {sql_time:7.2f} s")
        print(f"same logic, pandas groupby loop    : {pandas_time:7.2f} s")
        print(f"ratio                              : {pandas_time / sql_time:7.1f} ×")
        print(
            f"table + transition counts + retention + TEN eligibility (DuckDB): {full_time:.2f} s"
        )
        print("tables identical" if not differ else f"TABLES DIFFER on {differ}")
    return 0 if not differ else 1


if __name__ == "__main__":
    sys.exit(main())
