"""How much of each edition the palmarès holds: the one coverage every page, table, map and
`palmares check` shows, and what it allows us to call exact.

Coverage is decided per edition and per *scope*: `all` (the whole list), each level (`5@` ...
`1@`, `mention`) and `TEN` (the «Territoire d'excellence numérique» list). The rows *held* for
a scope are the distinct collectivities resolved at that scope plus the distinct rows set aside
(quarantined) at that scope: a row set aside is a row of the list we hold without knowing, or
without being sure, which collectivity it names. Rows set aside are distinct as resolved rows
are: rows of the same edition with the same published name (case, accents and punctuation
aside) and the same département, or none on both, are one row, however many files send it
(the association's export re-sends the rows of laureates.csv). The *share held* is held /
published.

A scope is *complete* when the rows held equal the published count (`edition.total_labelled`,
`n_5` ..., `n_ten`), provided every row set aside is either identified as foreign / not a
collectivity (it still counts: Bromont, Québec, is one of the ten 5 @ of 2006) or ambiguous
with a list of candidates. A row set aside with no candidate could be anyone: the scope is then
not complete; so could a row whose candidates are only the closest names of an unknown one
(reason "unknown", "fuzzy score below threshold"...): only an ambiguous row's candidates are
every collectivity it may be. A level without a published count is complete too when the
edition's whole list is complete and every row of it states its level: the list then gives
every level's count.

A list *declared complete* (`palmares ingest --complete`, table `complete_declaration`) gives
its edition's published counts (its rows, and its rows per level: `sources.editions`, step 0 of
the written rule), so the same rule makes the edition complete when the rows held are the
list's (`basis` "declared list"), and every count, change and first edition that rests on
completeness follows. A declared edition with rows set aside is complete in what it allows:
every laureate is a row of the list, so a collectivity without a row is not labelled, except
the candidates of an ambiguous row, which stay possible (continuity's knowledge grid); the
levels are exact when every row states its level, set aside or not; kinds and places are not
while a French row is set aside (`exact_breakdowns`). A row set aside that could be anyone
keeps the edition not complete, declared or not.

Every breakdown of a complete edition is *exact* wherever each row states the attribute
(`exact_breakdowns`): kinds when every row is resolved and states its kind; places
(région, département) and population classes when every row is resolved (or set aside as
foreign) and placed, and every commune's population is known.

Callers may pass their own coverage table (`edition, scope, complete`), which overrides the
computed flags (tests declare complete coverage that way).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb
import pandas as pd

from pipeline.formatting import format_fr, format_percent_fr

#: Scopes of the coverage model and the level each stands for.
LEVEL_SCOPES = {"mention": 0, "1@": 1, "2@": 2, "3@": 3, "4@": 4, "5@": 5}
SCOPES = ("all", *LEVEL_SCOPES, "TEN")
TEN_SQL = "(lower(distinction) LIKE '%excellence num%')"
#: Breakdowns of an edition's laureates other than levels (see `exact_breakdowns`).
BREAKDOWNS = ("kind", "place", "population_class")

SCOPE_NAMES = {
    "all": "liste entière",
    "mention": "mention",
    "1@": "1 @",
    "2@": "2 @",
    "3@": "3 @",
    "4@": "4 @",
    "5@": "5 @",
    "TEN": "TEN",
}
STATUS_NAMES = {
    "complete": "complète",
    "partial": "partielle",
    "nothing held": "rien de détenu",
    "no published count": "total non publié",
    "more held than published": "plus que publié",
    "held but some rows unidentified": "détenue, lignes non identifiées",
    "declared": "déclarée",
}


def coverage_model(
    con: duckdb.DuckDBPyConnection,
    coverage: pd.DataFrame | None = None,
    ten_published: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Per edition and scope: published count, rows held (resolved + quarantined), share and
    whether the list is complete (see the module docstring).

    `coverage` (columns `edition, scope, complete`) declares completeness and overrides the
    computed flag (`basis` = "declared"). `ten_published` replaces the TEN counts of the
    `edition` table (tests).
    """
    if ten_published is None:
        ten_published = dict(
            con.execute("SELECT label_year, n_ten FROM edition WHERE n_ten IS NOT NULL").fetchall()
        )
    ten_values = (
        ", ".join(f"({int(e)}, {int(n)})" for e, n in ten_published.items()) or "(NULL, NULL)"
    )
    level_selects = "\n            UNION ALL ".join(
        f"SELECT label_year, '{scope}', {column}, {'has_mention_level' if level == 0 else 'true'} "
        f"FROM edition"
        for scope, level, column in [
            (s, lv, "n_mention" if lv == 0 else f"n_{lv}") for s, lv in LEVEL_SCOPES.items()
        ]
    )
    frame = con.execute(
        f"""
        WITH scopes(edition, scope, published, applies) AS (
            SELECT label_year, 'all', total_labelled, true FROM edition
            UNION ALL {level_selects}
            UNION ALL SELECT label_year, 'TEN', t.n, true FROM edition
                JOIN (VALUES {ten_values}) t(e, n) ON t.e = label_year
            UNION ALL SELECT DISTINCT edition, 'TEN', NULL::INTEGER, true FROM laureates
                WHERE {TEN_SQL} AND edition NOT IN (SELECT e FROM (VALUES {ten_values}) t(e, n)
                                                     WHERE e IS NOT NULL)
        ), per_code AS (  -- one row per edition × collectivity, then counts per scope
            SELECT edition, code,
                   bit_or(CASE WHEN arobases IS NULL THEN 0 ELSE 1 << (arobases + 1) END)
                       AS bits,
                   bool_or(coalesce({TEN_SQL}, false)) AS ten
            FROM laureates GROUP BY ALL
        ), resolved AS (
            UNPIVOT (
                SELECT edition, count(*) AS "all",
                       {
            ", ".join(
                f'count_if((bits & {1 << (lv + 1)}) <> 0) AS "{scope}"'
                for scope, lv in LEVEL_SCOPES.items()
            )
        },
                       count_if(ten) AS "TEN"
                FROM per_code GROUP BY edition
            ) ON COLUMNS(* EXCLUDE (edition)) INTO NAME scope VALUE n
        ), q AS (  -- one row per row set aside, however many files send it (see above)
            SELECT edition,
                   bit_or(CASE WHEN arobases IS NULL THEN 0 ELSE 1 << (arobases + 1) END)
                       AS bits,
                   bool_or(coalesce({TEN_SQL}, false)) AS ten,
                   bool_or(NOT (reason LIKE 'foreign%' OR reason LIKE 'not a collectivity%'
                                OR (reason LIKE 'ambiguous%' AND coalesce(len(candidates), 0) > 0)))
                       AS unidentified
            FROM quarantine
            GROUP BY edition,  -- the published name folded (case, accents, punctuation)
                     trim(regexp_replace(lower(strip_accents(name)), '[^a-z0-9]+', ' ', 'g')),
                     coalesce(upper(trim(departement)), '')
        ), set_aside AS (
            SELECT edition, 'all' AS scope, count(*) AS n, count_if(unidentified) AS unidentified
            FROM q GROUP BY 1
            UNION ALL
            SELECT edition, scope, count(*), count_if(unidentified) FROM (
                SELECT edition, unidentified, CASE level WHEN 0 THEN 'mention'
                                                         ELSE level || '@' END AS scope
                FROM q, range(0, 6) levels(level) WHERE (bits & (1 << (level + 1))) <> 0)
            GROUP BY 1, 2
            UNION ALL
            SELECT edition, 'TEN', count(*), count_if(unidentified) FROM q WHERE ten GROUP BY 1
        ), unstated AS (  -- rows of the edition whose level no source states
            SELECT edition, count(*) AS n FROM (
                SELECT edition FROM per_code WHERE bits = 0
                UNION ALL SELECT edition FROM q WHERE bits = 0) GROUP BY 1
        )
        SELECT s.edition::INTEGER AS edition, s.scope, s.published::INTEGER AS published,
               coalesce(r.n, 0)::INTEGER AS held_resolved,
               coalesce(a.n, 0)::INTEGER AS held_quarantined,
               (coalesce(r.n, 0) + coalesce(a.n, 0))::INTEGER AS held,
               coalesce(a.unidentified, 0)::INTEGER AS held_unidentified,
               round(100.0 * (coalesce(r.n, 0) + coalesce(a.n, 0)) / s.published, 1) AS share_pct,
               coalesce(u.n, 0)::INTEGER AS level_unstated
        FROM scopes s
        LEFT JOIN resolved r ON r.edition = s.edition AND r.scope = s.scope
        LEFT JOIN set_aside a ON a.edition = s.edition AND a.scope = s.scope
        LEFT JOIN unstated u ON u.edition = s.edition
        WHERE s.applies
        """
    ).df()
    frame["status"] = [
        _coverage_status(p, h, u)
        for p, h, u in zip(
            frame["published"], frame["held"], frame["held_unidentified"], strict=True
        )
    ]
    frame["complete"] = frame["status"] == "complete"
    frame["basis"] = "computed"
    declared = {
        e for (e,) in con.execute("SELECT DISTINCT edition FROM complete_declaration").fetchall()
    }
    frame.loc[
        frame["complete"] & frame["edition"].isin(declared) & (frame["scope"] != "TEN"), "basis"
    ] = "declared list"
    if coverage is not None:
        frame = _declare(frame, coverage)
    frame = _levels_from_whole_list(frame)
    order = {scope: n for n, scope in enumerate(SCOPES)}
    frame = frame.assign(_o=frame["scope"].map(order)).sort_values(["edition", "_o"])
    frame = frame.drop(columns="_o").reset_index(drop=True)
    for column in (
        "published",
        "held_resolved",
        "held_quarantined",
        "held",
        "held_unidentified",
        "level_unstated",
    ):
        frame[column] = frame[column].astype("Int64")
    return frame


