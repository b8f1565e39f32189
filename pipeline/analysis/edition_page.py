"""The edition page's own choices over `edition_stats.edition_tables`: its heading, and which
départements it lists (the statistics pack keeps them all)."""

from __future__ import annotations

import pandas as pd

from pipeline.report.tables import markdown_text


def heading(tables: dict[str, pd.DataFrame], edition: int) -> str:
    """The page's title and what our data hold of the edition (the levels table's note)."""
    return f"# Édition {edition} du label\n\n{markdown_text(tables['levels'].attrs['note'])}"


def held_departements(departements: pd.DataFrame) -> pd.DataFrame:
    """The départements with a laureate known in the edition or the one before: a hundred rows
    of zeros would hide them."""
    held = departements[(departements["laureates"] > 0) | (departements["previous_laureates"] > 0)]
    held.attrs.update(
        departements.attrs,
        title=f"{departements.attrs['title']} (départements ayant au moins un lauréat connu)",
    )
    return held
