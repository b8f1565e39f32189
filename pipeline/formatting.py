"""French number formats for every report, table and map legend (1 234,5 ; 12,4 %).

The thousands separator is the narrow no-break space (U+202F) of French typography and of
CLDR's `fr` locale, so a number never breaks across lines; the decimal mark is a comma; a
negative number takes the minus sign (U+2212), not the hyphen.
"""

from __future__ import annotations

import unicodedata
from numbers import Real

import pandas as pd

THOUSANDS_SEPARATOR = "\u202f"
MISSING = "–"
MINUS = "\u2212"


def format_fr(value: Real | None, decimals: int = 0) -> str:
    """Format a number the French way; missing values (None, NaN, NA) become an en dash."""
    if pd.isna(value):
        return MISSING
    text = f"{value:,.{decimals}f}"
    return text.replace(",", THOUSANDS_SEPARATOR).replace(".", ",").replace("-", MINUS)


def format_percent_fr(value: Real | None, decimals: int = 1) -> str:
    """A share already expressed in percent (12.4 → "12,4 %", with a no-break space)."""
    if pd.isna(value):
        return MISSING
    return f"{format_fr(value, decimals)}\u00a0%"


def plain(value) -> str:
    """Text from a file, safe for a terminal: control and formatting characters escaped."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return "".join(
        f"\\u{ord(char):04x}"
        if unicodedata.category(char)[0] == "C" or char in "\u2028\u2029"
        else char
        for char in str(value)
    )
