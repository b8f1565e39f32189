"""The illectronism page's figure: each région's label coverage beside its illectronism rate."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from pipeline.analysis.illectronism_label import Rates
from pipeline.formatting import format_fr
from pipeline.report.figures import style
from pipeline.report.maps import layout

COLOUR = "#1f3b63"
DPI = 150
TITLE = "Régions : illectronisme et label"
STEM = "illectronisme_regions"
#: What each INSEE definition counts, in the words of the illectronism page.
DEFINITIONS = {
    "2019": "pas d'usage d'Internet depuis un an, ou absence de compétences numériques de base "
    "(quatre domaines)",
    "2021": "pas d'usage d'Internet depuis trois mois, ou absence de compétences numériques de "
    "base (cinq domaines)",
}
SCOPE = (
    "Taux modélisés par région ; label : lauréats connus de toutes les éditions de nos "
    "données (palmarès partiel)."
)


def _french_tick(value: float, _position) -> str:
    return format_fr(value, 0 if float(value).is_integer() else 1)


def definition_line(regions: Rates) -> str:
    """What the indicator counts and on what scope, under the title."""
    counts = DEFINITIONS.get(regions.definition)
    words = f" : {counts}" if counts else ""
    return f"Illectronisme, définition INSEE {regions.definition}{words}.\n{SCOPE}"


def regions_scatter(
    regions: Rates, out: Path | str | None = None, figures_dir: Path | str | None = None
) -> Figure:
    """A point per région: modelled illectronism across, share of the population covered by a
    label known up; the caption (`regions.caption`) gives the definition, population and
    sources; under the title, what the indicator counts and its scope. Saved to `out` (PNG)
    when given, titled for the site's list of maps, and exported for print under
    `figures_dir`; the caller closes it (`notebook.show`)."""
    frame = regions.frame
    figure, axis = plt.subplots(figsize=(7.5, 5.6))
    axis.scatter(frame["value"], frame["population_share_pct"], color=COLOUR)
    for row in frame.itertuples():
        axis.annotate(
            row.geography_name,
            (row.value, row.population_share_pct),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
            parse_math=False,  # a name is shown as written, "$" included
        )
    axis.set_xlabel(f"Illectronisme {regions.year}, définition {regions.definition} (%)")
    axis.set_ylabel("Population couverte par un label connu (%)")
    axis.set_title(f"{TITLE} (palmarès partiel)", fontsize=13, fontweight="bold", pad=50)
    axis.text(
        0.5,
        1.02,
        definition_line(regions),
        transform=axis.transAxes,
        ha="center",
        va="bottom",
        fontsize=8,
        color=style.TEXT_GREY,
        wrap=True,  # within the figure's width
    )
    axis.xaxis.set_major_formatter(_french_tick)
    axis.yaxis.set_major_formatter(_french_tick)
    figure.text(0.01, 0.01, regions.caption, fontsize=6.5, wrap=True, parse_math=False)
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    layout.save(figure, out, TITLE, DPI)
    style.export(figure, figures_dir, STEM, TITLE)
    return figure
