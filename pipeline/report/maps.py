"""Print-quality maps of France: régions, départements, EPCI, communes; choropleths and laureates.

Metropolitan France is drawn in Lambert-93 (EPSG:2154) with the five overseas départements as
labelled insets, each in its local UTM projection, and an optional Île-de-France zoom. Every map
carries a title, a French legend (« 1 234 », « 12,5 % »), a "Données non disponibles" class
drawn hatched light grey, and a caption naming the sources and their vintage. The file format
follows the extension of `out`: PNG (300 dpi by default), SVG or PDF.

Three layers of functions:

- drawing, from GeoDataFrames and values (no warehouse): `classify`, `france_map`,
  `small_multiples`, and `plot_departements` (the notebooks' original entry point);
- the palmarès, from the warehouse (read-only connection) and the cached geometry
  (`read_cached_layer`, never dissolved at map time): `level_values`, `laureate_points`,
  `edition_map` (what `palmares map` calls) and `edition_small_multiples`;
- `write_samples`, the maps of `docs/maps/`: `python -m pipeline.report.maps --samples docs/maps`.

Classes are computed once per figure with mapclassify (quantiles, natural breaks, equal
intervals or user bins), then each part of the map (mainland, insets, zoom, panels) is drawn
with explicit colours: `GeoDataFrame.plot(scheme=...)` would classify each part on its own, and
fails on a part whose values are all missing. mapclassify pulls in scipy and scikit-learn
(about 1 s): it is imported only when values are classified.
"""

from __future__ import annotations

import argparse
import math
import textwrap
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path as MplPath

from pipeline.analysis import coverage, provenance
from pipeline.formatting import format_fr, format_percent_fr

METRO_CRS = "EPSG:2154"  # RGF93 / Lambert-93
WGS84 = "EPSG:4326"

#: Overseas départements drawn as insets: code → (label, local projected CRS), top to bottom.
DROM_INSETS = {
    "971": ("Guadeloupe", "EPSG:5490"),  # RGAF09 / UTM 20N
    "972": ("Martinique", "EPSG:5490"),
    "973": ("Guyane", "EPSG:2972"),  # RGFG95 / UTM 22N
    "974": ("La Réunion", "EPSG:2975"),  # RGR92 / UTM 40S
    "976": ("Mayotte", "EPSG:4471"),  # RGM04 / UTM 38S
}
#: Where each DROM lies (WGS84 lon/lat box): a shape or point whose bounding-box centre falls
#: inside goes to that inset, whatever the level; everything else is metropolitan.
DROM_BOXES = {
    "971": (-61.9, 15.8, -60.9, 16.6),
    "972": (-61.3, 14.3, -60.7, 14.95),
    "973": (-54.7, 2.0, -51.5, 5.9),
    "974": (55.1, -21.5, 56.0, -20.8),
    "976": (44.9, -13.1, 45.4, -12.5),
}
#: The Île-de-France zoom (WGS84 lon/lat box around the région's eight départements).
IDF_BOX = (1.42, 48.10, 3.58, 49.25)
IDF_LABEL = "Île-de-France"

MISSING_LABEL = "Données non disponibles"
MISSING_STYLE = {"facecolor": "#e3e3e3", "edgecolor": "#8a8a8a", "hatch": "/////"}
NO_VALUES_COLOUR = "#c9d9e8"  # background map, when no values are given
POINTS_BACKGROUND = "#ececec"  # under a point layer
#: Département outlines drawn over finer shapes (EPCI, communes).
OVERLAY_BORDER = {"edgecolor": "#7a7a7a", "linewidth": 0.35}
#: ColorBrewer YlGnBu, sequential and colour-blind safe; the near-white end is skipped so the
#: lowest class stays distinct from the grey "no data" class.
PALETTE = "YlGnBu"
MAX_CLASSES = 5

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

#: @ levels of the point layer: viridis (colour-blind safe, ordered light → dark), 5 @ darkest;
#: 0 is the «mention» of the early editions (white). NULL (level not stated): hatched grey.
LEVEL_COLOURS = {5: "#440154", 4: "#3b528b", 3: "#21918c", 2: "#5ec962", 1: "#fde725", 0: "#ffffff"}
LEVEL_LABELS = {level: f"{level}\u00a0@" for level in range(1, 6)} | {0: "Mention"}
UNKNOWN_LEVEL_LABEL = "Niveau non précisé"
UNKNOWN_LEVEL_STYLE = {"facecolor": "#d4d4d4", "hatch": "//////"}
POINT_EDGE = "#262626"
#: Marker area (pt²) = MIN_POINT_AREA + population × POINT_AREA_PER_INHABITANT: proportional to
#: the population above a floor that keeps the smallest village visible; the legend shows
#: reference populations drawn with the same rule.
MIN_POINT_AREA = 12.0
POINT_AREA_PER_INHABITANT = 1 / 1000
REFERENCE_POPULATIONS = (1_000, 10_000, 100_000, 500_000, 2_000_000)
MARKERS = {"commune": ("o", "Commune"), "epci": ("s", "Intercommunalité (EPCI)")}

# Single map layout, in figure fractions: DROM insets in a column on the left, the legends and
# the optional Île-de-France zoom on the right.
FIGSIZE = (11, 8.4)
MAIN_BOX = (0.165, 0.06, 0.6, 0.86)
INSET_LEFT, INSET_WIDTH, INSET_HEIGHT, INSET_TOP, INSET_STEP = 0.015, 0.135, 0.128, 0.775, 0.158
RIGHT_COLUMN = MAIN_BOX[0] + MAIN_BOX[2] + 0.01
IDF_AXES_BOX = (RIGHT_COLUMN + 0.01, 0.6, 0.2, 0.29)
DPI = 300
FORMATS = {".png", ".svg", ".pdf"}
INSETS_NOTE = "Encarts à des échelles différentes"
TEXT_GREY = "#333333"


# ---------------------------------------------------------------------------------------------
# Classification


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
    if bins is not None:
        scheme = "user"
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}: expected one of {', '.join(SCHEMES)}")
    if scheme == "user" and not bins:
        raise ValueError("the 'user' scheme needs bins (upper bounds of the classes)")
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


# ---------------------------------------------------------------------------------------------
# Layers split by zone and projected once


