"""Counts over the reference geography (COG) for the overview page, and the share of each
région's and département's population the label covers for the geography page."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from pipeline.analysis import provenance
from pipeline.report import maps

# Display labels, in display order.
COMMUNE_KIND_LABELS = {
    "commune": "Communes",
    "deleguee": "Communes déléguées",
    "associee": "Communes associées",
    "arrondissement": "Arrondissements municipaux",
}
EPCI_KIND_LABELS = {
    "ME": "Métropoles",
    "CU": "Communautés urbaines",
    "CA": "Communautés d'agglomération",
    "CC": "Communautés de communes",
}
ZONE_LABELS = {
    "metro": "France métropolitaine",
    "drom": "Départements et régions d'outre-mer",
    "com": "Collectivités d'outre-mer",
}
#: `territory_counts` as the overview shows it (without its `level` column).
COUNT_HEADERS = {"category": "Niveau", **ZONE_LABELS, "total": "Total"}
SHARE_HEADERS = {
    "code": "Code",
    "name": "Nom",
    "population_share_pct": "Population couverte (%)",
    "laureates": "Lauréats connus",
}
UNITS = {"region": "région", "departement": "département"}


def territory_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """How many régions, départements, communes and EPCI the reference holds, by zone.

    Returns one row per (level, category) with counts for each zone and in total; the
    French labels are the ones the reports print.
    """
    frame = con.execute(
        """
        SELECT 'Régions' AS level, 'Régions' AS category, zone FROM region
        UNION ALL
        SELECT 'Départements', 'Départements', zone FROM departement
        UNION ALL
        SELECT 'Communes', commune_kind, zone FROM commune
        UNION ALL
        SELECT 'Intercommunalités', e.epci_kind, any_value(c.zone)
        FROM epci e
        JOIN epci_member m USING (epci_siren)
        JOIN commune c ON c.commune_code = m.commune_code AND c.commune_kind = 'commune'
        GROUP BY e.epci_siren, e.epci_kind
        """
    ).df()
    labels = {**COMMUNE_KIND_LABELS, **EPCI_KIND_LABELS}
    frame["category"] = frame["category"].map(lambda c: labels.get(c, c))
    table = pd.crosstab([frame["level"], frame["category"]], frame["zone"])
    table = table.reindex(columns=list(ZONE_LABELS), fill_value=0)
    table["total"] = table.sum(axis=1)
    order = ["Régions", "Départements", *COMMUNE_KIND_LABELS.values(), *EPCI_KIND_LABELS.values()]
    table = (
        table.reset_index()
        .set_index("category")
        .loc[[c for c in order if c in set(frame["category"])]]
    )
    return table.reset_index()[["level", "category", *ZONE_LABELS, "total"]]


def communes_per_departement(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """Number of current communes in each département (code → count)."""
    frame = con.execute(
        """
        SELECT departement_code, count(*) AS communes
        FROM commune WHERE commune_kind = 'commune'
        GROUP BY departement_code ORDER BY departement_code
        """
    ).df()
    return frame.set_index("departement_code")["communes"]


def counts_caption(con: duckdb.DuckDBPyConnection) -> str:
    return (
        "Entités du référentiel géographique. Source : INSEE, "
        f"COG {provenance.cog_vintage(con)} (decoupage-administratif)."
    )


def studied_editions(con: duckdb.DuckDBPyConnection, editions: Iterable) -> list[int]:
    """The editions a page studies: those asked for, or every edition held when none is."""
    return [int(edition) for edition in editions] or provenance.editions_held(con)


def period_sentence(editions: list[int]) -> str:
    return f"Période étudiée : **{maps.editions_label(editions)}** ({len(editions)} éditions)."


def population_shares(
    con: duckdb.DuckDBPyConnection, editions: list[int]
) -> dict[str, pd.DataFrame]:
    """Per région and per département (keys of UNITS): the % of the population living in a
    labelled commune or a member of a labelled EPCI over `editions`, and the laureates known
    there; highest share first."""
    names = {
        "region": dict(con.execute("SELECT region_code, name FROM region").fetchall()),
        "departement": dict(
            con.execute("SELECT departement_code, name FROM departement").fetchall()
        ),
    }
    shares = {}
    for unit in UNITS:
        share = maps.level_values(con, unit, editions, "population_share")
        count = maps.level_values(con, unit, editions, "laureates")
        frame = (
            share.rename("population_share_pct")
            .to_frame()
            .join(count.rename("laureates"))
            .reset_index()
            .rename(columns={share.index.name: "code"})
        )
        frame.insert(1, "name", frame["code"].map(names[unit]))
        shares[unit] = frame.sort_values("population_share_pct", ascending=False)
    return shares


def shares_heading(unit: str, frame: pd.DataFrame) -> str:
    """The heading of a `population_shares` table, which lists the units with a laureate."""
    return (
        f"### Par {UNITS[unit]} ({(frame['laureates'] > 0).sum()} avec au moins un lauréat connu)"
    )


def shares_caption(con: duckdb.DuckDBPyConnection) -> str:
    return (
        "Sources : palmarès rassemblé par le projet (data/raw/palmares) ; INSEE, "
        f"COG {provenance.cog_vintage(con)} (populations municipales)."
    )
