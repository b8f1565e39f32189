"""The basis of every continuity analysis, prepared once: coverage, claims and the knowledge grid.

`build_basis` decides the coverage, reads the claims and computes the grid (the states still
possible for each collectivity and edition, see the package docstring) in one pass; the analyses
then query the grid it holds, so a page or an edition's statistics pay for it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from pipeline.analysis import provenance
from pipeline.analysis.continuity.claims import claim_constraints, load_claim_facts
from pipeline.analysis.coverage import (
    LEVEL_SCOPES,
    TEN_SQL,
    coverage_model,
    describe_coverage,
    synthetic_flag,
)
from pipeline.build.claim_semantics import ABSENT, ALL_STATES, LABELLED, MENTION, level_bit

BASIS_ATTRS = ("coverage", "basis", "claims", "synthetic", "editions")


@dataclass(frozen=True, eq=False)
class Basis:
    """What the analyses rest on; built by `build_basis`, passed to each analysis."""

    con: duckdb.DuckDBPyConnection
    coverage: pd.DataFrame  # `coverage_model`: per edition and scope, complete or not
    editions: list[int]  # the label years of the `edition` table, in order
    ten_published: dict[int, int]  # TEN awarded per edition, where a count is published
    synthetic: bool
    facts: pd.DataFrame | None  # the claims' structured facts; None when claims are not used
    claims: str  # what `attrs["claims"]` says: "not used" or how many facts
    claim_counts: pd.DataFrame  # count facts: code, level, up_to, count, claim_row
    cells: pa.Table  # the knowledge grid, one row per collectivity × edition
    names: pa.Table  # code, entity, name of every collectivity of the grid

    def df(self, tail: str, params: list | None = None) -> pd.DataFrame:
        """`tail` run after the grid's common table expressions (eds, last_ed, cells, names,
        flags: see `_QUERY_SQL`), as a DataFrame."""
        with _registered(self.con, {"cells": self.cells, "names": self.names}) as names:
            sql = _QUERY_SQL.format(
                editions=_editions_sql(), absent=ABSENT, labelled=LABELLED, **names
            )
            return self.con.execute(sql + tail, params or []).df()

    def cells_of(self, codes: list[str]) -> pd.DataFrame:
        """The grid cells of some collectivities, with their flags, in edition order."""
        return self.df(
            "SELECT code, edition, mask, lab_c, lab_p, five_c, five_p FROM flags "
            "WHERE code IN (SELECT unnest(?::VARCHAR[])) ORDER BY code, idx",
            [sorted(set(codes))],
        )

    def finish(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A result with what it rests on in `attrs`, flagged when the palmarès is synthetic."""
        if self.synthetic:
            frame.insert(0, "is_synthetic", True)
        frame.attrs["coverage"] = _plain_records(self.coverage)
        frame.attrs["basis"] = describe_coverage(self.coverage)
        frame.attrs["claims"] = self.claims
        frame.attrs["synthetic"] = self.synthetic
        frame.attrs["editions"] = self.editions
        return frame


def build_basis(
    con: duckdb.DuckDBPyConnection,
    coverage: pd.DataFrame | None = None,
    claims: bool | pd.DataFrame = False,
    ten_published: Mapping[int, int] | None = None,
) -> Basis:
    """The coverage (`coverage_model`, with a caller's declared `coverage` and TEN counts
    `ten_published`), the claims (`claims=True`: the warehouse's `claim_fact`; or a DataFrame
    of facts) and the knowledge grid they give, computed once on a connection (read-only is
    enough). A warehouse mixing synthetic and real rows is refused."""
    synthetic = synthetic_flag(con)
    model = coverage_model(con, coverage, ten_published)
    ten = model[model["scope"] == "TEN"].dropna(subset=["published"])
    editions = provenance.editions(con)
    facts = (
        claims if isinstance(claims, pd.DataFrame) else load_claim_facts(con) if claims else None
    )
    claim_cells, claim_counts = claim_constraints(facts, editions)
    relations = {
        "cov": model[["edition", "scope", "complete"]],
        "claims": claim_cells[["code", "edition", "cmask"]],
    }
    with _registered(con, relations) as names:
        cells, collectivities = (
            con.sql(
                _GRID_SQL.format(
                    editions=_editions_sql(),
                    ten=TEN_SQL,
                    labelled=LABELLED,
                    absent=ABSENT,
                    scope_bits=_scope_bits_case(),
                    part=part,
                    **names,
                )
            ).to_arrow_table()
            for part in ("cells", "names")
        )
    return Basis(
        con=con,
        coverage=model,
        editions=editions,
        ten_published=dict(zip(ten["edition"], ten["published"].astype(int), strict=True)),
        synthetic=synthetic,
        facts=facts,
        claims=_claims_text(facts),
        claim_counts=claim_counts,
        cells=cells,
        names=collectivities,
    )