def _zones(frame: gpd.GeoDataFrame) -> pd.Series:
    """ "metro" or the DROM code of each row, from the centre of its bounding box (WGS84)."""
    bounds = frame.geometry.bounds
    x, y = (bounds["minx"] + bounds["maxx"]) / 2, (bounds["miny"] + bounds["maxy"]) / 2
    zone = pd.Series("metro", index=frame.index, dtype=object)
    for code, (x0, y0, x1, y1) in DROM_BOXES.items():
        zone[x.between(x0, x1) & y.between(y0, y1)] = code
    return zone


def split_zones(frame: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The rows with a geometry, split into "metro" (Lambert-93) and each DROM (its local CRS)."""
    shapes = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if shapes.crs is None:
        raise ValueError("the layer has no CRS")
    shapes = shapes.to_crs(WGS84)
    zone = _zones(shapes)
    parts = {"metro": shapes[zone == "metro"].to_crs(METRO_CRS)}
    for code, (_, crs) in DROM_INSETS.items():
        parts[code] = shapes[zone == code].to_crs(crs)
    return parts


def _box_bounds(box: tuple[float, float, float, float], crs: str) -> np.ndarray:
    return gpd.GeoSeries([shapely.box(*box)], crs=WGS84).to_crs(crs).total_bounds


# ---------------------------------------------------------------------------------------------
# Drawing


def point_area(population) -> np.ndarray:
    """Marker area in pt² for populations (missing → the floor)."""
    people = pd.to_numeric(pd.Series(population), errors="coerce").fillna(0).to_numpy(float)
    return MIN_POINT_AREA + people * POINT_AREA_PER_INHABITANT


def _edge_width(n_shapes: int) -> float:
    return 0.3 if n_shapes <= 200 else 0.15 if n_shapes <= 3000 else 0.04


def compound_path(geometries) -> MplPath | None:
    """All the polygons' rings as one matplotlib path (None if there is no polygon).

    Exteriors are oriented counter-clockwise and holes clockwise, so that matplotlib's
    non-zero fill rule leaves holes empty and fills the slight overlaps of neighbours.
    Drawing one path per colour is what makes 35,000 communes quick to draw:
    `GeoDataFrame.plot` builds one patch per polygon and redraws the figure at every call.
    """
    parts = shapely.get_parts(np.asarray(geometries, dtype=object))
    polygons = parts[shapely.get_type_id(parts) == 3]
    if not len(polygons):
        return None
    rings = shapely.get_rings(shapely.orient_polygons(polygons))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    starts = np.r_[0, np.flatnonzero(np.diff(ring)) + 1]
    codes[starts] = MplPath.MOVETO
    codes[np.r_[starts[1:] - 1, len(coords) - 1]] = MplPath.CLOSEPOLY
    return MplPath(coords, codes)


def _add_shapes(ax, geometries, label: str, **style) -> None:
    """One collection drawing every polygon of `geometries` with the same style."""
    path = compound_path(geometries)
    if path is not None:
        collection = PathCollection([path], **style)
        collection.set_label(label)
        ax.add_collection(collection, autolim=False)


def _draw_polygons(
    ax, shapes: gpd.GeoDataFrame, colours: pd.Series | None, fill: str, linewidth: float
) -> None:
    """Fill each shape with its colour (or `fill` when there are no values), missing hatched.

    One collection per colour ("shapes"), the missing ones last ("missing", hatched).
    """
    if shapes.empty:
        return
    edges = {"edgecolors": "white", "linewidths": linewidth}
    if colours is None:
        _add_shapes(ax, shapes.geometry.values, "shapes", facecolors=fill, **edges)
        return
    filled = colours.reindex(shapes.index)
    for colour, group in shapes.geometry.groupby(filled.to_numpy(), sort=True):
        _add_shapes(ax, group.values, "shapes", facecolors=colour, **edges)
    missing = shapes.geometry[filled.isna().to_numpy()]
    if not missing.empty:
        _add_shapes(
            ax,
            missing.values,
            "missing",
            facecolors=MISSING_STYLE["facecolor"],
            edgecolors=MISSING_STYLE["edgecolor"],
            linewidths=max(linewidth, 0.2),
            hatch=MISSING_STYLE["hatch"],
        )


def _draw_points(ax, points: gpd.GeoDataFrame) -> None:
    """Laureates as markers: area by population, colour by @ level, shape by kind.

    EPCI (usually the biggest) first, then communes, each biggest first, so that small
    markers stay visible on top; one collection per kind and known/unknown level, labelled
    "points-<entity>" or "points-<entity>-unknown".
    """
    if points.empty:
        return
    points = points.assign(_area=point_area(points["population"]))
    points = points.sort_values("_area", ascending=False)
    for entity in ("epci", "commune"):
        marker = MARKERS[entity][0]
        own = points[points["entity"] == entity]
        level = pd.to_numeric(own["arobases"], errors="coerce")
        known = own[level.notna()]
        if not known.empty:
            colours = [LEVEL_COLOURS[int(a)] for a in pd.to_numeric(known["arobases"])]
            ax.scatter(
                known.geometry.x,
                known.geometry.y,
                s=known["_area"],
                c=colours,
                marker=marker,
                edgecolors=POINT_EDGE,
                linewidths=0.5,
                zorder=4,
                label=f"points-{entity}",
            )
        unknown = own[level.isna()]
        if not unknown.empty:
            ax.scatter(
                unknown.geometry.x,
                unknown.geometry.y,
                s=unknown["_area"],
                marker=marker,
                facecolors=UNKNOWN_LEVEL_STYLE["facecolor"],
                edgecolors=POINT_EDGE,
                linewidths=0.5,
                hatch=UNKNOWN_LEVEL_STYLE["hatch"],
                zorder=4,
                label=f"points-{entity}-unknown",
            )


@dataclass
class _Parts:
    """What one map (or panel) draws, split by zone: shapes, borders over them, points."""

    shapes: dict[str, gpd.GeoDataFrame]
    borders: dict[str, gpd.GeoDataFrame] | None
    points: dict[str, gpd.GeoDataFrame] | None


def _draw_zone(
    ax, parts: _Parts, zone: str, colours: pd.Series | None, fill: str, bounds=None
) -> None:
    """Shapes, borders and points of one zone ("metro" or a DROM code) in `ax`, fitted to the
    zone (or to `bounds`, a zoom)."""
    shapes = parts.shapes[zone]
    if bounds is not None:  # a zoom: draw only what is in view (the box widened by _fit)
        _fit(ax, bounds)
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        shapes = shapes.cx[x0:x1, y0:y1]
    _draw_polygons(ax, shapes, colours, fill, _edge_width(len(parts.shapes["metro"])))
    if parts.borders is not None and not parts.borders[zone].empty:
        _add_shapes(
            ax,
            parts.borders[zone].geometry.values,
            "borders",
            facecolors="none",
            edgecolors=OVERLAY_BORDER["edgecolor"],
            linewidths=OVERLAY_BORDER["linewidth"],
        )
    if parts.points is not None:
        _draw_points(ax, parts.points[zone])
    if bounds is None:
        _fit(
            ax,
            parts.shapes[zone].total_bounds
            if not parts.shapes[zone].empty
            else _box_bounds(DROM_BOXES[zone], DROM_INSETS[zone][1]),
        )
    ax.set_axis_off()


def _frame(ax) -> None:
    """A thin frame, without ticks or labels, that sets an inset apart."""
    ax.axis("on")
    ax.set(xticks=[], yticks=[], xlabel="", ylabel="")
    for spine in ax.spines.values():
        spine.set_edgecolor("#9a9a9a")
        spine.set_linewidth(0.6)


def _fit(ax, bounds, margin: float = 0.03) -> None:
    """Show `bounds` at equal scale, widened to the axes' own proportions so frames line up."""
    xmin, ymin, xmax, ymax = bounds
    box = ax.get_position(original=True)
    width_in, height_in = ax.figure.get_size_inches()
    ratio = (box.width * width_in) / (box.height * height_in)
    half_width = max(xmax - xmin, ratio * (ymax - ymin)) * (0.5 + margin)
    half_height = half_width / ratio
    x, y = (xmin + xmax) / 2, (ymin + ymax) / 2
    ax.set_xlim(x - half_width, x + half_width)
    ax.set_ylim(y - half_height, y + half_height)
    ax.set_aspect("equal")


def _draw_idf(fig, main, parts: _Parts, colours, fill, rect) -> None:
    """The Île-de-France zoom in `rect`, and its outline on the mainland map.

    Markers keep the mainland's size rule, so that a size means the same population anywhere.
    """
    bounds = _box_bounds(IDF_BOX, METRO_CRS)
    zoom = fig.add_axes(rect)
    zoom.set_label("inset-idf")
    _draw_zone(zoom, parts, "metro", colours, fill, bounds=bounds)
    zoom.set_title(IDF_LABEL, fontsize=9, pad=3)
    _frame(zoom)
    x0, y0, x1, y1 = bounds
    main.add_patch(
        Rectangle(
            (x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#555555", linewidth=0.6, zorder=5
        )
    )


def _legend_specs(
    classification: Classification | None,
    missing: bool,
    legend_title: str,
    points: gpd.GeoDataFrame | None,
) -> list[tuple[str, list, dict]]:
    """(title, handles, extra legend options) of each legend box, top to bottom."""
    specs = []
    if classification is not None and (classification.labels or missing):
        specs.append((legend_title, classification.legend(missing), {}))
    if points is not None and not points.empty:
        levels = pd.to_numeric(points["arobases"], errors="coerce")
        shown = [5, 4, 3, 2, 1] + ([0] if (levels == 0).any() else [])
        handles = [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=8,
                markerfacecolor=LEVEL_COLOURS[level],
                markeredgecolor=POINT_EDGE,
                markeredgewidth=0.5,
                label=LEVEL_LABELS[level],
            )
            for level in shown
        ]
        if levels.isna().any():
            handles.append(
                Patch(
                    facecolor=UNKNOWN_LEVEL_STYLE["facecolor"],
                    hatch=UNKNOWN_LEVEL_STYLE["hatch"],
                    edgecolor=POINT_EDGE,
                    linewidth=0.5,
                    label=UNKNOWN_LEVEL_LABEL,
                )
            )
        entities = [e for e in MARKERS if (points["entity"] == e).any()]
        if len(entities) > 1:  # the symbols' shapes, in the same box
            handles += [
                Line2D(
                    [],
                    [],
                    marker=MARKERS[e][0],
                    linestyle="",
                    markersize=7,
                    markerfacecolor="white",
                    markeredgecolor=POINT_EDGE,
                    markeredgewidth=0.6,
                    label=MARKERS[e][1],
                )
                for e in entities
            ]
        specs.append(("Niveau du label", handles, {}))
        population = pd.to_numeric(points["population"], errors="coerce").dropna()
        references = _reference_populations(population)
        if references:
            sizes = np.sqrt(point_area(references))
            handles = [
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markersize=size,
                    markerfacecolor="white",
                    markeredgecolor=POINT_EDGE,
                    markeredgewidth=0.6,
                    label=f"{format_fr(value)} hab.",
                )
                for value, size in zip(references, sizes)
            ]
            specs.append(
                ("Population", handles, {"marker_size": float(sizes.max()), "labelspacing": 0.6})
            )
    return specs


