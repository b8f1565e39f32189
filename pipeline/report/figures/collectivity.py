"""The collectivity page's figure: its level in each edition our data hold."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from pipeline.analysis.collectivity import Card

LEVEL_TICKS = ["mention", "1 @", "2 @", "3 @", "4 @", "5 @"]
UNSTATED_ROW = 5.6  # above 5 @: labelled, level not published
MARGINS = {"left": 0.105, "right": 0.981, "bottom": 0.149, "top": 0.868}


def levels_by_edition(card: Card) -> Figure:
    """A dot per edition held at its published level, a grey square where the level is not
    published, nothing where the edition is not in our data (partial palmarès)."""
    known = card.levels.dropna(subset=["arobases"])
    unstated = card.levels[card.levels["arobases"].isna()]
    figure, axis = plt.subplots(figsize=(8, 2.6))
    axis.plot(
        known["edition"].astype(int),
        known["arobases"].astype(int),
        "o",
        color="#1f3b63",
        markersize=8,
        label="niveau publié",
    )
    axis.plot(
        unstated["edition"].astype(int),
        [UNSTATED_ROW] * len(unstated),
        "s",
        color="#999999",
        markersize=6,
        label="labellisée, niveau non publié",
    )
    axis.set_xlim(card.axis_years[0] - 0.5, card.axis_years[1] + 0.5)
    axis.set_ylim(-0.5, 6)
    axis.set_yticks(range(len(LEVEL_TICKS)), LEVEL_TICKS)
    axis.set_title(
        f"{card.name} : niveaux connus par édition (palmarès partiel)",
        fontsize=10,
        parse_math=False,  # a name is shown as written, "$" included
    )
    axis.grid(axis="x", alpha=0.3)
    axis.legend(fontsize=7, loc="lower left", frameon=False)
    # the margins `tight_layout` finds for this size and these ticks, without its extra draw (a
    # tenth of a second on each of some 1,400 pages); the notebook shows the figure cropped to
    # what it draws (`bbox_inches="tight"`), a longer title included
    figure.subplots_adjust(**MARGINS)
    return figure
