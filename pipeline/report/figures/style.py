"""What the study figures share with the maps: colours, typography (bold title, grey subtitle
and caption), a source-and-coverage caption on every figure, and the export for print.

The colours of the @ levels and of the unknown are the maps' (`pipeline.report.maps.style`),
so a level reads the same on a map and on a chart; the other colours are Okabe-Ito's
colour-blind-safe set.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from matplotlib.axis import Axis
from matplotlib.figure import Figure

from pipeline.analysis import coverage
from pipeline.formatting import format_fr, format_percent_fr
from pipeline.report.maps import layout
from pipeline.report.maps.style import (
    DPI,
    LEVEL_COLOURS,
    LEVEL_LABELS,
    MISSING_STYLE,
    NOTE_GREY,
    TEXT_GREY,
    UNKNOWN_LEVEL_LABEL,
    UNKNOWN_LEVEL_STYLE,
)

__all__ = [
    "DPI",
    "LEVEL_COLOURS",
    "LEVEL_LABELS",
    "MISSING_STYLE",
    "NOTE_GREY",
    "TEXT_GREY",
    "UNKNOWN_LEVEL_LABEL",
    "UNKNOWN_LEVEL_STYLE",
]

#: The levels from the top down, as legends and stacks list them.
LEVELS_DOWN = (5, 4, 3, 2, 1, 0)
#: Okabe-Ito (colour-blind safe): what a figure shows that is not an @ level.
BLUE, ORANGE, SKY, GREEN, VERMILION, PURPLE = (
    "#0072b2",
    "#e69f00",
    "#56b4e9",
    "#009e73",
    "#d55e00",
    "#cc79a7",
)
PUBLISHED_EDGE = "#262626"
EXPORTS = (".png", ".svg", ".pdf")
WIDTH_IN = 10.0
CAPTION_SIZE = 7.5
SOURCE_PALMARES = (
    "Sources : palmarès rassemblé par le projet (data/raw/palmares) ; totaux publiés par "
    "Villes Internet et la presse (data/raw/palmares/editions.csv)."
)


def coverage_caption(source: str, cov: pd.DataFrame, synthetic: bool = False) -> str:
    """The caption of a figure drawn from the palmarès: `source`, then the coverage it rests
    on: the complete editions and the share held of each published total, as
    `coverage.coverage_model` decides them (nothing recomputed)."""
    warning = coverage.SYNTHETIC_WARNING if synthetic else ""
    whole = cov[cov["scope"] == "all"].sort_values("edition")
    complete = ", ".join(str(e) for e in coverage.complete_editions(cov)) or "aucune"
    shares = ", ".join(
        f"{int(row.edition)} : {format_percent_fr(row.share_pct)}"
        for row in whole.itertuples()
        if pd.notna(row.share_pct)
    )
    return (
        f"{warning}{source} Couverture : éditions complètes : {complete} ; part détenue de "
        f"chaque total publié : {shares or 'aucun total publié'}."
    )


def finish(figure: Figure, title: str, caption: str, subtitle: str | None = None) -> None:
    """The maps' typography: a bold title (wrapped as the maps wrap theirs), a grey subtitle
    under it, the caption at the bottom left wrapped to the figure's width; the axes are laid
    out in the space left between them."""
    width_in, height_in = figure.get_size_inches()
    lines = layout.title_lines(title, int(width_in * 8))
    size = 15 if len(lines) == 1 else 13.5
    top_in = 0.12 + len(lines) * size * 1.25 / 72
    figure.suptitle("\n".join(lines), fontsize=size, fontweight="bold", y=1 - 0.12 / height_in)
    if subtitle:
        figure.text(
            0.5,
            1 - (top_in + 0.05) / height_in,
            subtitle,
            fontsize=9.5,
            color=TEXT_GREY,
            ha="center",
            va="top",
            parse_math=False,
        )
        top_in += 0.28
    wrapped = textwrap.fill(caption, int(width_in * 16.5))
    figure.text(
        0.012,
        0.1 / height_in,
        wrapped,
        fontsize=CAPTION_SIZE,
        color=TEXT_GREY,
        ha="left",
        va="bottom",
        parse_math=False,  # sources are shown as written
    )
    bottom_in = 0.2 + (wrapped.count("\n") + 1) * CAPTION_SIZE * 1.35 / 72
    figure.tight_layout(pad=0.6, rect=(0, bottom_in / height_in, 1, 1 - top_in / height_in))


def french_ticks(axis: Axis, percent: bool = False) -> None:
    """Tick labels in French (1 234 ; 80 % for a share between 0 and 1)."""
    if percent:
        axis.set_major_formatter(lambda value, _: f"{format_fr(value * 100)}\u00a0%")
    else:
        axis.set_major_formatter(
            lambda value, _: format_fr(value, 0 if float(value).is_integer() else 1)
        )


def export(figure: Figure, figures_dir: Path | str | None, stem: str, title: str) -> list[Path]:
    """The figure for print under `figures_dir`: PNG at 300 dpi, SVG and PDF, each written
    whole or not at all with its title in the file's metadata (the site lists them by it)."""
    if figures_dir is None:
        return []
    paths = [Path(figures_dir) / f"{stem}{suffix}" for suffix in EXPORTS]
    for path in paths:
        layout.save(figure, path, title, DPI)
    return paths