def _reference_populations(population: pd.Series) -> list[int]:
    """Up to four round populations spanning the laureates' (for the size legend)."""
    if population.empty:
        return []
    low, high = population.min(), population.max()
    chosen = [p for p in REFERENCE_POPULATIONS if low / 3 <= p <= high * 1.5]
    if not chosen:
        chosen = [min(REFERENCE_POPULATIONS, key=lambda p: abs(math.log(p / max(high, 1))))]
    return chosen[-4:]


def _stack_legends(fig, specs, x: float, top: float | None, bottom: float = 0.1) -> list:
    """Legend boxes one under the other from `top` (None: centred vertically) at `x`.

    The font shrinks (9, 8, then 7 pt) until the boxes fit between `top` (or the title) and
    `bottom` (the caption). A spec's "marker_size" option (pt) makes room for big markers.
    """
    if not specs:
        return []
    renderer = fig.canvas.get_renderer()
    gap = 0.02
    for fontsize in (9, 8, 7):
        legends = []
        for title, handles, options in specs:
            options = dict(options)
            marker = options.pop("marker_size", None)
            if marker:
                options["handleheight"] = max(0.7, marker / fontsize * 0.9)
                options["handlelength"] = max(2.0, marker / fontsize)
            legends.append(
                fig.legend(
                    handles=handles,
                    title=_wrap(title, 28),
                    loc="upper left",
                    bbox_to_anchor=(x, 1.0),
                    frameon=False,
                    fontsize=fontsize,
                    title_fontsize=fontsize + 1,
                    alignment="left",
                    **options,
                )
            )
        heights = [
            legend.get_window_extent(renderer).height / fig.bbox.height for legend in legends
        ]
        total = sum(heights) + gap * (len(heights) - 1)
        if total <= (top if top is not None else 0.9) - bottom or fontsize == 7:
            break
        for legend in legends:
            legend.remove()
    y = top if top is not None else max(0.5 + total / 2, bottom + total)
    y = min(y, 0.9) if top is None else y
    for legend, height in zip(legends, heights):
        legend.set_bbox_to_anchor((x, y), transform=fig.transFigure)
        y -= height + gap
    return legends


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


