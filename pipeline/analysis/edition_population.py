"""An edition's tables by population: laureates per size class, and the population covered."""

from __future__ import annotations

import pandas as pd

from pipeline.analysis.edition_context import ZONE_NAMES, EditionContext, change

POPULATION_CLASSES = (  # as the association publishes them, in inhabitants
    (0, 3_000, "moins de 3 000 hab."),
    (3_000, 20_000, "3 000 à 20 000 hab."),
    (20_000, 100_000, "20 000 à 100 000 hab."),
    (100_000, None, "plus de 100 000 hab."),
)
UNKNOWN_CLASS = "population inconnue"


def population_class(population) -> str:
    """The class of a commune's population; `UNKNOWN_CLASS` when the reference has none."""
    if pd.isna(population):
        return UNKNOWN_CLASS
    for low, high, name in POPULATION_CLASSES:
        if population >= low and (high is None or population < high):
            return name
    return UNKNOWN_CLASS


def population_classes_table(
    ctx: EditionContext, now: pd.DataFrame, before: pd.DataFrame
) -> pd.DataFrame:
    """Labelled communes by population class, metropolitan France and DROM apart; EPCI apart."""

    def counts(frame: pd.DataFrame) -> pd.Series:
        communes = frame[frame["entity"] == "commune"]
        # as objects: mapped in place, a nullable integer column would refuse the class names
        classes = communes["commune_population"].astype(object).map(population_class)
        zone = communes["zone"].map(ZONE_NAMES)
        result = pd.concat(
            [zone.rename("zone"), classes.rename("population_class")], axis=1
        ).value_counts()
        epci = frame[frame["entity"] == "epci"]
        result.loc[("toutes zones", "intercommunalités")] = len(epci)
        return result

    order = [name for _, _, name in POPULATION_CLASSES] + [UNKNOWN_CLASS]
    rows = [(zone, name) for zone in ZONE_NAMES.values() for name in order]
    rows.append(("toutes zones", "intercommunalités"))
    now_counts, before_counts = counts(now), counts(before)
    comparable = ctx.comparable("population_class")
    frame = pd.DataFrame(rows, columns=["zone", "population_class"])
    frame["count"] = [int(now_counts.get(r, 0)) for r in rows]
    frame["previous_count"] = [int(before_counts.get(r, 0)) for r in rows]
    frame["change"] = [
        change(a, b, comparable)
        for a, b in zip(frame["count"], frame["previous_count"], strict=True)
    ]
    frame["change"] = frame["change"].astype("Int64")
    shown = (
        (frame["count"] > 0)
        | (frame["previous_count"] > 0)
        | ((frame["zone"] != ZONE_NAMES["com"]) & (frame["population_class"] != UNKNOWN_CLASS))
    )
    frame = frame[shown]
    note = (
        f"Population municipale du référentiel (COG {ctx.cog}), pas celle de l'année de "
        "l'édition. " + ctx.coverage_note()
    )
    return ctx.finish(
        frame,
        f"Communes labellisées par taille, édition {ctx.edition}",
        {
            "zone": "Zone",
            "population_class": "Taille",
            "count": "Collectivités",
            "previous_count": f"Collectivités {ctx.previous}",
            "change": "Évolution",
        },
        note,
    )


def population_table(
    con, ctx: EditionContext, now: pd.DataFrame, before: pd.DataFrame
) -> pd.DataFrame:
    """Population of labelled communes; communes and population covered by labelled EPCI."""

    def measures(frame: pd.DataFrame, edition: int | None) -> dict:
        communes = frame[frame["entity"] == "commune"]
        epci_codes = list(frame.loc[frame["entity"] == "epci", "code"])
        covered = con.execute(
            """SELECT count(DISTINCT m.commune_code), coalesce(sum(c.population), 0)
               FROM epci_member m JOIN commune c USING (commune_code)
               WHERE m.epci_siren IN (SELECT unnest(?::VARCHAR[]))
                     AND c.commune_kind = 'commune'""",
            [epci_codes],
        ).fetchone()
        either = con.execute(
            """SELECT coalesce(sum(population), 0) FROM commune WHERE commune_kind = 'commune' AND (
                   commune_code IN (SELECT unnest(?::VARCHAR[]))
                   OR commune_code IN (SELECT commune_code FROM epci_member
                                       WHERE epci_siren IN (SELECT unnest(?::VARCHAR[]))))""",
            [list(communes["code"]), epci_codes],
        ).fetchone()[0]
        return {
            "labelled_communes": len(communes),
            "labelled_communes_population": int(communes["commune_population"].fillna(0).sum()),
            "labelled_epci": len(epci_codes),
            "epci_member_communes": covered[0],
            "epci_member_population": int(covered[1]),
            "population_covered": int(either),
        }

    names = {
        "labelled_communes": "Communes labellisées",
        "labelled_communes_population": "Habitants des communes labellisées",
        "labelled_epci": "Intercommunalités labellisées",
        "epci_member_communes": "Communes membres d'une intercommunalité labellisée",
        "epci_member_population": "Habitants de ces communes",
        "population_covered": "Habitants couverts par un label (commune ou intercommunalité)",
    }
    now_m, before_m = measures(now, ctx.edition), measures(before, ctx.previous)
    comparable = ctx.comparable("place")
    frame = pd.DataFrame(
        {
            "measure": list(names),
            "measure_name": list(names.values()),
            "value": [now_m[m] for m in names],
            "previous_value": [before_m[m] for m in names],
        }
    )
    frame["change"] = [
        change(a, b, comparable)
        for a, b in zip(frame["value"], frame["previous_value"], strict=True)
    ]
    frame["change"] = frame["change"].astype("Int64")
    note = (
        f"Populations municipales et intercommunalités du référentiel (COG {ctx.cog}) : les "
        "périmètres d'aujourd'hui, pas ceux de l'année de l'édition. " + ctx.coverage_note()
    )
    return ctx.finish(
        frame,
        f"Population couverte par le label, édition {ctx.edition}",
        {
            "measure": "Code",
            "measure_name": "Mesure",
            "value": f"{ctx.edition}",
            "previous_value": f"{ctx.previous}",
            "change": "Évolution",
        },
        note,
        hidden=("measure",),
    )
