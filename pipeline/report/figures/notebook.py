"""What a notebook cell shows, in one call: figures, and tables under their titles."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from matplotlib.figure import Figure

from pipeline.report.tables import described_table


def show(*figures: Figure) -> None:
    """Display each figure, then close it: pyplot keeps every figure it made until closed, and
    the notebook would show it a second time at the end of the cell."""
    for figure in figures:
        display(figure)
        plt.close(figure)


def show_tables(*tables: pd.DataFrame, empty: str | None = None) -> None:
    """Each table under a heading, its `attrs` title, styled by `described_table`; `empty`,
    when given, is said instead of a table without rows."""
    for table in tables:
        display(Markdown(f"### {table.attrs['title']}"))
        display(Markdown(empty) if empty is not None and table.empty else described_table(table))