def _save(fig: Figure, out: Path | str | None, title: str, dpi: int) -> None:
    if out is None:
        return
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"{out}: unknown map format {out.suffix!r}, use .png, .svg or .pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, facecolor="white", metadata={"Title": title})


TITLE_WIDTH = 88  # characters on a line of the title at 15 pt, beyond which it wraps


def _title_lines(title: str, width: int = TITLE_WIDTH) -> list[str]:
    """The title on as few lines as it needs, broken after a comma when one is near the end."""
    if len(title) <= width:
        return [title]
    lines, line = [], ""
    for piece in title.split(", "):
        candidate = f"{line}, {piece}" if line else piece
        if len(candidate) + 1 <= width or not line:
            line = candidate
        else:
            lines.append(line + ",")
            line = piece
    lines.append(line)
    if any(len(text) > width for text in lines):
        return textwrap.wrap(title, width)
    return lines


def _texts(fig, title: str, subtitle: str | None, caption: str, notes: Sequence[str]) -> None:
    lines = _title_lines(title)
    fontsize = 15 if len(lines) == 1 else 13.5
    fig.suptitle("\n".join(lines), fontsize=fontsize, fontweight="bold", y=0.975)
    if subtitle:
        y = 0.937 - (len(lines) - 1) * fontsize * 1.2 / 72 / fig.get_size_inches()[1]
        fig.text(0.5, y, subtitle, fontsize=9.5, color=TEXT_GREY, ha="center", va="center")
    y = 0.015
    fig.text(0.02, y, caption, fontsize=7.5, color=TEXT_GREY, ha="left", va="bottom")
    for note in notes:
        y += 0.02
        fig.text(0.02, y, note, fontsize=7.5, color=TEXT_GREY, ha="left", va="bottom")


def france_map(
    layer: gpd.GeoDataFrame,
    values: pd.Series | None = None,
    *,
    title: str,
    caption: str,
    legend_title: str = "",
    scheme: str = "quantiles",
    k: int = MAX_CLASSES,
    bins: Sequence[float] | None = None,
    unit: str = "number",
    classification: Classification | None = None,
    points: gpd.GeoDataFrame | None = None,
    borders: gpd.GeoDataFrame | None = None,
    idf_inset: bool = False,
    subtitle: str | None = None,
    notes: Sequence[str] = (),
    out: Path | str | None = None,
    dpi: int = DPI,
) -> Figure:
    """One map of France: mainland in Lambert-93, five DROM insets, optional Île-de-France zoom.

    `layer`: polygons of any level and CRS, indexed by code. `values`: numbers by the same
    codes, classified once over the shapes drawn (`scheme`, `k`, `bins`, `unit`: see
    `classify`) unless a `classification` is given; a shape without value is hatched grey
    ("Données non disponibles"). `values=None` draws a plain background. `points`: laureates
    (WGS84 points with columns entity, arobases, population; see `laureate_points`), drawn
    over it. `borders`: outlines drawn over the shapes (départements over communes). The
    caption is one text of the figure, `notes` lines above it. `out`: PNG, SVG or PDF by
    extension.
    """
    parts = _Parts(
        split_zones(layer),
        split_zones(borders) if borders is not None else None,
        split_zones(points) if points is not None else None,
    )
    colours = None
    missing = False
    if values is not None:
        shown = pd.to_numeric(values, errors="raise").reindex(layer.index).astype(float)
        if classification is None:
            classification = classify(shown, scheme, k, bins, unit=unit)
        colours = classification.colour(shown)
        drawn = pd.concat([part.index.to_series() for part in parts.shapes.values()])
        missing = bool(colours.reindex(drawn.index).isna().any())
    fill = POINTS_BACKGROUND if points is not None else NO_VALUES_COLOUR

    fig = plt.figure(figsize=FIGSIZE)
    main = fig.add_axes(MAIN_BOX)
    main.set_label("metro")
    _draw_zone(main, parts, "metro", colours, fill)
    for position, (code, (label, _)) in enumerate(DROM_INSETS.items()):
        bottom = INSET_TOP - position * INSET_STEP
        inset = fig.add_axes((INSET_LEFT, bottom, INSET_WIDTH, INSET_HEIGHT))
        inset.set_label(f"inset-{code}")
        _draw_zone(inset, parts, code, colours, fill)
        inset.set_title(label, fontsize=9, pad=3)
        _frame(inset)
    fig.text(
        INSET_LEFT, INSET_TOP - 4 * INSET_STEP - 0.03, INSETS_NOTE, fontsize=7, color="#555555"
    )
    if idf_inset:
        _draw_idf(fig, main, parts, colours, fill, IDF_AXES_BOX)
    specs = _legend_specs(
        classification if values is not None else None, missing, legend_title, points
    )
    _stack_legends(
        fig,
        specs,
        RIGHT_COLUMN,
        IDF_AXES_BOX[1] - 0.04 if idf_inset else None,
        bottom=0.035 + 0.02 * len(notes),
    )
    _texts(fig, title, subtitle, caption, notes)
    _save(fig, out, title, dpi)
    return fig


