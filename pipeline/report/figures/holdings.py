"""What we hold of the palmarès, against what was published: every edition at a glance (the
index and the overview), and one edition's levels (its page and PDF).

Every number comes from `coverage.coverage_model` (published counts, rows held, share held):
nothing is recomputed here.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from pipeline.analysis import coverage
from pipeline.formatting import format_fr, format_percent_fr
from pipeline.report.figures import style

TITLE = "Ce que nous détenons de chaque édition du palmarès"
STEM = "palmares_couverture"
#: Level scopes from the top down, with their words on the figures.
LEVEL_ROWS = {"5@": "5\u00a0@", "4@": "4\u00a0@", "3@": "3\u00a0@", "2@": "2\u00a0@"} | {
    "1@": "1\u00a0@",
    "mention": "Mention",
}
SHARE_MAP = "YlGnBu"  # the maps' sequential palette
HELD_LABEL = "Lignes détenues"
PUBLISHED_LABEL = "Total publié"
NOT_PUBLISHED = "total non publié"


def palmares_coverage(con: duckdb.DuckDBPyConnection, figures_dir: Path | str | None = None):
    """`coverage_figure` of the warehouse's coverage, exported under `figures_dir`."""
    figure = coverage_figure(coverage.coverage_model(con), coverage.synthetic_flag(con))
    style.export(figure, figures_dir, STEM, TITLE)
    return figure


def coverage_figure(cov: pd.DataFrame, synthetic: bool = False) -> Figure:
    """Above, per edition: the published total (outlined) and the rows we hold (filled, with
    the share held); below, per edition and level where a count is published, the share of it
    we hold (the maps' palette, "held/published" written in the cell; hatched grey where no
    count is published: only the rows held are written)."""
    whole = cov[cov["scope"] == "all"].sort_values("edition")
    editions = [int(e) for e in whole["edition"]]
    figure, (totals, levels) = plt.subplots(
        2,
        1,
        figsize=(style.WIDTH_IN, 8.2),
        height_ratios=(1.15, 1),
        sharex=True,
    )
    x = np.arange(len(editions))
    published = whole["published"].astype("Float64").fillna(0).to_numpy(float)
    held = whole["held"].astype("Float64").to_numpy(float)
    totals.bar(
        x,
        published,
        0.8,
        facecolor="white",
        edgecolor=style.PUBLISHED_EDGE,
        linewidth=0.8,
        label=PUBLISHED_LABEL,
    )
    totals.bar(x, held, 0.5, color=style.BLUE, label=HELD_LABEL)
    top = max(published.max(initial=0), held.max(initial=0), 1)
    crowded = len(editions) > 14
    for i, row in enumerate(whole.itertuples()):
        words = format_percent_fr(row.share_pct) if pd.notna(row.published) else NOT_PUBLISHED
        totals.text(
            i,
            max(published[i], held[i]) + top * 0.015,
            words,
            ha="center",
            va="bottom",
            fontsize=6.5,
            rotation=90 if crowded or pd.isna(row.published) else 0,
            color=style.TEXT_GREY,
        )
    totals.set_ylim(0, top * (1.45 if crowded else 1.2))
    totals.set_ylabel("Collectivités")
    style.french_ticks(totals.yaxis)
    totals.legend(loc="upper left", frameon=False, fontsize=8, ncols=2)
    totals.set_title(
        "Liste entière : total publié et lignes détenues (part détenue)", fontsize=10, loc="left"
    )
    _level_grid(levels, cov, editions)
    levels.set_xticks(x, [str(e) for e in editions], rotation=90 if len(x) > 14 else 0)
    style.finish(
        figure,
        TITLE,
        style.coverage_caption(style.SOURCE_PALMARES, cov, synthetic),
        subtitle="Une collectivité absente d'une édition détenue en partie n'est pas "
        "« non labellisée » : elle est inconnue.",
    )
    return figure


