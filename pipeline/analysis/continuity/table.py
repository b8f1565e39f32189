"""One row per collectivity held: streaks, counts, gaps and trajectory, each exact when the
coverage allows it and bounded otherwise; and the knowledge grid itself."""

from __future__ import annotations

import pandas as pd

from pipeline.analysis.continuity.basis import Basis
from pipeline.analysis.continuity.claims import contradicted, count_facts, narrow_by_count
from pipeline.analysis.continuity.states import states, token_list
from pipeline.build.claim_semantics import ALL_STATES, MENTION


def continuity_table(basis: Basis) -> pd.DataFrame:
    """One row per collectivity held: editions labelled, first and last edition, streaks,
    5 @ labels and gaps, each exact when the coverage allows it (NULL otherwise) and bounded
    by `_min` / `_max`.

    - `editions_labelled`: editions with a label; `first_edition` / `last_edition`: exact
      first / last labelled edition, `first_edition_held` / `last_edition_held`: the first /
      last we hold (the true one is no later / no earlier);
    - `longest_streak`, `current_streak` (ending at the last edition of the `edition` table),
      `longest_streak_5` (at 5 @), in consecutive editions;
    - `labels_5`: number of 5 @ labels;
    - `gaps`: interruptions between two labels (exact only when no edition is unknown;
      `gaps_min` counts the certain ones), `gap_editions`: editions known unlabelled between
      the first and last label held;
    - `editions_unknown`: editions where we cannot tell whether it was labelled;
    - `trajectory`: "2008:5 2009:5 2011:? 2013:-" (level, m = mention, ? = labelled at an
      unstated level, 1-4 = one of those levels, - = not labelled; editions not shown are
      unknown), `*` marks a cell narrowed by a claim.
    """
    frame = basis.df(
        _TABLE_SQL.format(
            tokens_all=token_list(ALL_STATES),
            tokens_no_mention=token_list(ALL_STATES & ~MENTION),
            all_states=ALL_STATES,
        )
    )
    return basis.finish(_finish_table(_apply_count_claims(basis, frame)))


#: Per collectivity, its cells in edition order become strings with one character an edition
#: ("1" where a predicate holds, "0" where not): a streak is what lies between zeros, the
#: current streak the last piece, counts the number of ones. `kn` marks each edition L
#: (certainly labelled), A (certainly not) or U (unknown): the certain gaps are the runs of A
#: between two L once the U are dropped. One hash aggregate, no sort within collectivities.
_TABLE_SQL = """
, consts AS (
    SELECT list(edition ORDER BY idx) AS eds, list(allowed ORDER BY idx) AS allowed,
           count(*) AS n, {tokens_all} AS tokens_all, {tokens_no_mention} AS tokens_no_mention
    FROM eds
), per_code AS (
    SELECT code, list_sort(list(idx * 256 + claim_used::INTEGER * 128 + mask)) AS packed,
           bool_or(claim_used) AS uses_claims, count_if(claim_conflict) AS claim_conflicts
    FROM cells GROUP BY code
), series AS (
    SELECT code, uses_claims, claim_conflicts,
           list_transform(packed, lambda v: (v % 128)::INTEGER) AS m,
           list_transform(packed, lambda v: (v // 128) % 2 = 1) AS claimed
    FROM per_code
), strings AS (
    SELECT *,
        array_to_string(list_transform(m, lambda x: CASE WHEN x & 1 = 0 THEN '1' ELSE '0' END),
                        '') AS lab_c,
        array_to_string(list_transform(m, lambda x: CASE WHEN x & 126 <> 0 THEN '1' ELSE '0' END),
                        '') AS lab_p,
        array_to_string(list_transform(m, lambda x: CASE WHEN x = 64 THEN '1' ELSE '0' END),
                        '') AS five_c,
        array_to_string(list_transform(m, lambda x: CASE WHEN x & 64 <> 0 THEN '1' ELSE '0' END),
                        '') AS five_p,
        array_to_string(list_transform(m, lambda x: CASE WHEN x & 1 = 0 THEN 'L'
                                                         WHEN x = 1 THEN 'A' ELSE 'U' END),
                        '') AS kn
    FROM series
), spans AS (  -- positions (1-based) of the first and last certain label, 0 when none
    SELECT *, strpos(lab_c, '1') AS first_l,
           CASE WHEN strpos(lab_c, '1') = 0 THEN 0
                ELSE length(lab_c) + 1 - strpos(reverse(lab_c), '1') END AS last_l
    FROM strings
)
SELECT s.code, n.name, n.entity,
    length(replace(lab_c, '0', '')) AS editions_labelled_min,
    length(replace(lab_p, '0', '')) AS editions_labelled_max,
    c.eds[nullif(first_l, 0)] AS first_edition_held,
    c.eds[nullif(strpos(lab_p, '1'), 0)] AS first_possible,
    c.eds[nullif(last_l, 0)] AS last_edition_held,
    c.eds[nullif(length(lab_p) + 1 - strpos(reverse(lab_p), '1'), length(lab_p) + 1)]
        AS last_possible,
    list_max(list_transform(string_split(lab_c, '0'), lambda t: length(t))) AS longest_streak_min,
    list_max(list_transform(string_split(lab_p, '0'), lambda t: length(t))) AS longest_streak_max,
    length(string_split(lab_c, '0')[-1]) AS current_streak_min,
    length(string_split(lab_p, '0')[-1]) AS current_streak_max,
    list_max(list_transform(string_split(five_c, '0'), lambda t: length(t)))
        AS longest_streak_5_min,
    list_max(list_transform(string_split(five_p, '0'), lambda t: length(t)))
        AS longest_streak_5_max,
    length(replace(five_c, '0', '')) AS labels_5_min,
    length(replace(five_p, '0', '')) AS labels_5_max,
    len(regexp_extract_all(trim(replace(kn, 'U', ''), 'A'), 'A+')) AS gaps_min,
    nullif(array_to_string(list_transform(
        list_filter(range(1, c.n + 1), lambda i: m[i] = 1 AND first_l > 0 AND i > first_l
                                                 AND i < last_l),
        lambda i: c.eds[i]::VARCHAR), '|'), '') AS gap_editions,
    length(kn) - length(replace(kn, 'U', '')) AS editions_unknown,
    nullif(array_to_string(list_filter(list_transform(range(1, c.n + 1), lambda i:
        CASE WHEN m[i] <> 1 OR (first_l > 0 AND i > first_l AND i < last_l) THEN
            c.eds[i] || ':'
            || CASE WHEN c.allowed[i] = {all_states} THEN c.tokens_all[m[i]]
                    ELSE c.tokens_no_mention[m[i]] END
            || CASE WHEN claimed[i] THEN '*' ELSE '' END
        END), lambda t: t IS NOT NULL), ' '), '') AS trajectory,
    uses_claims, claim_conflicts
FROM spans s CROSS JOIN consts c LEFT JOIN names n USING (code)
ORDER BY s.code
"""