def _coverage_status(published, held, unidentified) -> str:
    if published is None or pd.isna(published):
        return "no published count"
    if held > published:
        return "more held than published"
    if held < published:
        return "partial" if held else "nothing held"
    return "complete" if unidentified == 0 else "held but some rows unidentified"


def _declare(frame: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    missing = {"edition", "scope", "complete"} - set(coverage.columns)
    if missing:
        raise ValueError(f"coverage table lacks columns {sorted(missing)}")
    unknown = set(coverage["scope"]) - set(SCOPES)
    if unknown:
        raise ValueError(f"coverage scopes {sorted(unknown)} not in {SCOPES}")
    declared = coverage[["edition", "scope", "complete"]].astype({"edition": int, "complete": bool})
    merged = frame.merge(
        declared, on=["edition", "scope"], how="outer", suffixes=("", "_declared"), indicator=True
    )
    given = merged["_merge"] != "left_only"
    merged.loc[given, "complete"] = merged.loc[given, "complete_declared"]
    merged.loc[given, "basis"] = "declared"
    merged.loc[merged["_merge"] == "right_only", "status"] = "declared"
    merged["complete"] = merged["complete"].astype(bool)
    merged["level_unstated"] = merged["level_unstated"].fillna(0)
    return merged.drop(columns=["complete_declared", "_merge"])


def _levels_from_whole_list(frame: pd.DataFrame) -> pd.DataFrame:
    """A level without a published count is complete when the whole list is and every row of
    the edition states its level."""
    whole = frame[(frame["scope"] == "all") & frame["complete"]]
    known = set(whole.loc[whole["level_unstated"] == 0, "edition"])
    derive = (
        frame["scope"].isin(list(LEVEL_SCOPES))
        & frame["edition"].isin(known)
        & (frame["status"] == "no published count")
        & (frame["basis"] == "computed")
    )
    frame.loc[derive, ["status", "complete", "basis"]] = ["complete", True, "whole list"]
    return frame


def scope_row(cov: pd.DataFrame, edition: int | None, scope: str = "all") -> dict:
    """One edition's coverage at one scope, as a dict ({} when there is none)."""
    rows = cov[(cov["edition"] == edition) & (cov["scope"] == scope)]
    return rows.iloc[0].to_dict() if len(rows) else {}


def exact_breakdowns(con: duckdb.DuckDBPyConnection, cov: pd.DataFrame) -> pd.DataFrame:
    """Per edition: whether its counts by kind, by place (région, département) and by
    population class are exact (see the module docstring)."""
    facts = con.execute(
        """
        WITH placed AS (
            SELECT l.edition, l.kind,
                   coalesce(c.departement_code, p.departement_code) IS NOT NULL AS placed,
                   l.entity = 'epci' OR c.population IS NOT NULL AS population_known
            FROM laureates l
            LEFT JOIN commune c ON l.entity = 'commune' AND c.commune_code = l.code
                                   AND c.commune_kind = 'commune'
            LEFT JOIN epci_place p ON l.entity = 'epci' AND p.epci_siren = l.code
        ), held AS (
            SELECT edition, count_if(kind IS NULL) AS kind_unstated,
                   count_if(NOT placed) AS unplaced,
                   count_if(NOT placed OR NOT population_known) AS population_unknown
            FROM placed GROUP BY edition
        ), set_aside AS (
            SELECT edition, count(*) AS quarantined,
                   count_if(NOT (reason LIKE 'foreign%' OR reason LIKE 'not a collectivity%'))
                       AS quarantined_french
            FROM quarantine GROUP BY edition
        )
        SELECT e.label_year::INTEGER AS edition,
               coalesce(h.kind_unstated, 0) AS kind_unstated,
               coalesce(h.unplaced, 0) AS unplaced,
               coalesce(h.population_unknown, 0) AS population_unknown,
               coalesce(q.quarantined, 0) AS quarantined,
               coalesce(q.quarantined_french, 0) AS quarantined_french
        FROM edition e LEFT JOIN held h ON h.edition = e.label_year
        LEFT JOIN set_aside q ON q.edition = e.label_year
        ORDER BY 1
        """
    ).df()
    complete = facts["edition"].isin(set(complete_editions(cov)))
    return pd.DataFrame(
        {
            "edition": facts["edition"],
            "kind": complete & (facts["quarantined"] == 0) & (facts["kind_unstated"] == 0),
            "place": complete & (facts["quarantined_french"] == 0) & (facts["unplaced"] == 0),
            "population_class": complete
            & (facts["quarantined_french"] == 0)
            & (facts["population_unknown"] == 0),
        }
    )


def complete_editions(cov: pd.DataFrame) -> list[int]:
    """The editions whose whole list is complete."""
    whole = cov[(cov["scope"] == "all") & cov["complete"]]
    return [int(edition) for edition in whole["edition"]]


def held_sentence(row: Mapping) -> str:
    """What we hold of one edition, in French: "20 collectivités détenues sur 219 publiées
    (9,1 %)", or without a published total "20 collectivités détenues (total non publié)"."""
    held = format_fr(row.get("held", 0) if row else 0)
    if row and pd.notna(row.get("published")):
        return (
            f"{held} collectivités détenues sur {format_fr(row['published'])} publiées "
            f"({format_percent_fr(row['share_pct'])})"
        )
    return f"{held} collectivités détenues (total non publié)"


def wide(cov: pd.DataFrame) -> pd.DataFrame:
    """One row per edition: the whole list (held, resolved, set aside, published, share), held
    and published per level, then the status; for `palmares check` and the overview."""
    whole = cov[cov["scope"] == "all"].set_index("edition")
    frame = pd.DataFrame(
        {
            "held": whole["held"],
            "resolved": whole["held_resolved"],
            "quarantined": whole["held_quarantined"],
            "published": whole["published"],
            "share_pct": whole["share_pct"],
            "held_level_unknown": whole["level_unstated"],
        }
    )
    for scope in ("5@", "4@", "3@", "2@", "1@", "mention"):
        level = cov[cov["scope"] == scope].set_index("edition")
        suffix = scope.rstrip("@")
        frame[f"held_{suffix}"] = level["held"].reindex(frame.index).astype("Int64")
        frame[f"published_{suffix}"] = level["published"].reindex(frame.index).astype("Int64")
    frame["status"] = whole["status"]
    return frame.reset_index()


def describe_coverage(cov: pd.DataFrame, french: bool = False) -> str:
    """One line: the editions, what share of each is held, which lists are complete (in
    French for reports)."""
    words = _BASIS_FR if french else {key: key for key in _BASIS_FR}
    editions = sorted(cov["edition"].unique())
    whole = cov[cov["scope"] == "all"]
    complete_all = complete_editions(cov)
    parts = [
        f"{len(editions)} {words['editions']} {editions[0]}-{editions[-1]}"
        if editions
        else words["no edition"]
    ]
    parts.append(f"{words['complete editions']}: {_years(complete_all) or words['none']}")
    lists = [
        f"{SCOPE_NAMES[scope] if french else scope} "
        f"{_years(group.loc[group['complete'], 'edition'])}"
        for scope, group in cov[cov["scope"] != "all"].groupby("scope", sort=False)
        if group["complete"].any()
    ]
    parts.append(f"{words['complete lists']}: {'; '.join(lists) or words['none']}")
    mark = "," if french else "."
    shares = [
        f"{int(r.edition)} {format(r.share_pct, 'g').replace('.', mark)} %"
        for r in whole.itertuples()
        if not pd.isna(r.share_pct)
    ]
    parts.append(
        f"{words['share held of each published total']}: {', '.join(shares) or words['no total']}"
    )
    return "; ".join(parts)


_BASIS_FR = {
    "editions": "éditions",
    "no edition": "aucune édition",
    "complete editions": "éditions complètes",
    "none": "aucune",
    "complete lists": "listes complètes",
    "share held of each published total": "part détenue de chaque total publié",
    "no total": "aucun total",
}


def _years(years: Iterable) -> str:
    return ", ".join(str(int(y)) for y in years)


#: Put before the sources of every table and map drawn from a synthetic palmarès.
SYNTHETIC_WARNING = "PALMARÈS SYNTHÉTIQUE (tests d'échelle, aucun vrai lauréat). "


def synthetic_flag(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every laureate is synthetic (its file or its source is `synthetic://`, as in
    a scratch root holding benchmarks/synthetic_root.py's palmarès); a warehouse mixing both is
    refused."""
    synthetic, total = con.execute(
        "SELECT coalesce(count_if(source_file LIKE 'synthetic://%' "
        "OR source_url LIKE 'synthetic://%'), 0), count(*) FROM laureates"
    ).fetchone()
    if 0 < synthetic < total:
        raise ValueError(
            f"the warehouse mixes {synthetic} synthetic rows with "
            f"{total - synthetic} real rows: refusing to compute on it"
        )
    return total > 0 and synthetic == total
