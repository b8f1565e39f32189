"""Maps of France for the reports: metropolitan France in Lambert-93, the five DROM as insets.

Every map carries a title, a French legend (1 234 ; 12,5), a "Données non disponibles" class
drawn hatched light grey, and a caption naming the sources and their vintage.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from pipeline.formatting import format_fr

METRO_CRS = "EPSG:2154"  # RGF93 / Lambert-93

#: Overseas départements drawn as insets: code → (label, local projected CRS), top to bottom.
DROM_INSETS = {
    "971": ("Guadeloupe", "EPSG:5490"),  # RGAF09 / UTM 20N
    "972": ("Martinique", "EPSG:5490"),
    "973": ("Guyane", "EPSG:2972"),  # RGFG95 / UTM 22N
    "974": ("La Réunion", "EPSG:2975"),  # RGR92 / UTM 40S
    "976": ("Mayotte", "EPSG:4471"),  # RGM04 / UTM 38S
}

MISSING_LABEL = "Données non disponibles"
MISSING_STYLE = {"facecolor": "#e3e3e3", "edgecolor": "#8a8a8a", "hatch": "/////"}
NO_VALUES_COLOUR = "#c9d9e8"  # background map, when no values are given
BORDER = {"edgecolor": "white", "linewidth": 0.3}
#: ColorBrewer YlGnBu, sequential and colour-blind safe; the near-white end is skipped so the
#: lowest class stays distinct from the grey "no data" class.
PALETTE = "YlGnBu"
MAX_CLASSES = 5

# Figure layout, in figure fractions: insets in a column on the left, legend on the right.
FIGSIZE = (11, 8.4)
MAIN_BOX = (0.165, 0.06, 0.6, 0.86)
INSET_LEFT, INSET_WIDTH, INSET_HEIGHT, INSET_TOP, INSET_STEP = 0.015, 0.135, 0.13, 0.76, 0.165
DPI = 300


def plot_departements(
    departements: gpd.GeoDataFrame,
    values: pd.Series | None,
    *,
    title: str,
    legend_title: str,
    caption: str,
    out: Path | None,
) -> Figure:
    """Draw a choropleth of `values` (numbers indexed by département code) by département.

    `departements` is the cached département layer (any CRS, indexed by code). Values are put
    in up to five quantile classes of the départements drawn; a département without a value is
    hatched grey. With `values=None` the map is a plain background. When `out` is given the
    figure is saved there, in the format of its extension (PNG at 300 dpi, SVG or PDF).
    """
    shapes = departements.to_crs("EPSG:4326")
    colours, legend = _classify(shapes.index, values)

    fig = plt.figure(figsize=FIGSIZE)
    fig.suptitle(title, fontsize=15, fontweight="bold", y=0.975)
    metro = ~shapes.index.str.startswith("97")
    main = fig.add_axes(MAIN_BOX)
    main.set_label("metro")
    _draw(main, shapes[metro].to_crs(METRO_CRS), colours)
    for position, (code, (label, crs)) in enumerate(DROM_INSETS.items()):
        bottom = INSET_TOP - position * INSET_STEP
        inset = fig.add_axes((INSET_LEFT, bottom, INSET_WIDTH, INSET_HEIGHT))
        inset.set_label(f"inset-{code}")
        _draw(inset, shapes.loc[[code]].to_crs(crs), colours)
        inset.set_title(label, fontsize=9, pad=3)
        inset.axis("on")  # a thin frame, without ticks or labels, sets each inset apart
        inset.set(xticks=[], yticks=[], xlabel="", ylabel="")
        for spine in inset.spines.values():
            spine.set_edgecolor("#9a9a9a")
            spine.set_linewidth(0.6)
    fig.text(INSET_LEFT, INSET_TOP - 4 * INSET_STEP - 0.035,
             "Encarts à des échelles différentes", fontsize=7, color="#555555")
    if legend:
        fig.legend(handles=legend, title=legend_title, loc="center left",
                   bbox_to_anchor=(MAIN_BOX[0] + MAIN_BOX[2] + 0.01, 0.5), frameon=False,
                   fontsize=9, title_fontsize=10, alignment="left")
    fig.text(0.02, 0.015, caption, fontsize=7.5, color="#333333", ha="left", va="bottom")
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=DPI, facecolor="white", metadata={"Title": title})
    return fig


def _classify(codes: pd.Index, values: pd.Series | None) -> tuple[pd.Series, list[Patch]]:
    """Colour per département code (None = no data) and the legend handles, lowest class first.

    Classes are quantiles of the départements drawn, so the legend matches what is shown.
    """
    if values is None:
        return pd.Series(NO_VALUES_COLOUR, index=codes, dtype=object), []
    shown = pd.to_numeric(values, errors="raise").reindex(codes).astype(float)
    present = shown.dropna()
    legend: list[Patch] = []
    colours = pd.Series(None, index=codes, dtype=object)
    if not present.empty:
        decimals = 0 if np.allclose(present, present.round()) else 1
        edges = np.unique(np.quantile(present, np.linspace(0, 1, MAX_CLASSES + 1)))
        if len(edges) == 1:
            edges = np.repeat(edges, 2)
        classes = np.clip(np.searchsorted(edges, present, side="right") - 1, 0, len(edges) - 2)
        cmap = plt.get_cmap(PALETTE)
        palette = [cmap(x) for x in np.linspace(0.2, 0.95, len(edges) - 1)]
        colours[present.index] = [palette[c] for c in classes]
        for c, colour in enumerate(palette):
            low, high = format_fr(edges[c], decimals), format_fr(edges[c + 1], decimals)
            label = low if low == high else f"{low} – {high}"
            legend.append(Patch(facecolor=colour, edgecolor="#666666", linewidth=0.4, label=label))
    if colours.isna().any():
        legend.append(Patch(label=MISSING_LABEL, linewidth=0.4, **MISSING_STYLE))
    return colours, legend


def _draw(ax, shapes: gpd.GeoDataFrame, colours: pd.Series) -> None:
    """Fill each shape with its colour, missing ones hatched, then fit the axes to the shapes."""
    filled = colours.reindex(shapes.index)
    has_colour = filled.notna()
    if has_colour.any():
        shapes[has_colour].plot(ax=ax, color=list(filled[has_colour]), **BORDER)
    if (~has_colour).any():
        shapes[~has_colour].plot(ax=ax, linewidth=0.3, **MISSING_STYLE)
    _fit(ax, shapes.total_bounds)
    ax.set_axis_off()


def _fit(ax, bounds, margin: float = 0.03) -> None:
    """Show `bounds` at equal scale, widened to the axes' own proportions so frames line up."""
    xmin, ymin, xmax, ymax = bounds
    box = ax.get_position(original=True)
    width_in, height_in = ax.figure.get_size_inches()
    ratio = (box.width * width_in) / (box.height * height_in)
    half_width = max(xmax - xmin, ratio * (ymax - ymin)) * (0.5 + margin)
    half_height = half_width / ratio
    x, y = (xmin + xmax) / 2, (ymin + ymax) / 2
    ax.set_xlim(x - half_width, x + half_width)
    ax.set_ylim(y - half_height, y + half_height)
    ax.set_aspect("equal")
