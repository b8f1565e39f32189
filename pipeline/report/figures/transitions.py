"""Transitions between consecutive editions as stacked bars: who stays, comes, returns, moves
up or down (above zero: labelled in the later edition), who leaves (below zero), and what the
coverage cannot decide (hatched grey, on top)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.analysis import continuity
from pipeline.analysis.continuity.basis import coverage_of
from pipeline.formatting import format_fr
from pipeline.report.figures import style

TITLE = "Transitions entre éditions consécutives"
STEM = "continuite_transitions"
#: Stacked from zero upwards, then exits downwards; colour and French word of each.
KINDS = {
    "renewal": ("Renouvellements", style.SKY),
    "upgrade": ("Progressions", style.GREEN),
    "downgrade": ("Reculs", style.ORANGE),
    "entry": ("Entrées", style.BLUE),
    "return": ("Retours", style.PURPLE),
    "unknown": ("Non déterminables", style.UNKNOWN_LEVEL_STYLE["facecolor"]),
}
EXIT = ("Sorties", style.VERMILION)


def continuity_transitions(
    basis: continuity.Basis, source: str, figures_dir: Path | str | None = None
) -> Figure:
    """`transitions_figure` of the basis's transition counts, exported under `figures_dir`."""
    counts = continuity.transition_counts(basis)
    figure = transitions_figure(
        counts, style.coverage_caption(source, coverage_of(counts), basis.synthetic)
    )
    style.export(figure, figures_dir, STEM, TITLE)
    return figure


def transitions_figure(counts: pd.DataFrame, caption: str) -> Figure:
    """A bar per pair of consecutive editions with a transition (`transition_counts`): each
    kind stacked in its colour, exits below zero, the undetermined hatched on top."""
    counts = counts[counts.drop(columns=["from_edition", "to_edition"]).sum(axis=1) > 0]
    pairs = [f"{a}→{b}" for a, b in zip(counts["from_edition"], counts["to_edition"], strict=True)]
    figure, axis = plt.subplots(figsize=(style.WIDTH_IN, 5.6))
    x = np.arange(len(pairs))
    base = np.zeros(len(pairs))
    for kind, (label, colour) in KINDS.items():
        values = counts[kind].to_numpy(float)
        unknown = kind == "unknown"
        axis.bar(
            x,
            values,
            0.7,
            bottom=base,
            color=colour,
            label=label,
            hatch=style.UNKNOWN_LEVEL_STYLE["hatch"] if unknown else None,
            edgecolor=style.PUBLISHED_EDGE if unknown else "white",
            linewidth=0.3,
        )
        base += values
    axis.bar(
        x,
        -counts["exit"].to_numpy(float),
        0.7,
        color=EXIT[1],
        label=EXIT[0],
        edgecolor="white",
        linewidth=0.3,
    )
    axis.axhline(0, color=style.PUBLISHED_EDGE, linewidth=0.8)
    axis.set_xticks(x, pairs, rotation=90 if len(pairs) > 10 else 0, fontsize=8)
    axis.set_xlim(-0.6, max(len(pairs), 1) - 0.4)
    axis.set_ylabel("Collectivités (sorties sous zéro)")
    axis.yaxis.set_major_formatter(lambda value, _: format_fr(abs(value)))
    axis.grid(axis="y", alpha=0.3)
    axis.set_axisbelow(True)
    axis.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    style.finish(
        figure,
        TITLE,
        caption,
        subtitle="Au-dessus de zéro : labellisées à l'édition suivante ; en dessous : sorties. "
        "Non déterminable : la couverture ne permet pas de trancher.",
    )
    return figure
