"""French number formats used by every table and legend."""

import math

import pandas as pd

from pipeline.formatting import format_fr, format_percent_fr

NNBSP = "\u202f"


def test_thousands_and_decimal_comma():
    assert format_fr(1234.5, 1) == f"1{NNBSP}234,5"
    assert format_fr(1234567) == f"1{NNBSP}234{NNBSP}567"
    assert format_fr(-0.25, 2) == "\u22120,25"  # the minus sign, not a hyphen
    assert format_fr(-1234) == f"\u22121{NNBSP}234"
    assert format_fr(12) == "12"


def test_percent_and_missing():
    assert format_percent_fr(12.44) == "12,4\u00a0%"
    assert format_fr(None) == "–"
    assert format_fr(math.nan, 1) == "–"
    assert format_fr(pd.NA) == "–"
