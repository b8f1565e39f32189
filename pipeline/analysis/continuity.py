"""Continuity of the label: streaks, transitions, retention and TEN eligibility, honest about
coverage.

Our palmarès is partial. A collectivity missing from an edition we hold only partly is *not
known*, never "not labelled". Every function here therefore works on a knowledge grid: for each
collectivity and each edition (the label years of the `edition` table, so 2009 → 2011 is
consecutive), the set of states still possible given what we hold.

The coverage model
------------------
States of a (collectivity, edition) cell: *absent* (not labelled) or labelled at 0 (mention),
1, 2, 3, 4 or 5 @. A cell holds the set of states still possible, as a 7-bit mask (bit 0 =
absent, bit L + 1 = L @); the mention bit exists only in editions with a mention level.

Which lists of an edition are complete is decided once, by `pipeline.analysis.coverage`
(`coverage_model`): scopes `all`, each level, `TEN`; callers may declare their own.

From coverage to cells:
- a resolved row with a stated level → that level (two conflicting levels → either);
  a resolved row without a level → labelled, at any level still possible;
- no row held → every state allowed, except levels whose list is complete in that edition
  (the collectivity is not on it), and *absent only* when the whole edition is complete;
- a collectivity named among the candidates of an ambiguous quarantined row keeps that row's
  possibilities: it may be the one on the list.

Every count is then given as bounds over all palmarès compatible with what we hold: `X_min`
(at least), `X_max` (at most) and `X` itself only when they agree, NULL otherwise. A streak
broken by an edition we hold only partly is "at least N" (`longest_streak_min` = N,
`longest_streak` NULL).

Claims
------
With `claims=True` (the warehouse's `claim_fact` table, read from the project's claim_facts.csv)
or a DataFrame of facts, press claims narrow the cells and counts, read once by
`pipeline.build.claim_semantics` (the reading the `claim` table's verdict uses too): `level_at`,
`count_up_to` (consecutive: L @ at the N editions ending at `up_to` and not L @ at the edition
before; not consecutive: exactly N labels at L @ up to `up_to`), `labelled_since`,
`first_at_level`, `first_participation`. A claim that contradicts the data is ignored for that cell
and counted in `claim_conflicts`; facts of claims whose check is `contradicted` are not used.
Rows narrowed by a claim say so (`uses_claims`, `*` in the trajectory).

Every result says what it rests on: `attrs["coverage"]` (the coverage rows, as plain records
so that pandas can still concatenate results; `coverage_of(result)` gives them back as a
frame), `attrs["basis"]` (the same in one line: editions, complete lists, share held of each
published total), `attrs["claims"]`, `attrs["editions"]` and `attrs["synthetic"]`. Results
computed on a synthetic palmarès (benchmarks/synthetic.py) also carry an `is_synthetic` column;
a warehouse mixing synthetic and real rows is refused.

Public functions (each takes a DuckDB connection, read-only is enough, and the optional
`coverage`, `claims`, `ten_published`):
- `continuity_table`: one row per collectivity (streaks, counts, gaps, trajectory);
- `knowledge_grid`: the cells (collectivity × edition, states still possible);
- `transitions`, `transition_matrix` (per pair of editions or pooled), `transition_counts`;
- `retention_spells`, `retention` (Kaplan-Meier by cohort of first label year);
- `ten_eligibility`, `ten_summary`, `ten_check` (the TEN rule under both readings).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping

import duckdb
import numpy as np
import pandas as pd

from pipeline.analysis.coverage import (
    LEVEL_SCOPES,
    TEN_SQL,
    coverage_model,
    describe_coverage,
    synthetic_flag,
)
from pipeline.build.claim_semantics import (
    ABSENT,
    ALL_STATES,
    LABELLED,
    LEVELS,
    MENTION,
    count_conflicts,
    fact_constraints,
    level_bit,
)

# States as bits: see pipeline.build.claim_semantics, which reads the claims with them.

FIVE = level_bit(5)

TEN_RULE_COUNT = 6

TRANSITIONS = ("entry", "return", "renewal", "upgrade", "downgrade", "exit", "not labelled")


# ---------------------------------------------------------------------------------------------
# Claims.


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
    facts: pd.DataFrame, editions: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Facts as cell masks (code, edition, cmask) and count bounds (code, level, up_to,
    count); see the module docstring for what each fact implies."""
    cells: list[tuple[str, int, int, int]] = []
    counts: list[tuple[str, int, int, int, int]] = []
    for fact in facts.itertuples(index=False):
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


# ---------------------------------------------------------------------------------------------
# The shared preparation: coverage, claims, the knowledge grid as SQL.