def _claims_text(facts: pd.DataFrame | None) -> str:
    if facts is None:
        return "not used"
    claims = facts["claim_row"].nunique() if "claim_row" in facts else "?"
    return f"used: {len(facts)} structured facts from {claims} claims"


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, relations: Mapping) -> Iterator[dict[str, str]]:
    """Relations registered on the connection under names of their own for one computation
    (concurrent ones never collide), with DuckDB's progress bar off meanwhile."""
    # Set only when on: in Jupyter, DuckDB refuses any change of it without ipywidgets.
    # fetchall, not fetchone: DuckDB refuses `register` while a result is still open.
    [(progress_bar,)] = con.execute("SELECT current_setting('enable_progress_bar')").fetchall()
    if progress_bar:
        con.execute("SET enable_progress_bar = false").fetchall()
    tag = uuid.uuid4().hex[:10]
    names = {key: f"_cont_{key}_{tag}" for key in relations}
    try:
        for key, relation in relations.items():
            con.register(names[key], relation)
        yield names
    finally:
        for name in names.values():
            con.unregister(name)
        if progress_bar:
            con.execute("SET enable_progress_bar = true")


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


def derived(frame: pd.DataFrame, source: pd.DataFrame, *extra: str) -> pd.DataFrame:
    """A result computed from another: it rests on the same coverage, claims and editions, and
    stays flagged when the palmarès is synthetic."""
    for key in (*BASIS_ATTRS, *extra):
        frame.attrs[key] = source.attrs[key]
    if source.attrs["synthetic"]:
        frame.insert(0, "is_synthetic", True)
    return frame


def _editions_sql() -> str:
    return _EDITIONS_SQL.format(all_states=ALL_STATES, no_mention=ALL_STATES & ~MENTION)


def _scope_bits_case() -> str:
    whens = " ".join(
        f"WHEN '{scope}' THEN {level_bit(level)}" for scope, level in LEVEL_SCOPES.items()
    )
    return f"CASE scope {whens} ELSE 0 END"


#: The editions in order (`idx`, so that 2009 → 2011 is consecutive) and the states each allows.
_EDITIONS_SQL = """eds AS (
    SELECT label_year::INTEGER AS edition,
           (row_number() OVER (ORDER BY label_year) - 1)::INTEGER AS idx,
           CASE WHEN has_mention_level THEN {all_states} ELSE {no_mention} END AS allowed
    FROM edition
), last_ed AS (
    SELECT max(idx) AS last_idx FROM eds
)"""

#: The knowledge grid, computed once by `build_basis`: `cells` (part), one row per collectivity
#: held (or claimed) × edition with `mask` the states still possible (see the package
#: docstring), or `names`.
_GRID_SQL = """
WITH {editions}, cov AS (
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
)
SELECT * FROM {part}
"""

#: What every analysis query starts with: the editions, the grid held by the basis, and each
#: cell's flags (labelled certainly / possibly, 5 @ certainly / possibly, ambiguous).
_QUERY_SQL = """
WITH {editions}, cells AS (
    SELECT * FROM {cells}
), names AS (
    SELECT * FROM {names}
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
