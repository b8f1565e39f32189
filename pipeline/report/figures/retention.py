"""The continuity page's figure: how long collectivities stay in the label (Kaplan-Meier)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from pipeline import io

COLOUR = "#1f3b63"
DPI = 150
TITLE = "Fidélité au label (Kaplan-Meier)"


def survival_figure(survival: pd.DataFrame, source: str, out: Path | str | None = None) -> Figure:
    """The survival curve of first spells, all cohorts pooled (`continuity.retention(basis,
    pooled=True)`), as a step from 100 % at 0 editions; the caption says how many spells it
    rests on and how many collectivities without a known first edition it leaves out, then
    `source`. Saved to `out` (PNG) when given, titled for the site's list of maps. Refuses an
    empty table: there is no curve to draw (the page says why)."""
    if survival.empty:
        raise ValueError("no spell with a known first edition: there is no curve to draw")
    figure, axis = plt.subplots(figsize=(8, 4.5))
    axis.step(
        [0, *survival["duration"]],
        [1, *survival["survival"]],
        where="post",
        color=COLOUR,
        linewidth=2,
        label="toutes cohortes",
    )
    axis.set_xlabel("Éditions consécutives labellisées")
    axis.set_ylabel("Part encore labellisée")
    axis.set_ylim(0, 1.05)
    axis.yaxis.set_major_formatter(lambda value, _: f"{value * 100:.0f} %")
    axis.set_title("Fidélité au label : survie du premier passage (Kaplan-Meier)")
    figure.text(
        0.01,
        0.01,
        f"{survival.attrs['spells']} passages, {survival.attrs['excluded']} collectivités "
        f"sans première édition connue exclues. {source}",
        fontsize=7,
        wrap=True,
    )
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    if out is not None:
        with io.atomic_path(Path(out)) as tmp:
            figure.savefig(tmp, dpi=DPI, metadata={"Title": TITLE})
    return figure
