"""The continuity page's figure: how long collectivities stay in the label (Kaplan-Meier), all
cohorts pooled and by cohort of first label year, with 95 % confidence bands (Greenwood)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.analysis.continuity.basis import coverage_of
from pipeline.formatting import format_fr
from pipeline.report.figures import style

COLOUR = style.PUBLISHED_EDGE
TITLE = "Fidélité au label : survie du premier passage (Kaplan-Meier)"
STEM = "continuite_survie"
#: Cohorts drawn beside the pooled curve: the largest, so that each curve rests on enough
#: spells to be read (the others stay in the life table).
COHORTS_SHOWN = 5
Z95 = 1.959964


def band(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % pointwise band of a life table: survival ± 1.96 Greenwood `se`, within 0-1."""
    survival, se = table["survival"].to_numpy(float), table["se"].to_numpy(float)
    return np.clip(survival - Z95 * se, 0, 1), np.clip(survival + Z95 * se, 0, 1)


def _curve(axis, table: pd.DataFrame, colour: str, label: str, width: float) -> None:
    """A step from 100 % at 0 editions, and its band."""
    durations = [0, *table["duration"]]
    low, high = band(table)
    axis.fill_between(
        durations, [1, *low], [1, *high], step="post", color=colour, alpha=0.18, linewidth=0
    )
    axis.step(
        durations, [1, *table["survival"]], where="post", color=colour, linewidth=width, label=label
    )


def survival_figure(
    survival: pd.DataFrame,
    source: str,
    out: Path | str | None = None,
    by_cohort: pd.DataFrame | None = None,
    figures_dir: Path | str | None = None,
) -> Figure:
    """The survival curve of first spells, all cohorts pooled (`continuity.retention(basis,
    pooled=True)`), as a step from 100 % at 0 editions with its band; beside it, when given,
    the COHORTS_SHOWN largest cohorts of `by_cohort` (`continuity.retention(basis)`). The
    caption says how many spells it rests on and how many collectivities without a known
    first edition it leaves out, then `source`. Saved to `out` (PNG, the site's list of maps)
    and exported under `figures_dir` when given. Refuses an empty table: there is no curve to
    draw (the page says why)."""
    if survival.empty:
        raise ValueError("no spell with a known first edition: there is no curve to draw")
    figure, axis = plt.subplots(figsize=(style.WIDTH_IN, 5.4))
    if by_cohort is not None and not by_cohort.empty:
        sizes = by_cohort[by_cohort["duration"] == 1].set_index("cohort")["at_risk"]
        largest = sorted(sizes.sort_values(ascending=False, kind="stable").index[:COHORTS_SHOWN])
        colours = plt.get_cmap("viridis")(np.linspace(0.05, 0.85, len(largest)))
        for cohort, colour in zip(largest, colours, strict=True):
            table = by_cohort[by_cohort["cohort"] == cohort]
            _curve(axis, table, colour, f"Cohorte {cohort} ({format_fr(sizes[cohort])})", 1.2)
    _curve(axis, survival, COLOUR, f"Toutes cohortes ({format_fr(survival.attrs['spells'])})", 2.2)
    axis.set_xlabel("Éditions consécutives labellisées")
    axis.set_ylabel("Part encore labellisée")
    axis.set_ylim(0, 1.05)
    axis.set_xlim(0, None)
    style.french_ticks(axis.yaxis, percent=True)
    axis.grid(alpha=0.3)
    axis.legend(
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        fontsize=8,
        title="Premier label (passages)",
        title_fontsize=8,
    )
    caption = (
        f"{format_fr(survival.attrs['spells'])} passages, "
        f"{format_fr(survival.attrs['excluded'])} collectivités sans première édition connue "
        f"exclues. Bandes : intervalle de confiance à 95 % (Greenwood). "
    )
    if "coverage" in survival.attrs:  # a result of the analyses: say what it rests on
        synthetic = bool(survival.attrs.get("synthetic"))
        caption += style.coverage_caption(source, coverage_of(survival), synthetic)
    else:
        caption += source
    style.finish(figure, TITLE, caption)
    if out is not None:
        style.layout.save(figure, out, TITLE, 150)
    style.export(figure, figures_dir, STEM, TITLE)
    return figure
