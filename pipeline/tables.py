"""Tables as French readers see them in reports: French headers, numbers and a source caption."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import pandas as pd
from pandas.io.formats.style import Styler

from pipeline.formatting import format_fr


def french_table(
    frame: pd.DataFrame,
    headers: Mapping[str, str],
    caption: str,
    decimals: Mapping[str, int] | None = None,
) -> Styler:
    """Style a table for a report: numbers right-aligned in French format, no index.

    `headers` renames columns for display; the caption must name the source and vintage;
    `decimals` gives the decimals of a column (by its original name; default none). Years and
    codes should be passed as text, so they get no thousands separator.
    """
    decimals = decimals or {}
    places = {headers.get(c, c): decimals.get(c, 0) for c in frame.columns}
    shown = frame.rename(columns=dict(headers))
    numeric = [c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])]
    return (
        shown.style.hide(axis="index")
        .format({c: partial(format_fr, decimals=places[c]) for c in numeric})
        .set_caption(caption)
        .set_properties(subset=numeric, **{"text-align": "right"})
    )


def described_table(frame: pd.DataFrame, decimals: Mapping[str, int] | None = None) -> Styler:
    """A table that carries its French headers, note and source in `attrs` (as the edition
    statistics do), styled for a report with the note and the source as its caption."""
    caption = " ".join(part for part in (frame.attrs.get("note"), frame.attrs.get("source")) if part)
    return french_table(frame, frame.attrs.get("headers", {}), caption, decimals)