def _finish_table(frame: pd.DataFrame) -> pd.DataFrame:
    ints = [
        c
        for c in frame.columns
        if c.endswith(("_min", "_max", "_held", "_possible"))
        or c in ("editions_unknown", "claim_conflicts")
    ]
    for column in ints:
        frame[column] = frame[column].astype("Int64")
    frame["uses_claims"] = frame["uses_claims"].astype(bool)

    def exact(low: str, high: str) -> pd.Series:
        return frame[low].where(frame[low] == frame[high]).astype("Int64")

    columns = {
        "editions_labelled": exact("editions_labelled_min", "editions_labelled_max"),
        "first_edition": exact("first_edition_held", "first_possible"),
        "last_edition": exact("last_edition_held", "last_possible"),
        "longest_streak": exact("longest_streak_min", "longest_streak_max"),
        "current_streak": exact("current_streak_min", "current_streak_max"),
        "longest_streak_5": exact("longest_streak_5_min", "longest_streak_5_max"),
        "labels_5": exact("labels_5_min", "labels_5_max"),
        "gaps": frame["gaps_min"].where(frame["editions_unknown"] == 0).astype("Int64"),
    }
    for name, values in columns.items():
        frame[name] = values
    order = [
        "code",
        "name",
        "entity",
        "editions_labelled",
        "editions_labelled_min",
        "editions_labelled_max",
        "first_edition",
        "first_edition_held",
        "last_edition",
        "last_edition_held",
        "longest_streak",
        "longest_streak_min",
        "longest_streak_max",
        "current_streak",
        "current_streak_min",
        "current_streak_max",
        "longest_streak_5",
        "longest_streak_5_min",
        "longest_streak_5_max",
        "labels_5",
        "labels_5_min",
        "labels_5_max",
        "gaps",
        "gaps_min",
        "gap_editions",
        "editions_unknown",
        "trajectory",
        "uses_claims",
        "claim_conflicts",
    ]
    return frame[order].reset_index(drop=True)


def _apply_count_claims(basis: Basis, frame: pd.DataFrame) -> pd.DataFrame:
    """Narrow labels_5 and editions_labelled with `count_up_to` (not consecutive) facts.

    Given exactly k labels at level L up to edition U (when the data allow k): the 5 @ labels
    up to U are k, and the labelled editions up to U are at least k more than the data make
    certain there; the facts at different levels of a collectivity add up, as a cell holds
    one level. A fact the data contradict is counted in `claim_conflicts`."""
    counts = basis.claim_counts
    if counts.empty:
        return frame
    for fact, mine in count_facts(counts, basis.cells_of(list(counts["code"]))):
        row = frame.index[frame["code"] == fact.code]
        if len(row) == 0:
            continue
        (i,) = row
        if contradicted(fact, mine):
            frame.loc[i, "claim_conflicts"] += 1
            continue
        certain = int(mine["lab_c"].sum())
        before = (frame.loc[i, "labels_5_min"], frame.loc[i, "labels_5_max"], certain)
        now = narrow_by_count(fact, mine, pd.Series(True, index=mine.index), before)
        if now[:2] != before[:2]:
            frame.loc[i, ["labels_5_min", "labels_5_max"]] = list(now[:2])
            frame.loc[i, "uses_claims"] = True
        if now[2] > certain:
            frame.loc[i, "editions_labelled_min"] += now[2] - certain
            frame.loc[i, "uses_claims"] = True
    return frame


def knowledge_grid(basis: Basis) -> pd.DataFrame:
    """The grid itself: one row per collectivity × edition with the states still possible
    (`mask`, `state` in words), whether a row is held, TEN (True / False when the list is
    complete / NULL) and whether a claim narrowed or contradicted the cell."""
    frame = basis.df(
        "SELECT code, edition, idx, allowed, mask, held, ten, claim_used, "
        "claim_conflict FROM cells ORDER BY code, idx"
    )
    frame["state"] = states(frame["mask"], frame["allowed"])
    return basis.finish(frame)
