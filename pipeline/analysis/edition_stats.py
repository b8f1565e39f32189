"""An edition's statistics, as the association and the press republish them, checked.

One implementation feeds the jury chair's pack (`palmares stats`, pipeline/report/stats_pack.py) and
the `edition` notebook. Every table is a DataFrame with English snake_case columns (the CSV
form) and `attrs`: `title` (French), `headers` (French column names), `note` (what the figures
rest on: the coverage of the edition when it is incomplete) and `source`.

Counts are of the collectivities we hold (resolved, plus rows set aside for a level where a
published level count exists). Where the palmarès of an edition is incomplete, a count is a
floor, never a total: the `status` columns and the notes say so, and the change against the
previous edition is only given where both counts are exact. Which counts are exact is decided
by `analysis.coverage` (complete lists, and the breakdowns of a complete edition).

The tables share one `EditionContext` (`edition_context.py`); the population tables are in
`edition_population.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from pipeline.analysis import continuity, provenance
from pipeline.analysis.coverage import (
    SCOPE_NAMES,
    STATUS_NAMES,
    SYNTHETIC_WARNING,
    exact_breakdowns,
    synthetic_flag,
)
from pipeline.analysis.edition_context import ZONE_NAMES, EditionContext, change, count_text
from pipeline.analysis.edition_population import population_classes_table, population_table

SOURCE = (
    "Sources : palmarès rassemblé par le projet (data/raw/palmares, une source par ligne) ; "
    "totaux publiés : Villes Internet et presse (editions.csv) ; INSEE, COG {cog}"
)
LEVEL_NAMES = {
    5: "5 @",
    4: "4 @",
    3: "3 @",
    2: "2 @",
    1: "1 @",
    0: "mention",
    -1: "niveau non publié",
}
KIND_NAMES = {
    "territoire": "territoires",
    "ville": "villes",
    "village": "villages",
    None: "catégorie non publiée",
}
TRANSITION_NAMES = {
    "entry": "entrées (premier label)",
    "return": "retours après une interruption",
    "renewal": "renouvellements au même niveau",
    "upgrade": "progressions",
    "downgrade": "reculs",
    "exit": "sorties",
    "unknown": "non déterminables (palmarès partiel)",
}

PLACED_LAUREATES_SQL = """
SELECT l.edition, l.code, l.entity, l.arobases, l.kind, l.distinction, l.name,
       coalesce(c.name, e.name) AS current_name,
       coalesce(c.departement_code, p.departement_code) AS departement_code,
       coalesce(c.region_code, p.region_code) AS region_code,
       coalesce(c.zone, p.zone) AS zone,
       c.population AS commune_population, e.population AS epci_population
FROM laureates l
LEFT JOIN commune c ON l.entity = 'commune' AND c.commune_code = l.code
                    AND c.commune_kind = 'commune'
