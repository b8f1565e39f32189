"""The illectronism page's figure: each région's label coverage beside its illectronism rate."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from pipeline import io
from pipeline.analysis.illectronism_label import Rates
from pipeline.formatting import format_fr

COLOUR = "#1f3b63"
DPI = 150
TITLE = "Régions : illectronisme et label"


def _french_tick(value: float, _position) -> str:
    return format_fr(value, 0 if float(value).is_integer() else 1)


def regions_scatter(regions: Rates, out: Path | str | None = None) -> Figure:
    """A point per région: modelled illectronism across, share of the population covered by a
    label known up; the caption (`regions.caption`) gives the definition, population and
    sources. Saved to `out` (PNG) when given, titled for the site's list of maps; the caller
    closes it (`notebook.show`)."""
    frame = regions.frame
    figure, axis = plt.subplots(figsize=(7.5, 5))
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
    axis.set_title(f"{TITLE} (palmarès partiel)")
    axis.xaxis.set_major_formatter(_french_tick)
    axis.yaxis.set_major_formatter(_french_tick)
    figure.text(0.01, 0.01, regions.caption, fontsize=6.5, wrap=True, parse_math=False)
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    if out is not None:
        with io.atomic_path(Path(out)) as tmp:
            figure.savefig(tmp, dpi=DPI, metadata={"Title": TITLE})
    return figure
