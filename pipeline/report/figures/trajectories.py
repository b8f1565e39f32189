"""Trajectories: each collectivity's state in each edition, the most continuous first, and
every collectivity counted per edition and state below (at full size, some 1,400 rows would be
an unreadable wall: the grid shows the TOP most continuous, the bars all of them).

A cell is one of: a stated @ level (the maps' colours), labelled at a level the data leave
open, known not labelled (white), or unknown (hatched grey: the edition is held only in part).
The knowledge grid (`continuity.knowledge_grid`) decides which: nothing is guessed here.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as Shape

from pipeline.analysis import continuity
from pipeline.analysis.continuity.basis import coverage_of
from pipeline.build.claim_semantics import ABSENT, LEVELS, level_bit
from pipeline.formatting import format_fr
from pipeline.report.figures import style

TITLE = "Trajectoires des collectivités, édition par édition"
STEM = "continuite_trajectoires"
TOP = 50
#: The maps draw a mention white, where white is nothing; here white is "not labelled", so a
#: mention takes a light blue of its own.
MENTION = "#9ecae1"
#: Cell states: index in the image → (legend words, colour); levels are 3 + level.
ABSENT_STATE, UNKNOWN_STATE, UNSTATED_STATE = 0, 1, 2
STATES = {
    ABSENT_STATE: ("Non labellisée", "#ffffff"),
    UNKNOWN_STATE: ("Inconnu (édition détenue en partie)", style.MISSING_STYLE["facecolor"]),
    UNSTATED_STATE: ("Labellisée, niveau non précisé", "#8c8c8c"),
} | {
    3 + level: (style.LEVEL_LABELS[level], style.LEVEL_COLOURS[level] if level else MENTION)
    for level in LEVELS
}
#: Stacked in the counts panel, bottom up (the known not labelled are not counted).
STACKED = [3 + level for level in (5, 4, 3, 2, 1, 0)] + [UNSTATED_STATE, UNKNOWN_STATE]


def cell_state(mask: int) -> int:
    """The state a cell is drawn in, from the states still possible (`mask`)."""
    if mask == ABSENT:
        return ABSENT_STATE
    if mask & ABSENT:
        return UNKNOWN_STATE
    levels = [lv for lv in LEVELS if mask & level_bit(lv)]
    return 3 + levels[0] if len(levels) == 1 else UNSTATED_STATE


def continuity_trajectories(
    basis: continuity.Basis, source: str, figures_dir: Path | str | None = None
) -> Figure:
    """`trajectories_figure` of the basis, exported under `figures_dir`."""
    grid = continuity.knowledge_grid(basis)
    caption = style.coverage_caption(source, coverage_of(grid), basis.synthetic)
    figure = trajectories_figure(grid, continuity.continuity_table(basis), caption)
    style.export(figure, figures_dir, STEM, TITLE)
    return figure


def trajectories_figure(
    grid: pd.DataFrame, table: pd.DataFrame, caption: str, top: int = TOP
) -> Figure:
    """Above, a row per collectivity (the `top` most continuous of `table`: editions labelled,
    then longest streak, then 5 @ labels, at least), a column per edition, each cell in its
    state; below, per edition, every collectivity of the grid counted by state."""
    editions = sorted(int(e) for e in grid["edition"].unique())
    states = grid.assign(state=grid["mask"].map(cell_state))
    wide = states.pivot(index="code", columns="edition", values="state").reindex(columns=editions)
    ranked = table.sort_values(
        ["editions_labelled_min", "longest_streak_min", "labels_5_min", "name"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    shown = ranked.head(top)
    cells = wide.reindex(shown["code"]).fillna(ABSENT_STATE).to_numpy(int)
    rows = len(shown)
    figure, (cells_axis, counts) = plt.subplots(
        2,
        1,
        figsize=(style.WIDTH_IN, 3.6 + 0.16 * rows + 3.0),
        height_ratios=(0.4 + 0.16 * rows, 3.0),
    )
    colours = ListedColormap([STATES[s][1] for s in sorted(STATES)])
    cells_axis.imshow(
        cells,
        cmap=colours,
        norm=BoundaryNorm(np.arange(len(STATES) + 1) - 0.5, len(STATES)),
        aspect="auto",
        interpolation="nearest",
    )
    cells_axis.add_patch(
        PathPatch(
            _squares(*np.nonzero(cells == UNKNOWN_STATE)),
            facecolor="none",
            edgecolor=style.MISSING_STYLE["edgecolor"],
            hatch=style.MISSING_STYLE["hatch"],
            linewidth=0,
        )
    )
    cells_axis.set_xticks(range(len(editions)), [str(e) for e in editions], fontsize=7, rotation=90)
    cells_axis.xaxis.tick_top()
    cells_axis.set_yticks(range(rows), list(shown["name"].fillna(shown["code"])), fontsize=6.5)
    for label in cells_axis.get_yticklabels():
        label.set_parse_math(False)  # a name is shown as written, "$" included
    cells_axis.set_xticks(np.arange(len(editions) + 1) - 0.5, minor=True)
    cells_axis.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    cells_axis.grid(which="minor", color="#bdbdbd", linewidth=0.3)
    cells_axis.tick_params(which="minor", length=0)
    total = len(table)
    cells_axis.set_title(
        f"Les {format_fr(rows)} plus continues sur {format_fr(total)} collectivités"
        if rows < total
        else f"Les {format_fr(total)} collectivités, des plus continues aux moins continues",
        fontsize=10,
        loc="left",
        pad=28,
    )
    _counts(counts, states, editions)
    cells_axis.legend(
        handles=[_handle(s) for s in [*STACKED[:6], UNSTATED_STATE, UNKNOWN_STATE, ABSENT_STATE]],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=7.5,
        title="État",
        title_fontsize=8,
    )
    style.finish(
        figure,
        TITLE,
        caption,
        subtitle="Triées par nombre d'éditions labellisées, puis plus longue série (au moins).",
    )
    return figure


def _squares(rows: np.ndarray, columns: np.ndarray) -> Shape:
    """The cells at (row, column) as one path of unit squares: hatched in one pass, where a
    patch per cell took seconds at full size (most cells are unknown in a partial palmarès)."""
    corners = np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5)])
    vertices = (np.column_stack([columns, rows])[:, None, :] + corners).reshape(-1, 2)
    square = [Shape.MOVETO, Shape.LINETO, Shape.LINETO, Shape.LINETO, Shape.CLOSEPOLY]
    return Shape(vertices, np.tile(square, len(rows)))


def _handle(state: int) -> Patch:
    words, colour = STATES[state]
    hatch = style.MISSING_STYLE["hatch"] if state == UNKNOWN_STATE else None
    return Patch(facecolor=colour, edgecolor="#8a8a8a", linewidth=0.5, hatch=hatch, label=words)


def _counts(axis, states: pd.DataFrame, editions: list[int]) -> None:
    """Per edition, every collectivity of the grid by state, stacked (levels, then the level
    not stated, then the unknown, hatched); the known not labelled are left out."""
    per = states.groupby(["edition", "state"]).size().unstack(fill_value=0)
    per = per.reindex(index=editions, columns=list(STATES), fill_value=0)
    x = np.arange(len(editions))
    base = np.zeros(len(editions))
    for state in STACKED:
        values = per[state].to_numpy(float)
        axis.bar(
            x,
            values,
            0.75,
            bottom=base,
            color=STATES[state][1],
            label=STATES[state][0],
            edgecolor="#8a8a8a",
            linewidth=0.3,
            hatch=style.MISSING_STYLE["hatch"] if state == UNKNOWN_STATE else None,
        )
        base += values
    axis.set_xticks(x, [str(e) for e in editions], fontsize=7, rotation=90)
    axis.set_xlim(-0.5, len(editions) - 0.5)
    axis.set_ylabel("Collectivités")
    style.french_ticks(axis.yaxis)
    axis.grid(axis="y", alpha=0.3)
    axis.set_axisbelow(True)
    axis.set_title(
        f"Toutes les collectivités ({format_fr(states['code'].nunique())}) : état par édition",
        fontsize=10,
        loc="left",
    )
