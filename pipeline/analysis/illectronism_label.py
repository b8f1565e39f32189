"""The illectronism page: INSEE rates beside the label, only where rates exist.

There is no commune-level rate, so the label meets illectronism at the levels INSEE models it:
the régions and the EPCI of Hauts-de-France, in the 2019 definition only (figures of other
definitions never share an axis). Each function returns what the page shows: a table with its
caption, or a sentence; None when the warehouse holds no rate there, so the page says so. The
warehouse's codes (indicator, geographic level, population, method) are shown in French
(`french_indicator` ...); the tables written for download keep them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pandas as pd

from pipeline.analysis import illectronism, provenance
from pipeline.formatting import format_fr, format_percent_fr
from pipeline.report import maps

#: The one definition the page puts beside the label (the one of the local modelled rates).
DEFINITION = "2019"
LEVEL_HEADERS = {
    "indicator": "Indicateur",
    "geography_level": "Niveau géographique",
    "year": "Année",
    "definition_version": "Définition",
    "population_scope": "Population",
    "estimation": "Méthode",
    "rows": "Chiffres",
    "codes": "Territoires",
    "joined": "Rattachés au COG",
    "same_territory": "Même périmètre",
    "second_hand": "Lus en copie",
}
#: The warehouse's codes in French, for what the page shows.
INDICATOR_NAMES = {
    "illectronism_rate": "taux d'illectronisme",
    "illectronism_rate_modelled": "taux d'illectronisme modélisé",
}
GEOGRAPHY_LEVEL_NAMES = {
    "country": "France",
    "supranational": "Union européenne",
    "region": "région",
    "region_group": "groupe de régions",
    "departement": "département",
    "arrondissement": "arrondissement",
    "epci": "EPCI",
    "epci_group": "groupe d'EPCI",
    "infra_region": "partie de région",
    "infra_departement": "partie de département",
    "urban_area_type": "type d'aire urbaine",
}
POPULATION_NAMES = {
    "households": "ménages",
    "individuals": "individus",
    "illectronic people": "personnes en illectronisme",
    "internet users": "internautes",
    "employed": "en emploi",
    "not_stated": "non précisée",
}
ESTIMATION_NAMES = {"modelled": "modélisation", "survey": "enquête", "not_stated": "non précisée"}
REGION_HEADERS = {
    "code": "Code",
    "geography_name": "Région",
    "value": "Illectronisme (%)",
    "laureates": "Lauréats connus",
    "population_share_pct": "Population couverte (%)",
}
EPCI_HEADERS = {
    "geography_name": "EPCI (2019)",
    "current_code": "SIREN actuel",
    "value": "Illectronisme (%)",
    "label": "Label",
}
DECIMALS = {"value": 1, "population_share_pct": 1}
CONCERNED = "concerné par le label"


@dataclass
class Rates:
    """One level's rates beside the label: `frame` as exported, `shown` as the page shows it."""

    frame: pd.DataFrame
    headers: dict[str, str]
    caption: str
    year: int
    definition: str

    @property
    def shown(self) -> pd.DataFrame:
        return self.frame[list(self.headers)]


def french_indicator(code: str) -> str:
    """An illectronism indicator in French; one not named in INDICATOR_NAMES by its words."""
    return (
        INDICATOR_NAMES.get(code)
        or "taux d'illectronisme ("
        + " ".join(code.removeprefix("illectronism_rate").split("_")).strip()
        + ")"
    )


def french_level(code: str) -> str:
    return GEOGRAPHY_LEVEL_NAMES.get(code) or code.replace("_", " ")


def french_population(scope: str) -> str:
    """A population scope in French: "15+" → "15 ans ou plus", "16-74" → "16 à 74 ans"."""
    if match := re.fullmatch(r"(\d+)\+(.*)", scope):
        rest = POPULATION_NAMES.get(match[2].strip(), match[2].strip())
        return f"{match[1]} ans ou plus" + (f", {rest}" if rest else "")
    if match := re.fullmatch(r"(\d+)-(\d+)", scope):
        return f"{match[1]} à {match[2]} ans"
    return POPULATION_NAMES.get(scope) or scope.replace("_", " ")


def french_estimation(code: str) -> str:
    return ESTIMATION_NAMES.get(code) or code.replace("_", " ")


#: The columns of `local_levels` that tell its rows apart without the indicator's name.
_LEVEL_KEY = ["geography_level", "year", "definition_version", "population_scope", "estimation"]


