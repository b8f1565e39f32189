"""Press claims in the continuity analyses: the facts as cells and counts, and the one narrowing
of counts by `count_up_to` facts.

The facts are read once by `pipeline.build.claim_semantics`, the reading the `claim` table's
verdict uses too. Cell facts narrow the knowledge grid itself (`basis.build_basis`); a count
fact ("5 @ for the seventh time in 2019": exactly k labels at L @ in the editions up to U)
constrains no single cell, so the analyses that count labels narrow their bounds with
`narrow_by_count`, written here once for the per-collectivity table and TEN eligibility.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import duckdb
import pandas as pd

from pipeline.build.claim_semantics import ALL_STATES, count_conflicts, fact_constraints, level_bit


def load_claim_facts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The maintainers' structured reading of the press claims (`claim_fact`), with the
    collectivity each claim resolved to (`claim`).

    Facts of claims that did not resolve, or whose check is `contradicted`, are dropped;
    `attrs["dropped"]` says which claim rows.
    """
    facts = con.execute(
        """SELECT f.claim_row, f.fact, f.arobases, f.editions, f.count, f.consecutive, f.up_to,
                  f.interpreted_by, c.code, c.check_status, c.source_url
           FROM claim_fact f JOIN claim c ON c.source_row = f.claim_row
           ORDER BY f.source_row"""
    ).df()
    facts["editions"] = facts["editions"].map(lambda years: [int(y) for y in years])
    for column in ("arobases", "count", "up_to"):
        facts[column] = facts[column].astype("Int64")
    usable = facts["code"].notna() & (facts["check_status"] != "contradicted")
    dropped = facts.loc[~usable, "claim_row"].tolist()
    facts = facts[usable].reset_index(drop=True)
    facts.attrs["dropped"] = dropped
    return facts


def claim_constraints(
    facts: pd.DataFrame | None, editions: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Facts (None: claims not used) as cell masks (code, edition, cmask, claim_rows) and count
    bounds (code, level, up_to, count, claim_row)."""
    cells: list[tuple[str, int, int, int]] = []
    counts: list[tuple[str, int, int, int, int]] = []
    for fact in [] if facts is None else facts.itertuples(index=False):
        code, row = str(fact.code), int(getattr(fact, "claim_row", 0) or 0)
        fact_cells, fact_counts = fact_constraints(fact, editions)
        cells += [(code, edition, mask, row) for edition, mask in fact_cells]
        counts += [(code, level, up_to, count, row) for level, up_to, count in fact_counts]
    frame = pd.DataFrame(cells, columns=["code", "edition", "cmask", "claim_row"])
    if len(frame):
        frame = frame.groupby(["code", "edition"], as_index=False).agg(
            cmask=("cmask", lambda s: functools.reduce(int.__and__, s, ALL_STATES)),
            claim_rows=("claim_row", lambda s: sorted(set(s))),
        )
    else:
        frame = pd.DataFrame(
            {
                "code": pd.Series([], dtype=object),
                "edition": pd.Series([], dtype="int64"),
                "cmask": pd.Series([], dtype="int64"),
                "claim_rows": pd.Series([], dtype=object),
            }
        )
    return frame, pd.DataFrame(counts, columns=["code", "level", "up_to", "count", "claim_row"])


def count_facts(counts: pd.DataFrame, cells: pd.DataFrame) -> Iterator[tuple[object, pd.DataFrame]]:
    """Each count fact with its collectivity's grid cells (`Basis.cells_of`); of several facts
    on one collectivity and level, only the one with the latest `up_to`."""
    latest = counts.sort_values("up_to").drop_duplicates(["code", "level"], keep="last")
    for fact in latest.itertuples():
        yield fact, cells[cells["code"] == fact.code]


def contradicted(fact, mine: pd.DataFrame) -> bool:
    """Whether the data forbid the count: more labels at the level certain up to `up_to`
    than claimed, or fewer possible. Such a fact is not used."""
    bit = level_bit(fact.level)
    upto = mine["edition"] <= fact.up_to
    certain, possible = mine["mask"] == bit, (mine["mask"] & bit) != 0
    return count_conflicts(certain[upto].sum(), possible[upto].sum(), fact.count)


def narrow_by_count(
    fact, mine: pd.DataFrame, window: pd.Series, before: tuple[int, int, int]
) -> tuple[int, int, int]:
    """Bounds (labels at 5 @ at least, at most; editions labelled at least) over the editions
    `window` of one collectivity's cells `mine`, narrowed by a count fact (k labels at L @ in
    the editions A up to U) from `before`.

    When W contains A: labels at 5 @ in W = k + those of W after U; labelled editions ≥
    max(those certain in A, k) + those certain after U. When W lies inside A: labels at 5 @ in
    W = k − those in A \\ W, labelled editions ≥ k − the editions of A \\ W that may be
    labelled. Counts at a level other than 5 @ narrow the labelled editions only."""
    upto = mine["edition"] <= fact.up_to

    def count(flag: str, where: pd.Series) -> int:
        return int((mine[flag] & where).sum())

    if not (upto & ~window).any():
        after = window & ~upto
        labelled = max(count("lab_c", upto), fact.count) + count("lab_c", after)
        five = (fact.count + count("five_c", after), fact.count + count("five_p", after))
    else:
        rest = upto & ~window
        labelled = fact.count - count("lab_p", rest)
        five = (
            max(before[0], fact.count - count("five_p", rest)),
            min(before[1], fact.count - count("five_c", rest)),
        )
    return (*(five if fact.level == 5 else before[:2]), max(before[2], labelled))
