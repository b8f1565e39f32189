"""Counts over the reference geography (COG), for the overview report and later breakdowns."""

from __future__ import annotations

import duckdb
import pandas as pd

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
