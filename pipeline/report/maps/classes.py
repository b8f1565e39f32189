"""Classes of values, computed once per figure and shared by every part and panel of it.

Classes come from mapclassify (quantiles, natural breaks, equal intervals or user bins), then
each part of a map (mainland, insets, zoom, panels) is drawn with explicit colours:
`GeoDataFrame.plot(scheme=...)` would classify each part on its own, and fails on a part whose
values are all missing. mapclassify pulls in scipy and scikit-learn (about 1 s): it is
imported only when values are classified.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.patches import Patch

from pipeline.formatting import format_fr, format_percent_fr
from pipeline.report.maps.style import (
    LEVEL_LABELS,
    MAX_CLASSES,
    MISSING_LABEL,
    MISSING_STYLE,
    PALETTE,
)

#: Classification schemes (mapclassify classifier) and how legends name them.
SCHEMES = {
    "quantiles": ("Quantiles", "quantiles"),
    "fisher_jenks": ("FisherJenks", "seuils naturels (Fisher-Jenks)"),
    "equal_interval": ("EqualInterval", "intervalles égaux"),
    "user": ("UserDefined", "seuils choisis"),
}
#: Fisher-Jenks is quadratic in the number of values (about 1.3 s for 1,000 values without
#: numba): above this many values, breaks are computed on this many evenly spaced quantiles of
#: the values (deterministic), then every value is classified with them.
FISHER_JENKS_MAX_VALUES = 600


@dataclass(frozen=True)
class Classification:
    """Classes of values shared by every part (and panel) of a figure.

    `bins` are the classes' upper bounds, increasing (mapclassify's convention: a value v is
    in the first class whose bound is ≥ v); `low` the smallest value classified; `colours`
    (hex) and `labels` (French) one per class, lowest first.
    """

    scheme: str
    bins: tuple[float, ...]
    low: float
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    unit: str = "number"

    def classes(self, values: pd.Series) -> pd.Series:
        """Class index of each value (0 = lowest), <NA> for a missing value."""
        numbers = pd.to_numeric(values, errors="raise").astype(float)
        out = pd.Series(pd.NA, index=numbers.index, dtype="Int64")
        present = numbers.notna()
        if self.bins and present.any():
            found = np.searchsorted(np.asarray(self.bins), numbers[present].to_numpy(), "left")
            out[present] = np.minimum(found, len(self.bins) - 1)
        return out

    def colour(self, values: pd.Series) -> pd.Series:
        """Colour of each value, None for a missing value."""
        classes = self.classes(values)
        return pd.Series(
            [None if pd.isna(c) else self.colours[c] for c in classes],
            index=classes.index,
            dtype=object,
        )

    def legend(self, missing: bool) -> list[Patch]:
        """Legend handles, lowest class first, then the missing class when asked for."""
        handles = [
            Patch(facecolor=colour, edgecolor="#666666", linewidth=0.4, label=label)
            for colour, label in zip(self.colours, self.labels)
        ]
        if missing:
            handles.append(missing_patch())
        return handles


def missing_patch() -> Patch:
    return Patch(label=MISSING_LABEL, linewidth=0.4, **MISSING_STYLE)


def check_scheme(scheme: str, bins: Sequence[float] | None) -> str:
    """The scheme classes will use ("user" when `bins` are given), or ValueError if unknown."""
    if bins is not None:
        scheme = "user"
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}: expected one of {', '.join(SCHEMES)}")
    if scheme == "user" and not bins:
        raise ValueError("the 'user' scheme needs bins (upper bounds of the classes)")
    return scheme


def classify(
    values: pd.Series | Iterable[pd.Series],
    scheme: str = "quantiles",
    k: int = MAX_CLASSES,
    bins: Sequence[float] | None = None,
    *,
    unit: str = "number",
    palette: str = PALETTE,
) -> Classification:
    """Classes for `values` (one Series, or several pooled: one classification for all panels).

    `scheme` is one of SCHEMES: "quantiles", "fisher_jenks" (natural breaks), "equal_interval",
    or "user" with `bins` (upper bounds; giving `bins` implies "user"). Missing values are left
    out. Integer data keep integer bounds ("3 – 5"). `unit` is "number", "percent" (values
    already in percent: « 12,5 % ») or "arobases" (« 4 @ »).
    """
    scheme = check_scheme(scheme, bins)
    if unit not in ("number", "percent", "arobases"):
        raise ValueError(f"unknown unit {unit!r}: expected number, percent or arobases")
    pooled = values if isinstance(values, pd.Series) else pd.concat(list(values))
    data = pd.to_numeric(pooled, errors="raise").astype(float).dropna().to_numpy()
    if data.size == 0:
        return Classification(scheme, (), math.nan, (), (), unit)
    integer = bool(np.allclose(data, np.round(data)))
    upper = _breaks(data, scheme, k, bins)
    if integer and scheme != "user":
        upper = np.unique(np.floor(upper))
    low = float(data.min())
    cmap = plt.get_cmap(palette)
    stops = np.linspace(0.2, 0.95, len(upper)) if len(upper) > 1 else [0.6]
    colours = tuple(to_hex(cmap(x)) for x in stops)
    labels = tuple(_labels(low, upper, integer and _all_integer(upper), unit))
    return Classification(scheme, tuple(float(b) for b in upper), low, colours, labels, unit)


def _breaks(data: np.ndarray, scheme: str, k: int, bins: Sequence[float] | None) -> np.ndarray:
    """Upper bounds of the classes, from mapclassify (imported here: it loads scipy)."""
    import mapclassify

    unique = np.unique(data)
    if scheme != "user" and len(unique) == 1:
        return unique
    k = max(1, min(int(k), len(unique)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not enough unique values", "numba not installed"
        classifier = getattr(mapclassify, SCHEMES[scheme][0])
        if scheme == "user":
            found = classifier(data, bins=sorted(float(b) for b in bins)).bins
        elif scheme == "fisher_jenks" and data.size > FISHER_JENKS_MAX_VALUES:
            sample = np.quantile(data, np.linspace(0, 1, FISHER_JENKS_MAX_VALUES))
            found = classifier(sample, k=min(k, len(np.unique(sample)))).bins
            found[-1] = data.max()
        else:
            found = classifier(data, k=k).bins
    return np.unique(np.asarray(found, dtype=float))


def _all_integer(values) -> bool:
    return bool(np.allclose(values, np.round(values)))


def _formatter(unit: str):
    if unit == "percent":
        return format_percent_fr
    if unit == "arobases":
        return lambda value, decimals=0: (
            LEVEL_LABELS[0] if value == 0 else f"{format_fr(value, decimals)}\u00a0@"
        )
    return format_fr


def _labels(low: float, upper: np.ndarray, integer: bool, unit: str) -> list[str]:
    """French labels of classes (previous bound, bound], the first from min(low, its bound).

    Integer data: "3 – 5" (3 = previous bound + 1), "4" for a class of one value. Otherwise
    the fewest decimals (none when every bound is whole, else 1 to 3) that tell the bounds
    apart; the class after a one-value first class starts with ">" ("0 %", "> 0 % – 10 %").
    """
    fmt = _formatter(unit)
    first_low = min(low, upper[0])
    if integer:
        labels = []
        for i, high in enumerate(upper):
            start = first_low if i == 0 else upper[i - 1] + 1
            labels.append(fmt(high, 0) if start >= high else f"{fmt(start, 0)} – {fmt(high, 0)}")
        return labels
    edges = [first_low, *upper]
    distinct = sorted(set(edges))
    for decimals in (0, 1, 2, 3) if _all_integer(edges) else (1, 2, 3):
        texts = [fmt(edge, decimals) for edge in edges]
        if len({fmt(edge, decimals) for edge in distinct}) == len(distinct):
            break
    labels = []
    for i in range(len(upper)):
        if i == 0 and edges[0] == edges[1]:
            labels.append(texts[1])
        elif i == 1 and edges[0] == edges[1]:
            labels.append(f"> {texts[1]} – {texts[2]}")
        else:
            labels.append(f"{texts[i]} – {texts[i + 1]}")
    return labels