LEFT JOIN epci e ON l.entity = 'epci' AND e.epci_siren = l.code
LEFT JOIN epci_place p ON l.entity = 'epci' AND p.epci_siren = l.code
WHERE list_contains(?::INTEGER[], l.edition)
"""


class UnknownEdition(ValueError):
    """The edition is not in the editions table."""


def previous_edition(con: duckdb.DuckDBPyConnection, edition: int) -> int | None:
    """The edition before (2011's is 2009: there was no label 2010)."""
    years = provenance.editions(con)
    if edition not in years:
        raise UnknownEdition(
            f"edition {edition} is not in the editions table "
            f"({years[0]}-{years[-1]}, without {_missing(years)})"
        )
    position = years.index(edition)
    return years[position - 1] if position else None


def _missing(years: list[int]) -> str:
    gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    return ", ".join(map(str, gaps)) or "none"


def placed_laureates(con: duckdb.DuckDBPyConnection, editions: int | Sequence[int]) -> pd.DataFrame:
    """One row per collectivity labelled in the edition (the highest level when two rows
    disagree), with its département, région, zone and population. Given several editions,
    their rows one edition after the other, read in one query (the maps of a period)."""
    years = [editions] if isinstance(editions, int) else sorted(set(editions))
    rows = con.execute(PLACED_LAUREATES_SQL, [years]).df()
    if len(years) == 1:
        return _highest_level_per_code(rows)
    parts = [_highest_level_per_code(rows[rows["edition"] == year]) for year in years]
    parts = [part for part in parts if not part.empty]  # an empty frame loses dtypes
    return pd.concat(parts, ignore_index=True) if parts else rows


def _highest_level_per_code(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.sort_values("arobases", ascending=False, na_position="last")
    return rows.drop_duplicates("code").reset_index(drop=True)


def edition_tables(
    con: duckdb.DuckDBPyConnection, edition: int, coverage: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Every table of the edition's statistics, in the order the pack presents them.

    `coverage` (columns `edition, scope, complete`) may declare lists complete, as in
    `coverage_model` (tests on hand-made editions do).
    """
    previous = previous_edition(con, edition)
    basis = continuity.build_basis(con, coverage)  # the coverage and the continuity grid, once
    cov = basis.coverage
    cog = provenance.cog_vintage(con)
    now, before = (
        placed_laureates(con, edition),
        (placed_laureates(con, previous) if previous else placed_laureates(con, -1)),
    )
    exact = exact_breakdowns(con, cov).set_index("edition")
    source = (SYNTHETIC_WARNING if synthetic_flag(con) else "") + SOURCE.format(cog=cog)
    context = EditionContext(edition, previous, cov, exact, source, cog)
    tables = {
        "levels": levels_table(con, context),
        "kinds": kinds_table(con, context, now, before),
        "regions": place_table(con, context, now, before, "region"),
        "departements": place_table(con, context, now, before, "departement"),
        "population_classes": population_classes_table(context, now, before),
        "transitions": transitions_table(context, basis),
        "ten": ten_table(context, basis),
        "mentions": mentions_table(context, now),
        "population": population_table(con, context, now, before),
        "coverage": coverage_table(context),
    }
    return tables


#: The published counts of `edition_conflict` a reader of an edition's levels must see.
DISPUTED_COUNTS = {
    "total_labelled": "total",
    **{f"n_{level}": f"{level} @" for level in range(5, 0, -1)},
    "n_mention": "mention",
    "n_territoires": "territoires",
    "n_villes": "villes",
    "n_villages": "villages",
    "n_ten": "TEN",
}


def count_disagreements(con: duckdb.DuckDBPyConnection, edition: int) -> str:
    """The published counts of the edition on which sources disagree, as a sentence: the value
    kept and the others, never averaged nor dropped (2015: a total of 241 and level counts
    summing to 190 in the same article). Empty when they agree."""
    rows = con.execute(
        "SELECT measure, value, is_chosen FROM edition_conflict WHERE label_year = ? "
        "ORDER BY measure, NOT is_chosen, value",
        [edition],
    ).fetchall()
    values: dict[str, list[str]] = {}
    for measure, value, chosen in rows:
        if measure in DISPUTED_COUNTS:
            values.setdefault(measure, []).append(f"{value} {'retenu' if chosen else 'écarté'}")
    if not values:
        return ""
    disputed = [f"{DISPUTED_COUNTS[m]} ({', '.join(v)})" for m, v in values.items()]
    return (
        f" Les sources ne s'accordent pas sur ces comptes : {' ; '.join(disputed)}. La valeur "
        "retenue suit la règle écrite ; les autres restent, avec leurs sources, dans l'export "
        "des désaccords entre sources."
    )


def levels_table(con: duckdb.DuckDBPyConnection, ctx: EditionContext) -> pd.DataFrame:
    """Per level: collectivities held and the published count; complete when they agree."""
    has_mention = con.execute(
        "SELECT has_mention_level FROM edition WHERE label_year = ?", [ctx.edition]
    ).fetchone()[0]
    rows = []
    for scope, level in [(f"{lv}@", lv) for lv in (5, 4, 3, 2, 1)] + (
        [("mention", 0)] if has_mention else []
    ):
        now, before = ctx.scope(ctx.edition, scope), ctx.scope(ctx.previous, scope)
        complete, complete_before = bool(now.get("complete")), bool(before.get("complete"))
        count, count_before = (
            now.get("held", 0),
            before.get("held", pd.NA) if ctx.previous else pd.NA,
        )
        rows.append(
            {
                "level": level,
                "count": count,
                "level_name": LEVEL_NAMES[level],
                "published": now.get("published", pd.NA),
                "status": (
                    "complet"
                    if complete and pd.notna(now.get("published"))
                    else "complet (liste entière détenue)"
                    if complete
                    else "partiel (minimum)"
                ),
                "previous_count": count_before,
                "previous_published": before.get("published", pd.NA),
                "change": change(count, count_before, complete and complete_before),
            }
        )
    unstated = con.execute(
        "SELECT count(DISTINCT code) FROM laureates WHERE edition = ? AND arobases IS NULL",
        [ctx.edition],
    ).fetchone()[0]
    if unstated:
        rows.append(
            {
                "level": -1,
                "count": unstated,
                "level_name": LEVEL_NAMES[-1],
                "published": pd.NA,
                "status": "niveau non publié par la source",
                "previous_count": pd.NA,
                "previous_published": pd.NA,
                "change": pd.NA,
            }
        )
    total_now, total_before = ctx.scope(ctx.edition, "all"), ctx.scope(ctx.previous, "all")
    frame = pd.DataFrame(rows)
    for column in ("count", "published", "previous_count", "previous_published", "change"):
        frame[column] = frame[column].astype("Int64")
    known = [
        f"{r.level_name} ({r.count}" + (f" sur {r.published})" if pd.notna(r.published) else ")")
        for r in frame.itertuples()
        if r.status.startswith("complet")
    ]
    unknown = [
        r.level_name
        for r in frame.itertuples()
        if not r.status.startswith("complet") and r.level >= 0
    ]
    note = (
        f"Total publié {ctx.edition} : {count_text(total_now.get('published'))} ; détenus : "
        f"{count_text(total_now.get('held'))}. Comptes complets : "
        f"{', '.join(known) or 'aucun'}. Comptes que le palmarès rassemblé ne permet pas "
        f"d'établir (minimums) : {', '.join(unknown) or 'aucun'}."
        + count_disagreements(con, ctx.edition)
        + (
            f" Édition précédente : {ctx.previous} (total publié "
            f"{count_text(total_before.get('published'))})."
            if ctx.previous
            else ""
        )
    )
    return ctx.finish(
        frame,
        f"Lauréats par niveau, édition {ctx.edition}",
        {
            "level": "Niveau (0 = mention)",
            "level_name": "Niveau",
            "count": "Collectivités",
            "published": "Total publié",
            "status": "Statut",
            "previous_count": f"Collectivités {ctx.previous}",
            "previous_published": f"Total publié {ctx.previous}",
            "change": "Évolution",
        },
        note,
        hidden=("level",),
    )


def kinds_table(con, ctx: EditionContext, now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Territoires, villes and villages as the sources name them (never inferred)."""
    published = dict(
        zip(
            ["territoire", "ville", "village"],
            con.execute(
                "SELECT n_territoires, n_villes, n_villages FROM edition WHERE label_year = ?",
                [ctx.edition],
            ).fetchone(),
            strict=True,
        )
    )
    complete = ctx.comparable("kind")
    rows = []
    for kind, name in KIND_NAMES.items():
        count = int(now["kind"].isna().sum() if kind is None else (now["kind"] == kind).sum())
        count_before = int(
            before["kind"].isna().sum() if kind is None else (before["kind"] == kind).sum()
        )
        rows.append(
            {
                "kind": kind or "unknown",
                "kind_name": name,
                "count": count,
                "published": published.get(kind),
                "previous_count": count_before,
                "change": change(count, count_before, complete and kind is not None),
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("published", "change"):
        frame[column] = frame[column].astype("Int64")
    note = (
        "La catégorie est celle que publie la source de chaque ligne ; elle n'est jamais "
        "déduite. " + ctx.coverage_note()
    )
    return ctx.finish(
        frame,
        f"Lauréats par catégorie, édition {ctx.edition}",
        {
            "kind": "Code",
            "kind_name": "Catégorie",
            "count": "Collectivités",
            "published": "Total publié",
            "previous_count": f"Collectivités {ctx.previous}",
            "change": "Évolution",
        },
        note,
        hidden=("kind",),
    )


def place_table(
    con, ctx: EditionContext, now: pd.DataFrame, before: pd.DataFrame, level: str
) -> pd.DataFrame:
    """Laureates per région or département (all of them, zero included), DROM after metropolitan
    France; EPCI are placed where most of their population lives."""
    if level == "region":
        units = con.execute("SELECT region_code AS code, name, zone FROM region").df()
        key = "region_code"
    else:
        units = con.execute("SELECT departement_code AS code, name, zone FROM departement").df()
        key = "departement_code"
    counts = now.groupby(key).size().rename("laureates")
    fives = now[now["arobases"] == 5].groupby(key).size().rename("laureates_5")
    counts_before = before.groupby(key).size().rename("previous_laureates")
    frame = (
        units.set_index("code")
        .join([counts, fives, counts_before])
        .fillna({"laureates": 0, "laureates_5": 0, "previous_laureates": 0})
        .reset_index()
    )
    order = {zone: position for position, zone in enumerate(ZONE_NAMES)}
    frame = frame.assign(_zone=frame["zone"].map(order)).sort_values(["_zone", "code"])
    frame["zone"] = frame["zone"].map(ZONE_NAMES)
    comparable = ctx.comparable("place")
    frame["change"] = [
        change(a, b, comparable)
        for a, b in zip(frame["laureates"], frame["previous_laureates"], strict=True)
    ]
    for column in ("laureates", "laureates_5", "previous_laureates", "change"):
        frame[column] = frame[column].astype("Int64")
    frame = frame[
        ["code", "name", "zone", "laureates", "laureates_5", "previous_laureates", "change"]
    ]
    what = "région" if level == "region" else "département"
    where = "la région" if level == "region" else "le département"
    note = (
        f"Les intercommunalités sont comptées dans {where} où vit la plus grande part de leur "
        "population ; "
        "l'outre-mer est présenté à part, après la métropole. " + ctx.coverage_note()
    )
    return ctx.finish(
        frame,
        f"Lauréats par {what}, édition {ctx.edition}",
        {
            "code": "Code",
            "name": what.capitalize(),
            "zone": "Zone",
            "laureates": "Collectivités",
            "laureates_5": "dont 5 @",
            "previous_laureates": f"Collectivités {ctx.previous}",
            "change": "Évolution",
        },
        note,
    )


def transitions_table(ctx: EditionContext, basis: continuity.Basis) -> pd.DataFrame:
    """Entries, returns, renewals, upgrades, downgrades and exits against the previous edition,
    for the collectivities held in one or the other; 'unknown' where coverage cannot decide."""
    rows = continuity.transitions(basis)
    rows.attrs = {}  # its basis is ctx's; pandas would deep-copy it at every filter below
    pair = rows[rows["to_edition"] == ctx.edition]
    counts = pair["transition"].value_counts()
    frame = pd.DataFrame(
        {"transition": list(TRANSITION_NAMES), "transition_name": list(TRANSITION_NAMES.values())}
    )
    frame["count"] = [int(counts.get(t, 0)) for t in frame["transition"]]
    frame["collectivities"] = [
        ", ".join(sorted(_names(basis.con, pair[pair["transition"] == t]["code"])))
        for t in frame["transition"]
    ]
    note = (
        f"Chaque collectivité détenue en {ctx.previous} ou {ctx.edition} est comparée à sa "
        "participation précédente. Une transition est « non déterminable » quand une des deux "
        "éditions n'est connue qu'en partie : l'absence d'une ligne n'y prouve pas l'absence du "
        "label. " + ctx.coverage_note()
    )
    return ctx.finish(
        frame,
        f"Entrées, renouvellements et sorties, {ctx.previous} → {ctx.edition}",
        {
            "transition": "Code",
            "transition_name": "Transition",
            "count": "Collectivités",
            "collectivities": "Lesquelles",
        },
        note,
        hidden=("transition",),
    )


def _names(con, codes: pd.Series) -> list[str]:
    if codes.empty:
        return []
    return [
        name
        for (name,) in con.execute(
            """SELECT coalesce(c.name, e.name, x.code) FROM (SELECT unnest(?::VARCHAR[]) AS code) x
           LEFT JOIN commune c ON c.commune_code = x.code AND c.commune_kind = 'commune'
           LEFT JOIN epci e ON e.epci_siren = x.code""",
            [list(codes)],
        ).fetchall()
    ]


def ten_table(ctx: EditionContext, basis: continuity.Basis) -> pd.DataFrame:
    """The TEN distinction: awarded (held vs published) and eligible under both readings."""
    eligibility = continuity.ten_eligibility(basis, [ctx.edition])
    eligibility.attrs = {}  # its basis is ctx's; pandas would deep-copy it at every count below
    ten = ctx.scope(ctx.edition, "TEN")
    rows = [
        {
            "measure": "awarded",
            "measure_name": "TEN décernés (détenus)",
            "count": ten.get("held", 0),
            "published": ten.get("published", pd.NA),
        }
    ]
    for rule, name in (("six_5", "six labels à 5 @"), ("six_labelled", "six éditions labellisées")):
        for status, word in (
            ("yes", "éligibles certains"),
            ("unknown", "éligibilité non déterminable"),
            ("no", "non éligibles certains"),
        ):
            rows.append(
                {
                    "measure": f"{rule}_{status}",
                    "measure_name": f"Lecture « {name} » : {word}",
                    "count": int((eligibility[rule] == status).sum()),
                    "published": pd.NA,
                }
            )
    frame = pd.DataFrame(rows)
    frame["count"] = frame["count"].astype("Int64")
    frame["published"] = frame["published"].astype("Int64")
    note = (
        "Le label « Territoire d'excellence numérique » (depuis 2021) récompense la continuité ; "
        "deux lectures de la règle circulent : six labels à 5 @ (l'association) ou six années "
        "labellisées (la presse). L'éligibilité est évaluée pour les collectivités détenues, "
        "éditions jusqu'à celle-ci comprise."
        if ctx.edition >= 2021
        else "La distinction TEN n'existe que depuis 2021."
    )
    return ctx.finish(
        frame,
        f"Territoires d'excellence numérique, édition {ctx.edition}",
        {
            "measure": "Code",
            "measure_name": "Mesure",
            "count": "Collectivités",
            "published": "Total publié",
        },
        note,
        hidden=("measure",),
    )


def mentions_table(ctx: EditionContext, now: pd.DataFrame) -> pd.DataFrame:
    """Thematic mentions and other distinctions of the edition (TEN apart), with their holders."""
    distinction = now["distinction"].fillna("")
    rows = now[
        (distinction != "") & ~distinction.str.lower().str.contains("excellence num", regex=False)
    ]
    frame = (
        rows.groupby("distinction")["current_name"]
        .agg(count="size", collectivities=lambda s: ", ".join(sorted(s)))
        .reset_index()
    )
    note = (
        "Distinctions citées par les sources des lignes détenues ; une édition partielle peut "
        "en avoir d'autres."
    )
    return ctx.finish(
        frame,
        f"Mentions et distinctions, édition {ctx.edition}",
        {"distinction": "Distinction", "count": "Collectivités", "collectivities": "Lesquelles"},
        note,
    )


def coverage_table(ctx: EditionContext) -> pd.DataFrame:
    """What we hold of each published count of the edition and the one before."""
    years = [y for y in (ctx.edition, ctx.previous) if y is not None]
    frame = ctx.cov[ctx.cov["edition"].isin(years)][
        [
            "edition",
            "scope",
            "published",
            "held_resolved",
            "held_quarantined",
            "held",
            "share_pct",
            "status",
        ]
    ]
    frame = frame.sort_values("edition", ascending=False, kind="stable").assign(
        edition=lambda f: f["edition"].astype(str),  # a year, not a number: no separator
        scope=lambda f: f["scope"].map(SCOPE_NAMES),
        status=lambda f: f["status"].map(STATUS_NAMES),
    )
    note = (
        "Une liste est complète quand les lignes détenues (identifiées ou mises de côté avec "
        "une raison) égalent le total publié, ou, pour un niveau sans total publié, quand "
        "toute l'édition est détenue et que chaque ligne donne son niveau. Sinon, tout compte "
        "tiré de l'édition est un minimum."
    )
    return ctx.finish(
        frame,
        f"Couverture du palmarès, éditions {ctx.edition} et {ctx.previous}",
        {
            "edition": "Édition",
            "scope": "Liste",
            "published": "Total publié",
            "held_resolved": "Identifiées",
            "held_quarantined": "Mises de côté",
            "held": "Détenues",
            "share_pct": "Part détenue (%)",
            "status": "Statut",
        },
        note,
    )