def _level_grid(axis, cov: pd.DataFrame, editions: list[int]) -> None:
    """Levels × editions: the share held of each published level count (an image, 0-100 %)."""
    rows = list(LEVEL_ROWS)
    cells = cov[cov["scope"].isin(rows)].set_index(["scope", "edition"])
    share = np.full((len(rows), len(editions)), np.nan)
    norm = Normalize(0, 100)
    cmap = plt.get_cmap(SHARE_MAP).with_extremes(bad="white")
    for r, scope in enumerate(rows):
        for c, edition in enumerate(editions):
            if (scope, edition) not in cells.index:
                continue  # no such level that year (the mention ended in 2011)
            cell = cells.loc[(scope, edition)]
            if pd.notna(cell["published"]):
                share[r, c] = min(float(cell["share_pct"]), 100.0)
                text = f"{format_fr(cell['held'])}/{format_fr(cell['published'])}"
                dark = share[r, c] > 55
            else:
                axis.add_patch(
                    Rectangle(
                        (c - 0.5, r - 0.5),
                        1,
                        1,
                        linewidth=0,
                        facecolor=style.MISSING_STYLE["facecolor"],
                        edgecolor=style.MISSING_STYLE["edgecolor"],
                        hatch="////",
                    )
                )
                text = format_fr(cell["held"]) if cell["held"] else ""
                dark = False
            axis.text(
                c,
                r,
                text,
                ha="center",
                va="center",
                fontsize=6.5,
                color="white" if dark else style.TEXT_GREY,
            )
    image = axis.imshow(share, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    axis.set_yticks(range(len(rows)), [LEVEL_ROWS[s] for s in rows])
    axis.set_title(
        "Par niveau : part détenue de chaque compte publié (détenus/publiés)",
        fontsize=10,
        loc="left",
    )
    bar = axis.figure.colorbar(image, ax=axis, fraction=0.03, pad=0.01)
    bar.set_label("Part détenue", fontsize=8)
    bar.ax.yaxis.set_major_formatter(lambda value, _: f"{format_fr(value)}\u00a0%")
    axis.legend(
        handles=[Patch(**style.MISSING_STYLE, label="Compte non publié : lignes détenues")],
        loc="lower right",
        bbox_to_anchor=(1, 1),
        borderaxespad=0.2,
        frameon=False,
        fontsize=7.5,
    )


def edition_levels(
    con: duckdb.DuckDBPyConnection, edition: int, figures_dir: Path | str | None = None
) -> Figure:
    """`levels_figure` of one edition of the warehouse, exported under `figures_dir`."""
    cov = coverage.coverage_model(con)
    figure = levels_figure(cov, edition, coverage.synthetic_flag(con))
    title = f"Édition {edition} : lauréats détenus et publiés, par niveau"
    style.export(figure, figures_dir, f"edition_{edition}_niveaux", title)
    return figure


def levels_figure(cov: pd.DataFrame, edition: int, synthetic: bool = False) -> Figure:
    """One edition, a row per level (and the whole list, and the rows held without a stated
    level): the published count outlined, the rows held filled in the level's map colour,
    "held sur published" beside them."""
    mine = cov[cov["edition"] == edition].set_index("scope")
    whole = mine.loc["all"] if "all" in mine.index else None
    rows = [("all", "Liste entière", style.BLUE)]
    rows += [
        (s, LEVEL_ROWS[s], style.LEVEL_COLOURS[coverage.LEVEL_SCOPES[s]])
        for s in LEVEL_ROWS
        if s in mine.index
    ]
    figure, axis = plt.subplots(figsize=(style.WIDTH_IN, 1.9 + 0.42 * (len(rows) + 1)))
    y = np.arange(len(rows) + 1)[::-1]
    for position, (scope, _, colour) in zip(y, rows, strict=False):
        cell = mine.loc[scope] if scope in mine.index else None
        published = cell["published"] if cell is not None else pd.NA
        held = int(cell["held"]) if cell is not None else 0
        if pd.notna(published):
            axis.barh(
                position,
                int(published),
                0.8,
                facecolor="white",
                edgecolor=style.PUBLISHED_EDGE,
                linewidth=0.8,
            )
        axis.barh(position, held, 0.5, color=colour, edgecolor=style.PUBLISHED_EDGE, linewidth=0.4)
        words = (
            f"{format_fr(held)} sur {format_fr(published)}"
            if pd.notna(published)
            else f"{format_fr(held)} ({NOT_PUBLISHED})"
        )
        axis.text(
            max(held, 0 if pd.isna(published) else int(published)),
            position,
            f"  {words}",
            va="center",
            fontsize=8,
            color=style.TEXT_GREY,
        )
    unstated = int(whole["level_unstated"]) if whole is not None else 0
    axis.barh(
        y[-1],
        unstated,
        0.5,
        facecolor=style.UNKNOWN_LEVEL_STYLE["facecolor"],
        hatch=style.UNKNOWN_LEVEL_STYLE["hatch"],
        edgecolor=style.PUBLISHED_EDGE,
        linewidth=0.4,
    )
    axis.text(
        unstated, y[-1], f"  {format_fr(unstated)}", va="center", fontsize=8, color=style.TEXT_GREY
    )
    axis.set_yticks(y, [label for _, label, _ in rows] + [style.UNKNOWN_LEVEL_LABEL])
    right = max([b.get_width() for b in axis.patches] + [1])
    axis.set_xlim(0, right * 1.25)
    axis.set_xlabel("Collectivités")
    style.french_ticks(axis.xaxis)
    axis.legend(
        handles=[
            Patch(facecolor="white", edgecolor=style.PUBLISHED_EDGE, label=PUBLISHED_LABEL),
            Patch(facecolor=style.BLUE, label=f"{HELD_LABEL} (couleur du niveau)"),
        ],
        loc="lower right",
        frameon=False,
        fontsize=8,
    )
    style.finish(
        figure,
        f"Édition {edition} : lauréats détenus et publiés, par niveau",
        style.coverage_caption(style.SOURCE_PALMARES, cov[cov["edition"] == edition], synthetic),
        subtitle=coverage.held_sentence(whole.to_dict() if whole is not None else {}),
    )
    return figure