def small_multiples(
    layer: gpd.GeoDataFrame,
    panels: Mapping[str, pd.Series],
    *,
    title: str,
    caption: str,
    legend_title: str,
    scheme: str = "quantiles",
    k: int = MAX_CLASSES,
    bins: Sequence[float] | None = None,
    unit: str = "number",
    borders: gpd.GeoDataFrame | None = None,
    subtitle: str | None = None,
    panel_notes: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    ncols: int | None = None,
    out: Path | str | None = None,
    dpi: int = DPI,
) -> Figure:
    """One map per panel (e.g. per edition) with the same classes for all, and one legend.

    `panels`: panel title → values by code of `layer`. The values of every panel are pooled
    and classified once (`classify`), so a colour means the same range in every panel. Each
    panel has the mainland and a row of five labelled DROM insets under it. `panel_notes`:
    a line under a panel's title (e.g. how many laureates it holds).
    """
    if not panels:
        raise ValueError("no panel to draw")
    shown = {
        name: pd.to_numeric(values, errors="raise").reindex(layer.index).astype(float)
        for name, values in panels.items()
    }
    classification = classify(list(shown.values()), scheme, k, bins, unit=unit)
    parts = _Parts(split_zones(layer), split_zones(borders) if borders is not None else None, None)
    drawn = pd.concat([part.index.to_series() for part in parts.shapes.values()]).index

    n = len(shown)
    ncols = ncols or (n if n <= 3 else 2 if n == 4 else 3)
    nrows = math.ceil(n / ncols)
    width_in, legend_in, side_in = 11.0, 2.3, 0.15
    cell_w = (width_in - legend_in - side_in) / ncols
    note_lines = {
        name: textwrap.wrap(note, int(cell_w * 16))  # 7.5 pt: ~16 characters/inch
        for name, note in (panel_notes or {}).items()
    }
    extra = max((len(lines) for lines in note_lines.values()), default=1) - 1
    metro_h, inset_h, head_h, gap_h = 0.92 * cell_w, 0.22 * cell_w, 0.45 + 0.13 * extra, 0.15
    cell_h = head_h + metro_h + inset_h + 0.2 + gap_h
    title_lines = _title_lines(title)
    top_in = (1.05 if subtitle else 0.8) + 0.25 * (len(title_lines) - 1)
    bottom_in = 0.5 + 0.18 * len(notes)
    height_in = top_in + nrows * cell_h + bottom_in
    fig = plt.figure(figsize=(width_in, height_in))
    missing = False
    for i, (name, values) in enumerate(shown.items()):
        row, col = divmod(i, ncols)
        left = side_in + col * cell_w
        top = height_in - top_in - row * cell_h
        colours = classification.colour(values)
        missing |= bool(colours.reindex(drawn).isna().any())
        metro_box = (
            left / width_in,
            (top - head_h - metro_h) / height_in,
            (cell_w - 0.1) / width_in,
            metro_h / height_in,
        )
        main = fig.add_axes(metro_box)
        main.set_label(f"{name}/metro")
        _draw_zone(main, parts, "metro", colours, NO_VALUES_COLOUR)
        fig.text(
            (left + cell_w / 2) / width_in,
            (top - 0.12) / height_in,
            name,
            fontsize=12,
            fontweight="bold",
            ha="center",
            va="top",
        )
        if name in note_lines:
            fig.text(
                (left + cell_w / 2) / width_in,
                (top - 0.36) / height_in,
                "\n".join(note_lines[name]),
                fontsize=7.5,
                color=TEXT_GREY,
                ha="center",
                va="top",
            )
        step = (cell_w - 0.1) / len(DROM_INSETS)
        for j, (code, (label, _)) in enumerate(DROM_INSETS.items()):
            box = (
                (left + j * step + 0.03) / width_in,
                (top - head_h - metro_h - inset_h - 0.02) / height_in,
                (step - 0.06) / width_in,
                (inset_h - 0.18) / height_in,
            )
            inset = fig.add_axes(box)
            inset.set_label(f"{name}/inset-{code}")
            _draw_zone(inset, parts, code, colours, NO_VALUES_COLOUR)
            inset.set_title(label, fontsize=6, pad=1.5)
            _frame(inset)
    specs = _legend_specs(classification, missing, legend_title, None)
    x = (width_in - legend_in + 0.1) / width_in
    legends = _stack_legends(fig, specs, x, None)
    renderer = fig.canvas.get_renderer()
    below = min(
        [legend.get_window_extent(renderer).y0 / fig.bbox.height for legend in legends], default=0.5
    )
    fig.text(
        x,
        below - 0.01,
        f"Mêmes classes pour toutes les cartes\n"
        f"({SCHEMES[classification.scheme][1]}).\n{INSETS_NOTE}.",
        fontsize=7.5,
        color="#555555",
        va="top",
        linespacing=1.4,
    )
    fig.suptitle("\n".join(title_lines), fontsize=15, fontweight="bold", y=1 - 0.3 / height_in)
    if subtitle:
        fig.text(
            0.5,
            1 - (0.7 + 0.25 * (len(title_lines) - 1)) / height_in,
            subtitle,
            fontsize=9.5,
            color=TEXT_GREY,
            ha="center",
            va="center",
        )
    y = 0.2 / height_in
    fig.text(0.02, y, caption, fontsize=7.5, color=TEXT_GREY, ha="left", va="bottom")
    for note in notes:
        y += 0.18 / height_in
        fig.text(0.02, y, note, fontsize=7.5, color=TEXT_GREY, ha="left", va="bottom")
    fig.classification = classification  # what the panels share, for callers and tests
    _save(fig, out, title, dpi)
    return fig


def plot_departements(
    departements: gpd.GeoDataFrame,
    values: pd.Series | None,
    *,
    title: str,
    legend_title: str,
    caption: str,
    out: Path | None,
) -> Figure:
    """Draw a choropleth of `values` (numbers indexed by département code) by département.

    `departements` is the cached département layer (any CRS, indexed by code). Values are put
    in up to five quantile classes of the départements drawn; a département without a value is
    hatched grey. With `values=None` the map is a plain background. When `out` is given the
    figure is saved there, in the format of its extension (PNG at 300 dpi, SVG or PDF).
    """
    return france_map(
        departements,
        values,
        title=title,
        legend_title=legend_title,
        caption=caption,
        scheme="quantiles",
        k=MAX_CLASSES,
        out=out,
    )


# ---------------------------------------------------------------------------------------------
# The palmarès on maps (warehouse + cached geometry)


@dataclass(frozen=True)
class Level:
    key: str  # code column of the cached layer and of the reference tables
    per: str  # "par département"
    name: str  # "département"