class _Prepared:
    """Relations registered on the connection for one computation, and the SQL of the grid."""

    def __init__(self, con, coverage, claims, ten_published):
        self.con = con
        self.synthetic = synthetic_flag(con)
        self.coverage = coverage_model(con, coverage, ten_published)
        ten = self.coverage[self.coverage["scope"] == "TEN"].dropna(subset=["published"])
        self.ten_published = dict(zip(ten["edition"], ten["published"].astype(int), strict=True))
        self.editions = [
            int(year)
            for (year,) in con.execute("SELECT label_year FROM edition ORDER BY 1").fetchall()
        ]
        tag = uuid.uuid4().hex[:10]
        self.names = {"cov": f"_cont_cov_{tag}", "claims": f"_cont_claims_{tag}"}
        facts = None
        if isinstance(claims, pd.DataFrame):
            facts = claims
        elif claims:
            facts = load_claim_facts(con)
        self.facts = facts
        if facts is not None:
            self.claim_cells, self.claim_counts = claim_constraints(facts, self.editions)
            self.claims_text = (
                f"used: {len(facts)} structured facts from "
                f"{facts['claim_row'].nunique() if 'claim_row' in facts else '?'}"
                f" claims"
            )
        else:
            self.claim_cells, self.claim_counts = claim_constraints(
                pd.DataFrame(
                    columns=[
                        "code",
                        "fact",
                        "arobases",
                        "editions",
                        "count",
                        "consecutive",
                        "up_to",
                    ]
                ),
                self.editions,
            )
            self.claims_text = "not used"

    def __enter__(self):
        # Set only when on: in Jupyter, DuckDB refuses any change of it without ipywidgets.
        # fetchall, not fetchone: DuckDB refuses `register` while a result is still open.
        [(self.progress_bar,)] = self.con.execute(
            "SELECT current_setting('enable_progress_bar')"
        ).fetchall()
        if self.progress_bar:
            self.con.execute("SET enable_progress_bar = false").fetchall()
        self.con.register(self.names["cov"], self.coverage[["edition", "scope", "complete"]])
        self.con.register(self.names["claims"], self.claim_cells[["code", "edition", "cmask"]])
        return self

    def __exit__(self, *exc):
        for name in self.names.values():
            self.con.unregister(name)
        if self.progress_bar:
            self.con.execute("SET enable_progress_bar = true")

    def sql(self, tail: str) -> str:
        return (
            _GRID_SQL.format(
                cov=self.names["cov"],
                claims=self.names["claims"],
                ten=TEN_SQL,
                absent=ABSENT,
                labelled=LABELLED,
                all_states=ALL_STATES,
                no_mention=ALL_STATES & ~MENTION,
                scope_bits=_scope_bits_case(),
            )
            + tail
        )

    def df(self, tail: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(self.sql(tail), params or []).df()

    def finish(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.synthetic:
            frame.insert(0, "is_synthetic", True)
        frame.attrs["coverage"] = _plain_records(self.coverage)
        frame.attrs["basis"] = describe_coverage(self.coverage)
        frame.attrs["claims"] = self.claims_text
        frame.attrs["synthetic"] = self.synthetic
        frame.attrs["editions"] = self.editions
        return frame


def _plain_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values (None for missing): pandas compares `attrs` when it
    concatenates frames, which a DataFrame or pd.NA in them would make fail."""
    plain = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()}
        for record in plain.to_dict("records")
    ]


def coverage_of(result: pd.DataFrame) -> pd.DataFrame:
    """The coverage a result rests on (its `attrs["coverage"]`) as a DataFrame."""
    frame = pd.DataFrame(result.attrs["coverage"])
    for column in ("published", "held_resolved", "held_quarantined", "held", "held_unidentified"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


BASIS_ATTRS = ("coverage", "basis", "claims", "synthetic", "editions")


def _derived(frame: pd.DataFrame, source: pd.DataFrame, *extra: str) -> pd.DataFrame:
    """A result computed from another: it rests on the same coverage, claims and editions, and
    stays flagged when the palmarès is synthetic."""
    for key in (*BASIS_ATTRS, *extra):
        frame.attrs[key] = source.attrs[key]
    if source.attrs["synthetic"]:
        frame.insert(0, "is_synthetic", True)
    return frame


def _scope_bits_case() -> str:
    whens = " ".join(
        f"WHEN '{scope}' THEN {level_bit(level)}" for scope, level in LEVEL_SCOPES.items()
    )
    return f"CASE scope {whens} ELSE 0 END"


#: The knowledge grid: one row per collectivity held (or claimed) × edition, with `mask` the
#: states still possible (see the module docstring).
_GRID_SQL = """
WITH eds AS (
    SELECT label_year::INTEGER AS edition,
           (row_number() OVER (ORDER BY label_year) - 1)::INTEGER AS idx,
           CASE WHEN has_mention_level THEN {all_states} ELSE {no_mention} END AS allowed
    FROM edition
), last_ed AS (
    SELECT max(idx) AS last_idx FROM eds
), cov AS (
    SELECT edition::INTEGER AS edition, scope, complete FROM {cov}
), excl AS (
    SELECT edition, bit_or({scope_bits})::INTEGER AS excl
    FROM cov WHERE complete AND scope NOT IN ('all', 'TEN') GROUP BY edition
), whole AS (
    SELECT DISTINCT edition FROM cov WHERE complete AND scope = 'all'
), tenlist AS (
    SELECT DISTINCT edition FROM cov WHERE complete AND scope = 'TEN'
), qcand AS (
    SELECT edition::INTEGER AS edition, split_part(cand, ' ', 1) AS code,
           bit_or(CASE WHEN arobases IS NULL THEN 0 ELSE 1 << (arobases + 1) END)::INTEGER
               AS protect,
           bit_or(CASE WHEN arobases IS NULL THEN {labelled} ELSE 1 << (arobases + 1) END)::INTEGER
               AS maybe,
           bool_or(coalesce({ten}, false)) AS maybe_ten
    FROM (SELECT edition, arobases, distinction, unnest(candidates) AS cand
          FROM quarantine WHERE candidates IS NOT NULL)
    GROUP BY ALL
), held AS (
    SELECT code, edition::INTEGER AS edition,
           bit_or(CASE WHEN arobases IS NULL THEN 0 ELSE 1 << (arobases + 1) END)::INTEGER
               AS stated,
           bool_or(coalesce({ten}, false)) AS ten
    FROM laureates GROUP BY ALL
), claimed AS (
    SELECT code::VARCHAR AS code, edition::INTEGER AS edition, cmask::INTEGER AS cmask
    FROM {claims}
), codes AS (
    SELECT DISTINCT code FROM laureates UNION SELECT DISTINCT code FROM claimed
), base AS (
    SELECT g.code, e.edition, e.idx, e.allowed,
           (coalesce(x.excl, 0) & ~coalesce(q.protect, 0))::INTEGER AS dropped,
           h.stated, h.code IS NOT NULL AS held,
           w.edition IS NOT NULL AS whole_known, coalesce(q.maybe, 0) AS maybe,
           CASE WHEN h.ten THEN true
                WHEN t.edition IS NOT NULL AND NOT coalesce(q.maybe_ten, false) THEN false
           END AS ten
    FROM codes g CROSS JOIN eds e
    LEFT JOIN held h ON h.code = g.code AND h.edition = e.edition
    LEFT JOIN excl x ON x.edition = e.edition
    LEFT JOIN whole w ON w.edition = e.edition
    LEFT JOIN tenlist t ON t.edition = e.edition
    LEFT JOIN qcand q ON q.code = g.code AND q.edition = e.edition
), data_cells AS (
    SELECT code, edition, idx, allowed, held, ten,
           (CASE WHEN stated > 0 THEN stated
                 WHEN held THEN {labelled} & allowed & ~dropped
                 WHEN whole_known THEN ({absent} | (maybe & allowed)) & ~dropped
                 ELSE allowed & ~dropped END)::INTEGER AS data_mask
    FROM base
), cells AS (
    SELECT d.code, d.edition, d.idx, d.allowed, d.held, d.ten, d.data_mask,
           coalesce(c.cmask IS NOT NULL AND (d.data_mask & c.cmask) = 0, false)
               AS claim_conflict,
           coalesce(c.cmask IS NOT NULL AND (d.data_mask & c.cmask) NOT IN (0, d.data_mask),
                    false) AS claim_used,
           (CASE WHEN c.cmask IS NULL OR (d.data_mask & c.cmask) = 0 THEN d.data_mask
                 ELSE d.data_mask & c.cmask END)::INTEGER AS mask
    FROM data_cells d LEFT JOIN claimed c ON c.code = d.code AND c.edition = d.edition
), names AS (
    SELECT l.code, any_value(l.entity) AS entity,
           coalesce(any_value(c.name), any_value(p.name), arg_max(l.name, l.edition)) AS name
    FROM laureates l
    LEFT JOIN commune c ON c.commune_code = l.code AND c.commune_kind = 'commune'
                           AND l.entity = 'commune'
    LEFT JOIN epci p ON p.epci_siren = l.code AND l.entity = 'epci'
    GROUP BY l.code
    UNION ALL
    SELECT k.code,
           CASE WHEN c.name IS NOT NULL THEN 'commune' WHEN p.name IS NOT NULL THEN 'epci' END,
           coalesce(c.name, p.name)
    FROM (SELECT DISTINCT code FROM claimed WHERE code NOT IN (SELECT code FROM laureates)) k
    LEFT JOIN commune c ON c.commune_code = k.code AND c.commune_kind = 'commune'
    LEFT JOIN epci p ON p.epci_siren = k.code
), flags AS (
    SELECT *,
           (mask & {absent}) = 0 AS lab_c,
           (mask & {labelled}) <> 0 AS lab_p,
           mask = 64 AS five_c,
           (mask & 64) <> 0 AS five_p,
           (mask & {absent}) <> 0 AND (mask & {labelled}) <> 0 AS ambiguous
    FROM cells
)
"""


# ---------------------------------------------------------------------------------------------
# Per-collectivity continuity.


def mask_token(mask: int, allowed: int = ALL_STATES) -> str | None:
    """How a cell appears in a trajectory: the level (m = mention), a range of levels, '?'
    (labelled, level unknown), '-' (absent), None (not known whether labelled)."""
    if mask == ABSENT:
        return "-"
    if mask & ABSENT:
        return None
    levels = [lv for lv in LEVELS if mask & level_bit(lv)]
    possible = [lv for lv in LEVELS if allowed & level_bit(lv)]
    if levels == possible:
        return "?"
    return _levels_text(levels, at=False)


def _levels_text(levels: list[int], at: bool = True) -> str:
    name = (
        (lambda lv: "mention" if lv == 0 else f"{lv}@")
        if at
        else (lambda lv: "m" if lv == 0 else str(lv))
    )
    if len(levels) == 1:
        return name(levels[0])
    if levels == list(range(levels[0], levels[-1] + 1)):
        return f"{name(levels[0]) if levels[0] == 0 else levels[0]}-{name(levels[-1])}"
    return "/".join(name(lv) for lv in levels)


def state_label(mask: int, allowed: int = ALL_STATES) -> str:
    """A cell's knowledge in words: 'absent', '5@', 'labelled, level unknown',
    'labelled 1-4@', 'unknown', 'unknown, not 5@'."""
    levels = [lv for lv in LEVELS if mask & level_bit(lv)]
    possible = [lv for lv in LEVELS if allowed & level_bit(lv)]
    if mask == ABSENT:
        return "absent"
    if not mask & ABSENT:
        if len(levels) == 1:
            return _levels_text(levels)
        if levels == possible:
            return "labelled, level unknown"
        return f"labelled {_levels_text(levels)}"
    if levels == possible:
        return "unknown"
    excluded = [lv for lv in possible if lv not in levels]
    return f"unknown, not {_levels_text(excluded)}"


def french_state(label: str) -> str:
    """A `state_label` (or a coverage scope) in French, for reports: 'labelled 1-4@' →
    'labellisée 1-4 @', 'unknown, not 5@' → 'inconnu, pas 5 @'."""
    phrases = (
        ("labelled, level unknown", "labellisée, niveau inconnu"),
        ("unknown, not ", "inconnu, pas "),
        ("unknown", "inconnu"),
        ("labelled ", "labellisée "),
        ("absent", "non labellisée"),
    )
    for english, french in phrases:
        label = label.replace(english, french)
    return label.replace("@", " @").replace("  @", " @")


def _token_list(allowed: int) -> str:
    """SQL list of the trajectory token of every mask 1-127 (index = mask)."""
    tokens = (mask_token(mask, allowed) for mask in range(1, 128))
    return "[" + ", ".join("NULL" if t is None else f"'{t}'" for t in tokens) + "]"


def continuity_table(
    con: duckdb.DuckDBPyConnection,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
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
    with _Prepared(con, coverage, claims, ten_published) as p:
        frame = p.df(
            _TABLE_SQL.format(
                tokens_all=_token_list(ALL_STATES),
                tokens_no_mention=_token_list(ALL_STATES & ~MENTION),
                all_states=ALL_STATES,
            )
        )
        frame = _apply_count_claims(p, frame)
        return p.finish(_finish_table(frame))


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


def _count_windows(p: _Prepared, counts: pd.DataFrame) -> pd.DataFrame:
    """For each count fact (code, level, up_to): labels at `level` certain (`c_in`) and
    possible (`p_in`) up to `up_to`, and editions certainly labelled up to it (`lab_c_in`)."""
    rel = f"_cont_counts_{uuid.uuid4().hex[:10]}"
    p.con.register(rel, counts[["code", "level", "up_to"]].drop_duplicates())
    try:
        return p.df(f"""
            SELECT k.code, k.level::INTEGER AS level, k.up_to::INTEGER AS up_to,
                count_if(f.edition <= k.up_to AND f.mask = (1 << (k.level + 1))) AS c_in,
                count_if(f.edition <= k.up_to AND (f.mask & (1 << (k.level + 1))) <> 0) AS p_in,
                count_if(f.edition <= k.up_to AND f.lab_c) AS lab_c_in
            FROM {rel} k JOIN flags f ON f.code = k.code
            GROUP BY ALL
        """)
    finally:
        p.con.unregister(rel)


def _apply_count_claims(p: _Prepared, frame: pd.DataFrame) -> pd.DataFrame:
    """Narrow labels_5 and editions_labelled with `count_up_to` (not consecutive) facts.

    Given exactly k labels at level L up to edition U (when the data allow k): the 5 @ labels
    up to U are k, and the labelled editions up to U are at least k. When a collectivity has
    several such facts at one level, the one with the latest `up_to` is used."""
    counts = p.claim_counts
    if counts.empty:
        return frame
    windows = _count_windows(p, counts)
    counts = counts.sort_values("up_to").drop_duplicates(["code", "level"], keep="last")
    for fact in counts.merge(windows, on=["code", "level", "up_to"]).itertuples():
        row = frame.index[frame["code"] == fact.code]
        if len(row) == 0:
            continue
        (i,) = row
        if count_conflicts(fact.c_in, fact.p_in, fact.count):
            frame.loc[i, "claim_conflicts"] += 1
            continue
        if fact.level == 5:
            low, high = frame.loc[i, "labels_5_min"], frame.loc[i, "labels_5_max"]
            new_low = low - fact.c_in + fact.count
            new_high = high - fact.p_in + fact.count
            if (new_low, new_high) != (low, high):
                frame.loc[i, ["labels_5_min", "labels_5_max"]] = [new_low, new_high]
                frame.loc[i, "uses_claims"] = True
        if fact.count > fact.lab_c_in:
            frame.loc[i, "editions_labelled_min"] += fact.count - fact.lab_c_in
            frame.loc[i, "uses_claims"] = True
    return frame


def knowledge_grid(
    con: duckdb.DuckDBPyConnection,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """The grid itself: one row per collectivity × edition with the states still possible
    (`mask`, `state` in words), whether a row is held, TEN (True / False when the list is
    complete / NULL) and whether a claim narrowed or contradicted the cell."""
    with _Prepared(con, coverage, claims, ten_published) as p:
        frame = p.df(
            "SELECT code, edition, idx, allowed, mask, held, ten, claim_used, "
            "claim_conflict FROM cells ORDER BY code, idx"
        )
    frame["state"] = _states(frame["mask"], frame["allowed"])
    return p.finish(frame)


# ---------------------------------------------------------------------------------------------
# Transitions.


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


def transitions(
    con: duckdb.DuckDBPyConnection,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """One row per collectivity and pair of consecutive editions where it is known labelled in
    at least one of the two: `transition` (entry, return, renewal, upgrade, downgrade, exit)
    when the coverage decides it, 'unknown' otherwise, with `possible` the transitions the
    data still allow (e.g. "downgrade|exit" for a 5 @ whose next 5 @ list is complete and
    does not name it)."""
    with _Prepared(con, coverage, claims, ten_published) as p:
        frame = p.df(
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
    return p.finish(frame.reset_index(drop=True))


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
    frame["from_state"] = _states(frame["from_mask"], frame["from_allowed"])
    frame["to_state"] = _states(frame["to_mask"], frame["to_allowed"])
    return frame


def _states(masks: pd.Series, allowed: pd.Series) -> pd.Series:
    """`state_label` of each cell, computed once per distinct (mask, allowed)."""
    key = masks.astype("int64") + allowed.astype("int64") * 128
    return key.map({k: state_label(k & 127, k >> 7) for k in key.unique()})


def transition_matrix(
    con: duckdb.DuckDBPyConnection,
    pooled: bool = False,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Counts of collectivities by state in one edition and state in the next, per pair of
    consecutive editions (or pooled over all pairs): long format (`from_state`, `to_state`,
    `collectivities`), states as `state_label` words, unknown ones included. The population is
    the collectivities the palmarès holds (or claims name)."""
    with _Prepared(con, coverage, claims, ten_published) as p:
        frame = p.df(
            _PAIRS_SQL
            + """
            SELECT from_edition, to_edition, from_mask, to_mask, from_allowed, to_allowed,
                   count(*) AS collectivities
            FROM pairs WHERE from_edition IS NOT NULL
            GROUP BY ALL
        """
        )
    frame["from_state"] = _states(frame["from_mask"], frame["from_allowed"])
    frame["to_state"] = _states(frame["to_mask"], frame["to_allowed"])
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
    return p.finish(frame)


def transition_counts(
    con: duckdb.DuckDBPyConnection,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Per pair of consecutive editions: how many entries, returns, renewals, upgrades,
    downgrades and exits the coverage establishes, and how many transitions involving a known
    label stay unknown."""
    rows = transitions(con, coverage, claims, ten_published)
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
    return _derived(counts, rows)


# ---------------------------------------------------------------------------------------------
# Retention.


def retention_spells(
    con: duckdb.DuckDBPyConnection,
    min_level: int | None = None,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Each collectivity's first spell: labelled (or at `min_level` @ or more) from its first
    such edition, for `duration` consecutive editions, then `event` = True when the next edition
    is known not to continue it; False (censored) when the next edition is unknown or the data
    end. Only collectivities whose first edition is known (every earlier edition known not to
    qualify) have a cohort; the others are listed with `cohort` NULL and the reason."""
    bits = LABELLED if min_level is None else sum(level_bit(lv) for lv in LEVELS if lv >= min_level)
    with _Prepared(con, coverage, claims, ten_published) as p:
        frame = p.df(f"""
            , q AS (
                SELECT code, edition, idx, (mask & ~{bits}) = 0 AS q_c, (mask & {bits}) <> 0 AS q_p,
                       (mask & {bits}) = 0 AS q_not
                FROM flags
            ), firsts AS (
                SELECT code, min(idx) FILTER (q_c) AS f FROM q GROUP BY code
            ), spell AS (
                SELECT q.code, fs.f,
                    count_if(q.q_p AND q.idx < fs.f) AS maybe_earlier,
                    min(q.idx) FILTER (q.idx > fs.f AND NOT q.q_c) AS g
                FROM q JOIN firsts fs USING (code) WHERE fs.f IS NOT NULL GROUP BY q.code, fs.f
            )
            SELECT s.code, e.edition AS first_edition_held, s.maybe_earlier,
                   coalesce(s.g, (SELECT last_idx FROM last_ed) + 1) - s.f AS duration,
                   coalesce(nx.q_not, false) AS event, nx.edition AS next_edition
            FROM spell s
            JOIN q e ON e.code = s.code AND e.idx = s.f
            LEFT JOIN q nx ON nx.code = s.code AND nx.idx = s.g
            ORDER BY s.code
        """)
    known = frame["maybe_earlier"] == 0
    frame["cohort"] = frame["first_edition_held"].where(known).astype("Int64")
    frame["note"] = ""
    frame.loc[~known, "note"] = "first edition unknown: an earlier edition may qualify"
    frame.loc[known & ~frame["event"] & frame["next_edition"].notna(), "note"] = (
        "censored: the next edition's coverage does not tell"
    )
    frame.loc[known & frame["next_edition"].isna(), "note"] = "censored: end of the data"
    frame["duration"] = frame["duration"].astype("int64")
    frame = frame[
        ["code", "cohort", "first_edition_held", "duration", "event", "next_edition", "note"]
    ]
    frame["next_edition"] = frame["next_edition"].astype("Int64")
    frame.attrs["min_level"] = min_level
    return p.finish(frame)


def _life_table(durations: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    """Product-limit (Kaplan-Meier) life table of spells lasting `durations` editions, ended
    (`events` True) or censored, at every duration from 1 to the longest."""
    longest = int(durations.max())
    ended = np.bincount(durations, minlength=longest + 1)[1:]
    ev = np.bincount(durations, weights=events.astype(float), minlength=longest + 1)[1:]
    ev = ev.astype("int64")
    at_risk = ended[::-1].cumsum()[::-1]  # spells lasting at least t editions (never 0 here)
    survival = np.cumprod(1 - ev / at_risk)
    terms = np.divide(
        ev, at_risk * (at_risk - ev), out=np.zeros(len(ev)), where=(ev > 0) & (at_risk > ev)
    )
    return pd.DataFrame(
        {
            "duration": np.arange(1, longest + 1),
            "at_risk": at_risk,
            "events": ev,
            "censored": ended - ev,
            "survival": survival,
            "se": survival * np.sqrt(np.cumsum(terms)),
        }
    )


def retention(
    con: duckdb.DuckDBPyConnection,
    min_level: int | None = None,
    pooled: bool = False,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Kaplan-Meier survival of the first spell (see `retention_spells`) by cohort of first
    label year (or pooled), in editions: at each duration t, `at_risk` (spells lasting at least
    t editions), `events` (ending after exactly t), `censored`, `survival` = estimated share
    still labelled after t consecutive editions (product-limit, events before censorings at
    ties), `se` (Greenwood). Spells without a known first edition are left out and counted in
    `attrs["excluded"]`."""
    spells = retention_spells(con, min_level, coverage, claims, ten_published)
    excluded = int(spells["cohort"].isna().sum())
    usable = spells[spells["cohort"].notna()]
    groups = [] if usable.empty else [("all", usable)] if pooled else list(usable.groupby("cohort"))
    tables = []
    for cohort, group in groups:
        table = _life_table(group["duration"].to_numpy(), group["event"].to_numpy())
        if not pooled:
            table.insert(0, "cohort", cohort)
        tables.append(table)
    columns = (["cohort"] if not pooled else []) + [
        "duration",
        "at_risk",
        "events",
        "censored",
        "survival",
        "se",
    ]
    frame = (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns))[
        columns
    ]
    if not pooled:
        frame["cohort"] = frame["cohort"].astype("Int64")
    frame.attrs["excluded"] = excluded
    frame.attrs["spells"] = len(usable)
    frame.attrs["min_level"] = min_level
    return _derived(frame, spells)


# ---------------------------------------------------------------------------------------------
# TEN eligibility.


def ten_eligibility(
    con: duckdb.DuckDBPyConnection,
    editions: Iterable[int] | None = None,
    through_current: bool = True,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Per edition (default: those with a published TEN count) and collectivity held: the two
    readings of the TEN rule, each 'yes' / 'no' / 'unknown' from bounds on the counts:
    `six_5` (six 5 @ labels, the association's wording) and `six_labelled` (labelled in at
    least six editions, the press's "labellisées depuis au moins 6 ans"), counting editions up
    to and including the edition (`through_current=False`: before it). `ten` is True when we
    hold the collectivity on that edition's TEN list, False when the list is complete and does
    not name it, NULL otherwise."""
    with _Prepared(con, coverage, claims, ten_published) as p:
        targets = sorted(set(p.ten_published) if editions is None else set(editions))
        targets = [e for e in targets if e in p.editions]
        rel = f"_cont_targets_{uuid.uuid4().hex[:10]}"
        con.register(rel, pd.DataFrame({"target": pd.Series(targets, dtype="int64")}))
        # counts through the edition (window up to the current row), or before it (minus it)
        minus = "" if through_current else " - ({})::INTEGER"
        cum = {
            name: f"sum(({flag})::INTEGER) OVER w" + minus.format(flag)
            for name, flag in (
                ("labels_5_min", "five_c"),
                ("labels_5_max", "five_p"),
                ("labelled_min", "lab_c"),
                ("labelled_max", "lab_p"),
                ("editions_5_unknown", "five_p AND NOT five_c"),
                ("editions_unknown", "ambiguous"),
                ("claim_cells", "claim_used"),
            )
        }
        cmp = "<=" if through_current else "<"
        try:
            frame = p.df(f"""
                , counted AS (
                    SELECT code, edition, ten,
                        {", ".join(f"({expr}) AS {name}" for name, expr in cum.items())}
                    FROM flags
                    WINDOW w AS (PARTITION BY code ORDER BY idx
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                ), picked AS (
                    SELECT c.*, n.name, n.entity FROM counted c
                    JOIN {rel} t ON t.target = c.edition
                    LEFT JOIN names n USING (code)
                ), listed AS (
                    SELECT p.edition, p.code,
                        string_agg(f.edition || CASE WHEN f.claim_used THEN '*' ELSE '' END,
                                   ', ' ORDER BY f.idx) FILTER (f.five_c) AS editions_5,
                        string_agg(f.edition || CASE WHEN f.claim_used THEN '*' ELSE '' END,
                                   ', ' ORDER BY f.idx) FILTER (f.lab_c) AS editions_labelled,
                        string_agg(f.edition::VARCHAR, ', ' ORDER BY f.idx)
                            FILTER (f.claim_used) AS editions_by_claims
                    FROM picked p JOIN flags f ON f.code = p.code AND f.edition {cmp} p.edition
                    WHERE p.ten OR p.claim_cells > 0
                    GROUP BY p.edition, p.code
                )
                SELECT p.edition, p.code, p.name, p.entity, p.ten,
                       p.labels_5_min, p.labels_5_max, p.labelled_min, p.labelled_max,
                       l.editions_5, l.editions_labelled, l.editions_by_claims,
                       p.editions_5_unknown, p.editions_unknown
                FROM picked p LEFT JOIN listed l USING (edition, code)
                ORDER BY p.edition, p.code
            """)
        finally:
            con.unregister(rel)
        frame["uses_claims"] = frame["editions_by_claims"].notna()
        frame["count_claims"] = None
        frame = _ten_count_claims(p, frame, through_current)
        frame["six_5"] = _rule(frame["labels_5_min"], frame["labels_5_max"])
        frame["six_labelled"] = _rule(frame["labelled_min"], frame["labelled_max"])
        for column in (
            "labels_5_min",
            "labels_5_max",
            "labelled_min",
            "labelled_max",
            "editions_5_unknown",
            "editions_unknown",
        ):
            frame[column] = frame[column].astype("int64")
        frame.attrs["through_current"] = through_current
        return p.finish(frame)


def _rule(low: pd.Series, high: pd.Series) -> pd.Series:
    return pd.Series(
        [
            "yes" if lo >= TEN_RULE_COUNT else "no" if hi < TEN_RULE_COUNT else "unknown"
            for lo, hi in zip(low, high, strict=True)
        ],
        index=low.index,
    )


def _ten_count_claims(p: _Prepared, frame: pd.DataFrame, through_current: bool) -> pd.DataFrame:
    """Bounds of `ten_eligibility` narrowed by `count_up_to` facts (exactly k labels at L @ up
    to U, A = the editions up to U). For a window W (editions counted for edition E) that
    contains A: labels at 5 @ in W = k + those of W after U, labelled editions ≥ k + those
    after U. For W inside A: labels at 5 @ in W = k − those in A \\ W, labelled editions
    ≥ k − the editions of A \\ W that may be labelled."""
    counts = p.claim_counts
    if counts.empty or frame.empty:
        return frame
    grid = p.df(
        "SELECT code, edition, mask, lab_c, lab_p, five_c, five_p FROM flags "
        "WHERE code IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(set(counts["code"]))],
    )
    counts = counts.sort_values("up_to").drop_duplicates(["code", "level"], keep="last")
    for fact in counts.itertuples():
        mine = grid[grid["code"] == fact.code]
        bit = level_bit(fact.level)
        upto = mine["edition"] <= fact.up_to
        at, maybe = mine["mask"] == bit, (mine["mask"] & bit) != 0
        if count_conflicts(at[upto].sum(), maybe[upto].sum(), fact.count):
            continue  # the data contradict the claim: not used
        for i in frame.index[frame["code"] == fact.code]:
            edition = frame.at[i, "edition"]
            window = mine["edition"] <= edition if through_current else mine["edition"] < edition
            before = (
                frame.at[i, "labels_5_min"],
                frame.at[i, "labels_5_max"],
                frame.at[i, "labelled_min"],
            )
            contains = not (upto & ~window).any()
            if contains:
                after = window & ~upto
                lab_min = max(int((mine["lab_c"] & upto).sum()), fact.count) + int(
                    (mine["lab_c"] & after).sum()
                )
                if fact.level == 5:
                    five = (
                        fact.count + int((mine["five_c"] & after).sum()),
                        fact.count + int((mine["five_p"] & after).sum()),
                    )
            else:
                rest = upto & ~window
                lab_min = max(before[2], fact.count - int((mine["lab_p"] & rest).sum()))
                if fact.level == 5:
                    five = (
                        max(before[0], fact.count - int((mine["five_p"] & rest).sum())),
                        min(before[1], fact.count - int((mine["five_c"] & rest).sum())),
                    )
            now = (*(five if fact.level == 5 else before[:2]), max(before[2], lab_min))
            if now != before:
                frame.loc[i, ["labels_5_min", "labels_5_max", "labelled_min"]] = list(now)
                frame.at[i, "uses_claims"] = True
                note = f"{fact.count} × {_levels_text([fact.level])} up to {fact.up_to}"
                note += f" (claim row {fact.claim_row})" if fact.claim_row else ""
                frame.at[i, "count_claims"] = "; ".join(
                    filter(None, [frame.at[i, "count_claims"], note])
                )
    return frame


def ten_check(
    con: duckdb.DuckDBPyConnection,
    edition: int = 2021,
    through_current: bool = True,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Each laureate of an edition's TEN list we hold (resolved or set aside): what the data
    can confirm and what they cannot, under both readings of the rule."""
    eligibility = ten_eligibility(con, [edition], through_current, coverage, claims, ten_published)
    laureates = eligibility[eligibility["ten"].fillna(False).astype(bool)].copy()
    rows = []
    for r in laureates.itertuples():
        can, cannot = [f"on the TEN {edition} list"], []
        window = f"up to {edition}" if through_current else f"before {edition}"
        five = f"{r.labels_5_min} label(s) at 5 @ {window}"
        five += f" (known: {r.editions_5})" if pd.notna(r.editions_5) else " (none known)"
        lab = f"labelled in {r.labelled_min} edition(s) {window}"
        lab += (
            f" (known: {r.editions_labelled})" if pd.notna(r.editions_labelled) else " (none known)"
        )
        for rule, status, held, low, high, open_editions in (
            (
                "six 5 @ labels",
                r.six_5,
                five,
                r.labels_5_min,
                r.labels_5_max,
                f"{r.editions_5_unknown} edition(s) {window} may be 5 @",
            ),
            (
                "six labelled editions",
                r.six_labelled,
                lab,
                r.labelled_min,
                r.labelled_max,
                f"{r.editions_unknown} edition(s) {window} may be labelled",
            ),
        ):
            if status == "yes":
                can.append(f"{rule}: met, {held}")
            elif status == "no":
                can.append(f"{rule}: NOT met, at most {high} possible, {held}")
            else:
                can.append(held)
                cannot.append(
                    f"{rule}: {low} known, {TEN_RULE_COUNT - low} more needed, "
                    f"at most {high} possible ({open_editions})"
                )
        if r.uses_claims:
            used = (
                [f"* = narrowed by a claim ({r.editions_by_claims})"]
                if pd.notna(r.editions_by_claims)
                else []
            )
            used += [r.count_claims] if r.count_claims else []
            can.append("with claims: " + "; ".join(used))
        rows.append(
            {
                "edition": edition,
                "code": r.code,
                "name": r.name,
                "entity": r.entity,
                "resolved": True,
                "labels_5_min": r.labels_5_min,
                "labels_5_max": r.labels_5_max,
                "labelled_min": r.labelled_min,
                "labelled_max": r.labelled_max,
                "six_5": r.six_5,
                "six_labelled": r.six_labelled,
                "uses_claims": bool(r.uses_claims),
                "can_confirm": "; ".join(can),
                "cannot_confirm": "; ".join(cannot),
            }
        )
    for q in con.execute(
        f"""SELECT source_file, source_row, name, reason, candidates FROM quarantine
            WHERE edition = ? AND {TEN_SQL} ORDER BY source_row""",
        [edition],
    ).fetchall():
        same = con.execute(
            "SELECT edition, arobases FROM quarantine WHERE name = ? AND edition <> ? "
            "ORDER BY edition",
            [q[2], edition],
        ).fetchall()
        hint = (
            (
                "; rows naming the same, also set aside: "
                + ", ".join(f"{e} {'?' if a is None else a}@" for e, a in same)
            )
            if same
            else ""
        )
        rows.append(
            {
                "edition": edition,
                "code": None,
                "name": q[2],
                "entity": None,
                "resolved": False,
                "labels_5_min": None,
                "labels_5_max": None,
                "labelled_min": None,
                "labelled_max": None,
                "six_5": "unknown",
                "six_labelled": "unknown",
                "uses_claims": False,
                "can_confirm": f"on the TEN {edition} list ({q[0]} row {q[1]})",
                "cannot_confirm": f"which collectivity: {q[3]} ({', '.join(q[4] or [])}){hint}",
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "edition",
            "code",
            "name",
            "entity",
            "resolved",
            "labels_5_min",
            "labels_5_max",
            "labelled_min",
            "labelled_max",
            "six_5",
            "six_labelled",
            "uses_claims",
            "can_confirm",
            "cannot_confirm",
        ],
    )
    for column in ("labels_5_min", "labels_5_max", "labelled_min", "labelled_max"):
        frame[column] = frame[column].astype("Int64")
    cov = coverage_of(eligibility)
    ten_row = cov[(cov["edition"] == edition) & (cov["scope"] == "TEN")]
    frame.attrs["ten_list"] = ten_row.iloc[0].to_dict() if len(ten_row) else {}
    return _derived(frame, eligibility)


def ten_summary(
    con: duckdb.DuckDBPyConnection,
    editions: Iterable[int] | None = None,
    through_current: bool = True,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Per edition: TEN published and held, whether the list is complete, and how the two
    readings of the rule fare among the laureates we hold (yes / no / unknown) and among the
    collectivities we hold that are known not to be on the list but certainly eligible."""
    el = ten_eligibility(con, editions, through_current, coverage, claims, ten_published)
    cov = coverage_of(el)
    ten_cov = cov[cov["scope"] == "TEN"].set_index("edition")
    rows = []
    for edition, group in el.groupby("edition"):
        on = group[group["ten"].fillna(False).astype(bool)]
        off = group[group["ten"].eq(False).fillna(False).astype(bool)]
        row = {
            "edition": edition,
            "ten_published": ten_cov["published"].get(edition),
            "ten_held": ten_cov["held"].get(edition),
            "ten_list_complete": bool(ten_cov["complete"].get(edition, False)),
        }
        for rule in ("six_5", "six_labelled"):
            for status in ("yes", "no", "unknown"):
                row[f"laureates_{rule}_{status}"] = int((on[rule] == status).sum())
            row[f"not_on_list_{rule}_yes"] = int((off[rule] == "yes").sum())
        rows.append(row)
    columns = ["edition", "ten_published", "ten_held", "ten_list_complete"] + [
        f"{who}_{rule}_{status}"
        for rule in ("six_5", "six_labelled")
        for who, status in (
            ("laureates", "yes"),
            ("laureates", "no"),
            ("laureates", "unknown"),
            ("not_on_list", "yes"),
        )
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return _derived(frame, el, "through_current")