def local_levels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The rates held below the national level (`levels_available`) as the page shows them:
    codes in French, years as text. So that the table fits the page, a column that tells no row
    apart (the indicator, when the other columns do; one population for all) is left to the
    caption (`local_levels_caption`)."""
    local = _local_rates(con)
    apart = not local.duplicated(_LEVEL_KEY).any()
    implied = (["indicator"] if apart else []) + (
        ["population_scope"] if local["population_scope"].nunique() == 1 else []
    )
    return local.drop(columns=implied)


def _local_rates(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    available = illectronism.levels_available(con)
    local = available[
        available["indicator"].str.startswith("illectronism_rate")
        & ~available["geography_level"].isin(["country", "supranational"])
    ]
    return local.assign(
        indicator=local["indicator"].map(french_indicator),
        geography_level=local["geography_level"].map(french_level),
        year=local["year"].astype(str),
        population_scope=local["population_scope"].map(french_population),
        estimation=local["estimation"].map(french_estimation),
    )


def local_levels_caption(con: duckdb.DuckDBPyConnection) -> str:
    """What `local_levels` counts, the population when the table has no column for it, and
    the sources."""
    scopes = sorted(set(_local_rates(con)["population_scope"]))
    population = f", population de {scopes[0]}" if len(scopes) == 1 else ""
    return (
        f"Taux d'illectronisme publiés par l'INSEE{population}, par niveau géographique, "
        "année, définition et méthode. Sources : INSEE (data/raw/insee, une source par "
        f"chiffre) ; géographie COG {provenance.cog_vintage(con)}."
    )


def _choice_text(choice: pd.Series) -> str:
    """The indicator, year, definition, population and method of a `best_rate`, in French."""
    return (
        f"{french_indicator(choice['indicator'])}, {int(choice['year'])}, définition "
        f"{DEFINITION} ({french_population(choice['population_scope'])}, "
        f"{french_estimation(choice['estimation'])})"
    )


def _one_per_place(rates: pd.DataFrame, key: str) -> pd.DataFrame:
    """One rate per territory: the whole population (no breakdown), first-hand figures before
    their second-hand copies."""
    return rates[rates["breakdown"] == "none"].sort_values("is_second_hand").drop_duplicates(key)


def region_rates(con: duckdb.DuckDBPyConnection) -> Rates | None:
    """Each région's modelled rate beside its laureates known and the share of its population
    the label covers, over every edition held; highest rate first."""
    choice = illectronism.best_rate(illectronism.levels_available(con), "region", DEFINITION)
    if choice is None:
        return None
    year = int(choice["year"])
    rates = illectronism.figures(
        con,
        choice["indicator"],
        level="region",
        year=year,
        definition=DEFINITION,
        scope=choice["population_scope"],
    )
    held = provenance.editions_held(con)
    label = pd.DataFrame(
        {
            "laureates": maps.level_values(con, "region", held, "laureates"),
            "population_share_pct": maps.level_values(con, "region", held, "population_share"),
        }
    )
    regions = (
        _one_per_place(rates, "current_code")
        .set_index("current_code")[["geography_name", "value", "is_second_hand"]]
        .join(label, how="left")
        .reset_index()
        .rename(columns={"current_code": "code"})
        .sort_values("value", ascending=False)
    )
    caption = (
        f"Illectronisme : INSEE, {_choice_text(choice)}, {len(regions)} régions "
        f"publiées ; {int(regions['is_second_hand'].sum())} chiffres lus dans une copie de "
        f"seconde main. Label : palmarès rassemblé par le projet, {maps.editions_label(held)} "
        f"(partiel). COG {provenance.cog_vintage(con)}."
    )
    return Rates(regions, REGION_HEADERS, caption, year, DEFINITION)


def epci_concerned(con: duckdb.DuckDBPyConnection) -> set[str]:
    """SIREN of the EPCI concerned by the label in our data: labelled, or with a labelled
    member commune."""
    return {
        siren
        for (siren,) in con.execute(
            """
            SELECT code FROM laureates WHERE entity = 'epci'
            UNION
            SELECT m.epci_siren FROM laureates l JOIN epci_member m ON m.commune_code = l.code
            WHERE l.entity = 'commune'
            """
        ).fetchall()
    }


def hdf_epci_rates(con: duckdb.DuckDBPyConnection) -> Rates | None:
    """The modelled rate of each EPCI of Hauts-de-France (2019 perimeters) with today's SIREN
    and whether the label concerns it; an EPCI whose perimeter changed since says so."""
    choice = illectronism.best_rate(illectronism.levels_available(con), "epci", DEFINITION)
    if choice is None:
        return None
    year = int(choice["year"])
    rates = illectronism.figures(
        con, choice["indicator"], level="epci", year=year, definition=DEFINITION
    )
    epci = _one_per_place(rates, "geography_code")
    concerned = epci["current_code"].isin(epci_concerned(con))
    epci["label"] = concerned.map({True: CONCERNED, False: "non (dans nos données)"})
    epci.loc[~epci["same_territory"].fillna(False).astype(bool), "label"] += (
        " (périmètre modifié depuis)"
    )
    caption = (
        f"INSEE Analyses Hauts-de-France n° 118, {_choice_text(choice)} ; label : "
        f"palmarès rassemblé par le projet (partiel) ; COG {provenance.cog_vintage(con)}."
    )
    shown = epci.sort_values("value", ascending=False)[list(EPCI_HEADERS)]
    return Rates(shown, EPCI_HEADERS, caption, year, DEFINITION)


def median_sentence(epci: pd.DataFrame) -> str:
    """Median rate of the EPCI concerned by the label and of the others (`hdf_epci_rates`), in
    French numbers; a group without EPCI has no median (a dash)."""
    groups = epci.groupby(epci["label"].str.startswith(CONCERNED))["value"]
    medians, sizes = groups.median(), groups.size()
    return (
        f"Taux médian : **{format_percent_fr(medians.get(True))}** pour les EPCI concernés par "
        f"le label ({format_fr(sizes.get(True, 0))}), **{format_percent_fr(medians.get(False))}**"
        f" pour les autres ({format_fr(sizes.get(False, 0))}). Avec un palmarès partiel et des "
        "chiffres modélisés, c'est une description, pas une mesure d'effet."
    )