LEVELS = {
    "region": Level("region_code", "par région", "région"),
    "departement": Level("departement_code", "par département", "département"),
    "epci": Level("epci_siren", "par intercommunalité", "intercommunalité (EPCI)"),
    "commune": Level("commune_code", "par commune", "commune"),
}


@dataclass(frozen=True)
class Variable:
    title: str  # starts the map's title
    legend_title: str
    unit: str  # see classify


#: What a choropleth can show, for the collectivities labelled in the editions asked for, in
#: our (partial) data. "points" draws the laureates themselves over a plain background.
VARIABLES = {
    "laureates": Variable(
        "Collectivités labellisées dans nos données",
        "Collectivités labellisées (dans nos données)",
        "number",
    ),
    "population_share": Variable(
        "Part de la population couverte par le label dans nos données",
        "Population d'une commune labellisée ou d'une intercommunalité labellisée",
        "percent",
    ),
    "max_arobases": Variable(
        "Niveau le plus élevé du label dans nos données", "Niveau le plus élevé", "arobases"
    ),
    "points": Variable("Lauréats dans nos données", "", "number"),
}
DEFAULT_VARIABLE = {
    "region": "laureates",
    "departement": "laureates",
    "epci": "points",
    "commune": "points",
}
PALMARES_NOTE = (
    "Palmarès partiel : une collectivité absente de nos données n'est pas une "
    "collectivité non labellisée."
)


def caption_for(con, scheme: str | None) -> str:
    """Sources and vintages, from the warehouse's build_info (COG year)."""
    cog = provenance.cog_vintage(con)
    text = (
        (coverage.SYNTHETIC_WARNING if coverage.synthetic_flag(con) else "")
        + "Sources : Villes Internet (palmarès rassemblé par le projet), INSEE (populations "
        f"légales, COG {cog}) ; fond : {provenance.geometry_credit()}, COG {cog}"
    )
    if scheme:
        text += f". Classes : {SCHEMES[scheme][1]}"
    return text + "."


def _editions(con, edition: int | Iterable[int] | None) -> list[int]:
    """The editions asked for (None: every edition with laureates), checked against `edition`."""
    held = provenance.editions_held(con)
    if edition is None:
        if not held:
            raise ValueError("no laureate in the warehouse")
        return held
    asked = sorted(
        {int(edition)} if isinstance(edition, (int, np.integer)) else {int(e) for e in edition}
    )
    known = set(provenance.editions(con))
    unknown = [e for e in asked if e not in known]
    if unknown:
        raise ValueError(
            f"unknown edition {', '.join(map(str, unknown))} "
            f"(editions known: {min(known)}-{max(known)})"
            if known
            else "no edition in the warehouse"
        )
    if not set(asked) & set(held):
        raise ValueError(f"no laureate of edition {', '.join(map(str, asked))} in our data")
    return asked


def editions_label(editions: Sequence[int]) -> str:
    """ "édition 2024", "éditions 2021 à 2024", "éditions 2008, 2009 et 2024"."""
    editions = sorted(editions)
    if len(editions) == 1:
        return f"édition {editions[0]}"
    if editions == list(range(editions[0], editions[-1] + 1)) or len(editions) > 4:
        return f"éditions {editions[0]} à {editions[-1]}"
    return f"éditions {', '.join(map(str, editions[:-1]))} et {editions[-1]}"


def _communes(con) -> pd.DataFrame:
    """Current communes with their département, région, EPCI and population."""
    return (
        con.execute("""
        SELECT c.commune_code, c.departement_code, c.region_code, m.epci_siren,
               c.population::DOUBLE AS population
        FROM commune c LEFT JOIN epci_member m USING (commune_code)
        WHERE c.commune_kind = 'commune'
    """)
        .df()
        .set_index("commune_code")
    )


def _level_units(con, level: str) -> pd.Index:
    table, key = {
        "region": ("region", "region_code"),
        "departement": ("departement", "departement_code"),
        "epci": ("epci", "epci_siren"),
        "commune": ("commune WHERE commune_kind = 'commune'", "commune_code"),
    }[level]
    return pd.Index(
        [c for (c,) in con.execute(f"SELECT {key} FROM {table}").fetchall()], name=LEVELS[level].key
    )


def laureate_table(con, editions: Sequence[int]) -> pd.DataFrame:
    """One row per collectivity labelled in `editions` in our data, indexed by code.

    entity, name (as published in its latest edition of `editions`), arobases (level in that
    edition; <NA> when the source does not state it), max_arobases (highest stated level over
    `editions`), population (reference population of the commune or EPCI), and the
    departement_code, region_code it is placed in: a commune's own; for an EPCI those holding
    the largest part of its members' population. epci_siren: a commune's EPCI.
    """
    rows = con.execute(
        "SELECT edition, code, entity, name, arobases::INTEGER AS arobases FROM laureates"
    ).df()
    rows = rows[rows["edition"].isin(list(editions))]
    rows["arobases"] = pd.to_numeric(rows["arobases"]).astype("Int64")
    rows = rows.sort_values(["code", "edition"])
    last_rows = rows.drop_duplicates("code", keep="last").set_index("code")  # keeps an NA level
    table = pd.DataFrame(
        {
            "entity": last_rows["entity"],
            "name": last_rows["name"],
            "arobases": last_rows["arobases"],
            "max_arobases": rows.groupby("code")["arobases"].max(),
            "editions": rows.groupby("code")["edition"].nunique(),
        },
        index=last_rows.index,
    )
    communes = _communes(con)
    epci = (
        con.execute("""
        SELECT e.epci_siren, e.population::DOUBLE AS population, p.departement_code, p.region_code
        FROM epci e LEFT JOIN epci_place p USING (epci_siren)
    """)
        .df()
        .set_index("epci_siren")
    )
    is_commune = table["entity"] == "commune"
    for column in ("departement_code", "region_code", "population"):
        table[column] = np.where(
            is_commune, table.index.map(communes[column]), table.index.map(epci[column])
        )
    table["epci_siren"] = np.where(is_commune, table.index.map(communes["epci_siren"]), None)
    table["population"] = pd.to_numeric(table["population"])
    return table.rename_axis("code")


