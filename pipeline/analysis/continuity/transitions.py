"""Transitions between consecutive editions: entry, return, renewal, upgrade, downgrade, exit,
each decided where the coverage allows it and 'unknown' with what remains possible otherwise."""

from __future__ import annotations

import functools

import pandas as pd

from pipeline.analysis.continuity.basis import Basis, derived
from pipeline.analysis.continuity.states import states
from pipeline.build.claim_semantics import ABSENT, LABELLED, LEVELS, level_bit

TRANSITIONS = ("entry", "return", "renewal", "upgrade", "downgrade", "exit", "not labelled")


@functools.cache
def transition_categories(before: int, after: int, history: int) -> tuple[str, ...]:
    """Transitions possible between two consecutive cells (masks), given what is known of the
    editions before the first (history: 0 never labelled, 1 labelled at least once,
    2 unknown): entry, return (after a gap), renewal (same level), upgrade, downgrade, exit,
    'not labelled' (absent in both)."""
    out = set()
    if before & ABSENT and after & ABSENT:
        out.add("not labelled")
    if before & ABSENT and after & LABELLED:
        if history in (0, 2):
            out.add("entry")
        if history in (1, 2):
            out.add("return")
    if before & LABELLED and after & ABSENT:
        out.add("exit")
    if before & LABELLED and after & LABELLED:
        lv_b = [lv for lv in LEVELS if before & level_bit(lv)]
        lv_a = [lv for lv in LEVELS if after & level_bit(lv)]
        if set(lv_b) & set(lv_a):
            out.add("renewal")
        if min(lv_b) < max(lv_a):
            out.add("upgrade")
        if max(lv_b) > min(lv_a):
            out.add("downgrade")
    return tuple(t for t in TRANSITIONS if t in out)


_PAIRS_SQL = """
, pairs AS (
    SELECT code, edition AS to_edition, allowed AS to_allowed, mask AS to_mask,
        lag(edition) OVER w AS from_edition, lag(allowed) OVER w AS from_allowed,
        lag(mask) OVER w AS from_mask,
        lag(lab_c) OVER w OR lab_c AS involves_label,
        coalesce(bool_or(lab_c) OVER before, false) AS labelled_before,
        coalesce(bool_or(lab_p) OVER before, false) AS maybe_before
    FROM flags
    WINDOW w AS (PARTITION BY code ORDER BY idx),
           before AS (PARTITION BY code ORDER BY idx
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING)
)
"""


def transitions(basis: Basis) -> pd.DataFrame:
    """One row per collectivity and pair of consecutive editions where it is known labelled in
    at least one of the two: `transition` (entry, return, renewal, upgrade, downgrade, exit)
    when the coverage decides it, 'unknown' otherwise, with `possible` the transitions the
    data still allow (e.g. "downgrade|exit" for a 5 @ whose next 5 @ list is complete and
    does not name it)."""
    frame = basis.df(
        _PAIRS_SQL
        + """
            SELECT code, from_edition, to_edition, from_mask, to_mask, from_allowed, to_allowed,
                   CASE WHEN labelled_before THEN 1 WHEN maybe_before THEN 2 ELSE 0 END AS history
            FROM pairs WHERE from_edition IS NOT NULL AND involves_label
            ORDER BY code, to_edition
        """
    )
    frame = _classify(frame)
    frame = frame[
        ["code", "from_edition", "to_edition", "from_state", "to_state", "transition", "possible"]
    ]
    return basis.finish(frame.reset_index(drop=True))


def _classify(frame: pd.DataFrame) -> pd.DataFrame:
    """States in words and transitions, computed once per distinct combination of masks."""
    key = (
        frame["from_mask"].astype("int64")
        + frame["to_mask"].astype("int64") * 128
        + frame["history"].astype("int64") * 16384
    )
    categories = {k: transition_categories(k & 127, (k >> 7) & 127, k >> 14) for k in key.unique()}
    frame["possible"] = key.map({k: "|".join(v) for k, v in categories.items()})
    frame["transition"] = key.map(
        {k: v[0] if len(v) == 1 else "unknown" for k, v in categories.items()}
    )
    frame["from_state"] = states(frame["from_mask"], frame["from_allowed"])
    frame["to_state"] = states(frame["to_mask"], frame["to_allowed"])
    return frame


def transition_matrix(basis: Basis, pooled: bool = False) -> pd.DataFrame:
    """Counts of collectivities by state in one edition and state in the next, per pair of
    consecutive editions (or pooled over all pairs): long format (`from_state`, `to_state`,
    `collectivities`), states as `state_label` words, unknown ones included. The population is
    the collectivities the palmarès holds (or claims name)."""
    frame = basis.df(
        _PAIRS_SQL
        + """
            SELECT from_edition, to_edition, from_mask, to_mask, from_allowed, to_allowed,
                   count(*) AS collectivities
            FROM pairs WHERE from_edition IS NOT NULL
            GROUP BY ALL
        """
    )
    frame["from_state"] = states(frame["from_mask"], frame["from_allowed"])
    frame["to_state"] = states(frame["to_mask"], frame["to_allowed"])
    keys = (
        ["from_state", "to_state"]
        if pooled
        else ["from_edition", "to_edition", "from_state", "to_state"]
    )
    frame = (
        frame.groupby(keys, as_index=False)["collectivities"]
        .sum()
        .sort_values(keys)
        .reset_index(drop=True)
    )
    frame["collectivities"] = frame["collectivities"].astype("int64")
    return basis.finish(frame)


def transition_counts(basis: Basis) -> pd.DataFrame:
    """Per pair of consecutive editions: how many entries, returns, renewals, upgrades,
    downgrades and exits the coverage establishes, and how many transitions involving a known
    label stay unknown."""
    rows = transitions(basis)
    editions = rows.attrs["editions"]
    pairs = pd.DataFrame({"from_edition": editions[:-1], "to_edition": editions[1:]})
    counts = (
        rows.pivot_table(
            index=["from_edition", "to_edition"],
            columns="transition",
            values="code",
            aggfunc="count",
            fill_value=0,
        ).reset_index()
        if len(rows)
        else pd.DataFrame(columns=["from_edition", "to_edition"])
    )
    counts = pairs.merge(counts, on=["from_edition", "to_edition"], how="left")
    for column in (*TRANSITIONS[:-1], "unknown"):
        counts[column] = counts.get(column, pd.Series(0, index=counts.index)).fillna(0)
        counts[column] = counts[column].astype("int64")
    counts = counts[["from_edition", "to_edition", *TRANSITIONS[:-1], "unknown"]]
    return derived(counts, rows)
