"""The oracle of the continuity table: the same logic written the way one would first write it,
a pandas loop over `groupby("code")`, independent of the knowledge grid's SQL.

tests/test_continuity.py checks that both give the same table; benchmarks/continuity_benchmark.py
times both at full-France scale.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.analysis.continuity import mask_token
from pipeline.analysis.coverage import LEVEL_SCOPES, coverage_model
from pipeline.build.claim_semantics import ABSENT, ALL_STATES, LABELLED, MENTION, level_bit

FIVE = level_bit(5)

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
    allowed = [ALL_STATES if m else ALL_STATES & ~MENTION for m in editions["has_mention_level"]]
    laureates = con.execute("SELECT code, edition, arobases, name FROM laureates").df()
    quarantine = con.execute(
        "SELECT edition, arobases, candidates FROM quarantine WHERE candidates IS NOT NULL"
    ).df()
    cov = coverage_model(con, coverage)

    complete = cov[cov["complete"]]
    excl = {e: 0 for e in years}
    for row in complete[complete["scope"].isin(list(LEVEL_SCOPES))].itertuples():
        excl[row.edition] |= level_bit(LEVEL_SCOPES[row.scope])
    whole = set(complete.loc[complete["scope"] == "all", "edition"])
    protect: dict[tuple[str, int], int] = {}
    maybe: dict[tuple[str, int], int] = {}
    for row in quarantine.itertuples():
        stated = 0 if pd.isna(row.arobases) else level_bit(int(row.arobases))
        for candidate in row.candidates:
            key = (candidate.split(" ")[0], int(row.edition))
            protect[key] = protect.get(key, 0) | stated
            maybe[key] = maybe.get(key, 0) | (stated or LABELLED)

    tokens = {(m, a): mask_token(m, a) for a in set(allowed) for m in range(1, 128)}
    rows = []
    for code, group in laureates.groupby("code", sort=True):
        stated = _stated(group)
        masks = []
        for year, allow in zip(years, allowed, strict=True):
            dropped = excl[year] & ~protect.get((code, year), 0)
            if stated.get(year):
                mask = stated[year]
            elif year in stated:
                mask = LABELLED & allow & ~dropped
            elif year in whole:
                mask = (ABSENT | (maybe.get((code, year), 0) & allow)) & ~dropped
            else:
                mask = allow & ~dropped
            masks.append(mask)
        lab_c = [(m & ABSENT) == 0 for m in masks]
        lab_p = [(m & LABELLED) != 0 for m in masks]
        five_c = [m == FIVE for m in masks]
        five_p = [(m & FIVE) != 0 for m in masks]
        certain = [i for i, x in enumerate(lab_c) if x]
        possible = [i for i, x in enumerate(lab_p) if x]
        inside = [
            i
            for i, m in enumerate(masks)
            if m == ABSENT and certain and certain[0] < i < certain[-1]
        ]
        segments = {sum(1 for j in certain if j < i) for i in inside}
        trajectory = []
        for i, (year, mask, allow) in enumerate(zip(years, masks, allowed, strict=True)):
            shown = tokens[(mask, allow)]
            if shown is not None and (shown != "-" or i in inside):
                trajectory.append(f"{year}:{shown}")
        unknown = sum(1 for m in masks if m & ABSENT and m & LABELLED)
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


def _stated(rows: pd.DataFrame) -> dict[int, int]:
    """Edition → the levels one collectivity's rows state (bits; 0 when none states one)."""
    stated: dict[int, int] = {}
    for edition, level in zip(rows["edition"], rows["arobases"], strict=True):
        bit = 0 if pd.isna(level) else level_bit(int(level))
        stated[int(edition)] = stated.get(int(edition), 0) | bit
    return stated


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