def level_values(con, level: str, editions: Sequence[int], variable: str) -> pd.Series:
    """`variable` (see VARIABLES) for every unit of `level`, over the laureates of `editions`.

    - laureates: collectivities labelled, counted in their unit (an EPCI in the département or
      région holding most of its population, in itself at EPCI level; communes in their EPCI);
      at commune level, the commune's own label (EPCI are not counted). 0 where none.
    - population_share: % of the unit's population living in a labelled commune or in a
      member commune of a labelled EPCI.
    - max_arobases: highest stated @ level among those collectivities; missing where none has
      a stated level.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: expected one of {', '.join(LEVELS)}")
    if variable not in VARIABLES or variable == "points":
        raise ValueError(
            f"unknown variable {variable!r}: expected one of "
            f"{', '.join(v for v in VARIABLES if v != 'points')}"
        )
    key = LEVELS[level].key
    units = _level_units(con, level)
    table = laureate_table(con, editions)
    if variable == "population_share":
        communes = _communes(con)
        labelled_epci = set(table.index[table["entity"] == "epci"])
        covered = communes.index.isin(table.index[table["entity"] == "commune"]) | communes[
            "epci_siren"
        ].isin(labelled_epci)
        frame = communes.assign(covered_people=communes["population"].where(covered, 0))
        unit_of = frame.index.to_series() if level == "commune" else frame[key]
        grouped = frame.groupby(unit_of)[["covered_people", "population"]].sum()
        share = (
            100 * grouped["covered_people"] / grouped["population"].where(grouped["population"] > 0)
        )
        return share.reindex(units).rename(variable)
    if level == "commune":
        table = table[table["entity"] == "commune"]
        unit_of = table.index.to_series()
    elif level == "epci":
        unit_of = pd.Series(
            np.where(table["entity"] == "epci", table.index, table["epci_siren"]), index=table.index
        )
    else:
        unit_of = table[key]
    if variable == "laureates":
        counts = table.groupby(unit_of).size()
        return counts.reindex(units, fill_value=0).astype(float).rename(variable)
    best = table["max_arobases"].astype(float).groupby(unit_of).max()
    return best.reindex(units).rename(variable)


def _layer(geometry_dir, level: str, layers: dict | None = None) -> gpd.GeoDataFrame:
    """A cached layer, read once per `layers` dict (a map may need it twice)."""
    from pipeline.build.sources.geometry import read_cached_layer

    if layers is None:
        return read_cached_layer(geometry_dir, level)
    if level not in layers:
        layers[level] = read_cached_layer(geometry_dir, level)
    return layers[level]


def laureate_points(
    con, geometry_dir, editions: Sequence[int], layers: dict | None = None
) -> gpd.GeoDataFrame:
    """The laureates of `editions` as points (WGS84), indexed by code.

    A commune at its polygon's representative point, an EPCI at its polygon's; columns of
    `laureate_table`. Geometry is empty (None) for a collectivity without polygon (overseas
    collectivities).
    """
    table = laureate_table(con, editions)
    geometry = pd.Series(None, index=table.index, dtype=object)
    for entity, level in (("commune", "commune"), ("epci", "epci")):
        codes = table.index[table["entity"] == entity]
        if len(codes):
            shapes = _layer(geometry_dir, level, layers).geometry
            shapes = shapes.reindex(codes)
            shapes = shapes[shapes.notna()]
            geometry[shapes.index] = list(shapes.representative_point())
    return gpd.GeoDataFrame(table, geometry=list(geometry), crs=WGS84)


def _unplaced_note(points: gpd.GeoDataFrame) -> str | None:
    """Which laureates the map cannot place (no polygon: overseas collectivities)."""
    lost = points[points.geometry.isna()]
    if lost.empty:
        return None
    names = ", ".join(
        sorted(
            f"{name} ({departement})"
            for name, departement in zip(lost["name"], lost["departement_code"])
        )
    )
    return f"Non représentées faute de fond de carte : {names}."


def edition_map(
    con,
    geometry_dir: Path | str,
    edition: int | Iterable[int] | None,
    level: str = "departement",
    out: Path | str | None = None,
    *,
    variable: str | None = None,
    scheme: str = "quantiles",
    k: int = MAX_CLASSES,
    bins: Sequence[float] | None = None,
    points: bool = False,
    idf_inset: bool = False,
    title: str | None = None,
    dpi: int = DPI,
) -> Figure:
    """The map of an edition (or of several, pooled) at one level, saved to `out` if given.

    `con`: read-only DuckDB connection to the warehouse; `geometry_dir`: the geometry cache
    (`Paths.geometry_cache`). `edition`: a label year, several, or None for every edition in
    our data. `level`: "region", "departement", "epci" or "commune". `variable`: one of
    VARIABLES; default "laureates" (région, département) or "points" (EPCI, commune: the
    laureates as markers over the level's shapes). `points=True` adds the laureates' markers
    over a choropleth. `scheme`, `k`, `bins`: see `classify`. `out`: .png (at `dpi`), .svg
    or .pdf. Raises ValueError for an unknown level, variable, scheme, format or edition, or an
    edition without laureate in our data. The caller closes the returned figure.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: expected one of {', '.join(LEVELS)}")
    variable = variable or DEFAULT_VARIABLE[level]
    if variable not in VARIABLES:
        raise ValueError(f"unknown variable {variable!r}: expected one of {', '.join(VARIABLES)}")
    if out is not None and Path(out).suffix.lower() not in FORMATS:
        raise ValueError(f"{out}: unknown map format, use .png, .svg or .pdf")
    editions = _editions(con, edition)
    spec = VARIABLES[variable]
    layers: dict[str, gpd.GeoDataFrame] = {}
    layer = _layer(geometry_dir, level, layers)
    borders = _layer(geometry_dir, "departement", layers) if level in ("epci", "commune") else None
    values = None if variable == "points" else level_values(con, level, editions, variable)
    laureates = (
        laureate_points(con, geometry_dir, editions, layers)
        if variable == "points" or points
        else None
    )
    if bins is not None:
        scheme = "user"
    label = editions_label(editions)
    if title is None:
        title = (
            f"{spec.title}, {label}"
            if variable == "points"
            else f"{spec.title}, {label}, {LEVELS[level].per}"
        )
    subtitle = _coverage(con, editions)
    notes = [PALMARES_NOTE]
    if variable == "points" or points:
        notes.insert(
            0,
            "Lauréats placés au point représentatif de leur commune ou "
            "intercommunalité ; surface des symboles proportionnelle à la "
            "population"
            + (" ; niveau de la dernière édition de la période" if len(editions) > 1 else "")
            + ".",
        )
        note = _unplaced_note(laureates)
        if note:
            notes.insert(0, note)
    return france_map(
        layer,
        values,
        title=title,
        caption=caption_for(con, None if values is None else scheme),
        legend_title=spec.legend_title,
        scheme=scheme,
        k=k,
        bins=bins,
        unit=spec.unit,
        points=laureates,
        borders=borders,
        idf_inset=idf_inset,
        subtitle=subtitle,
        notes=notes,
        out=out,
        dpi=dpi,
    )


def _coverage(con, editions: Sequence[int]) -> str:
    """How much of the editions our data hold (the coverage of `analysis.coverage`), and how
    many of them the map places."""
    cov = coverage.coverage_model(con)
    placed = con.execute(
        "SELECT count(DISTINCT (edition, code)) FROM laureates WHERE list_contains(?, edition)",
        [list(editions)],
    ).fetchone()[0]
    if len(editions) == 1:
        text = coverage.held_sentence(coverage.scope_row(cov, editions[0]))
    else:
        whole = cov[(cov["scope"] == "all") & cov["edition"].isin(list(editions))]
        complete = [e for e in coverage.complete_editions(cov) if e in editions]
        text = (
            f"{format_fr(int(whole['held'].sum()))} attributions du label détenues ; éditions "
            f"complètes : {', '.join(map(str, complete)) or 'aucune'}"
        )
    return f"{text} ; {format_fr(placed)} identifiées et placées sur la carte"


def edition_small_multiples(
    con,
    geometry_dir: Path | str,
    editions: Iterable[int],
    level: str = "region",
    out: Path | str | None = None,
    *,
    variable: str = "laureates",
    scheme: str = "quantiles",
    k: int = MAX_CLASSES,
    bins: Sequence[float] | None = None,
    title: str | None = None,
    dpi: int = DPI,
) -> Figure:
    """One map per edition at `level`, classified once over all of them (see small_multiples)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: expected one of {', '.join(LEVELS)}")
    if variable not in VARIABLES or variable == "points":
        raise ValueError(f"unknown variable {variable!r} for small multiples")
    editions = _editions(con, list(editions))
    spec = VARIABLES[variable]
    layer = _layer(geometry_dir, level)
    borders = _layer(geometry_dir, "departement") if level in ("epci", "commune") else None
    panels = {str(e): level_values(con, level, [e], variable) for e in editions}
    cov = coverage.coverage_model(con)
    panel_notes = {str(e): coverage.held_sentence(coverage.scope_row(cov, e)) for e in editions}
    if bins is not None:
        scheme = "user"
    if title is None:
        title = f"{spec.title}, {editions_label(editions)}, {LEVELS[level].per}"
    return small_multiples(
        layer,
        panels,
        title=title,
        caption=caption_for(con, scheme),
        legend_title=spec.legend_title,
        scheme=scheme,
        k=k,
        bins=bins,
        unit=spec.unit,
        borders=borders,
        subtitle="Collectivités labellisées (communes et intercommunalités) "
        "identifiées dans nos données, par édition",
        panel_notes=panel_notes,
        notes=[PALMARES_NOTE],
        out=out,
        dpi=dpi,
    )


# ---------------------------------------------------------------------------------------------
# Sample maps of docs/maps


SAMPLE_DPI = 150


def write_samples(directory: Path | str, paths=None, dpi: int = SAMPLE_DPI) -> list[Path]:
    """The sample maps of docs/maps, from the real warehouse and geometry cache (read-only)."""
    import duckdb

    from pipeline.paths import Paths

    paths = paths or Paths.from_env()
    directory = Path(directory)
    geometry_dir = paths.geometry_cache
    written = []
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        samples = [
            (
                "departements_laureats_2000-2026.png",
                lambda out: edition_map(
                    con,
                    geometry_dir,
                    None,
                    "departement",
                    out,
                    variable="laureates",
                    scheme="fisher_jenks",
                    k=5,
                    idf_inset=True,
                    dpi=dpi,
                ),
            ),
            (
                "departements_niveau_max_2000-2026.png",
                lambda out: edition_map(
                    con,
                    geometry_dir,
                    None,
                    "departement",
                    out,
                    variable="max_arobases",
                    bins=[1, 2, 3, 4, 5],
                    dpi=dpi,
                ),
            ),
            (
                "communes_laureats_2024.png",
                lambda out: edition_map(
                    con, geometry_dir, 2024, "commune", out, variable="points", dpi=dpi
                ),
            ),
            (
                "epci_population_2000-2026.png",
                lambda out: edition_map(
                    con,
                    geometry_dir,
                    None,
                    "epci",
                    out,
                    variable="population_share",
                    bins=[0, 10, 25, 50, 75, 100],
                    idf_inset=True,
                    dpi=dpi,
                ),
            ),
            (
                "regions_2021-2026_small_multiples.png",
                lambda out: edition_small_multiples(
                    con,
                    geometry_dir,
                    range(2021, 2027),
                    "region",
                    out,
                    variable="laureates",
                    scheme="fisher_jenks",
                    k=4,
                    dpi=dpi,
                ),
            ),
        ]
        for name, draw in samples:
            out = directory / name
            plt.close(draw(out))
            _shrink_png(out)
            written.append(out)
    finally:
        con.close()
    return written


def _shrink_png(path: Path) -> None:
    """Rewrite a PNG with a 256-colour palette (no dithering): samples stay small in git."""
    from PIL import Image, PngImagePlugin

    with Image.open(path) as image:
        info = PngImagePlugin.PngInfo()
        for key, value in image.text.items():
            info.add_text(key, value)
        dpi = image.info.get("dpi")
        small = image.convert("RGB").quantize(256, dither=Image.Dither.NONE)
    small.save(path, optimize=True, pnginfo=info, dpi=dpi)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.report.maps", description="Write the sample maps of docs/maps."
    )
    parser.add_argument(
        "--samples",
        metavar="DIR",
        required=True,
        help="directory to write the sample PNGs to (e.g. docs/maps)",
    )
    parser.add_argument("--dpi", type=int, default=SAMPLE_DPI)
    args = parser.parse_args(argv)
    for path in write_samples(args.samples, dpi=args.dpi):
        print(f"{path} ({path.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
