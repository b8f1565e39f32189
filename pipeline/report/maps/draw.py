"""Drawing France from GeoDataFrames and values, without the warehouse.

Metropolitan France is drawn in Lambert-93 (EPSG:2154) with the five overseas départements as
labelled insets, each in its local UTM projection, and an optional Île-de-France zoom:
`france_map` (one map: choropleth, laureates as points, or both), `small_multiples` (one map
per panel, classes shared) and `plot_departements` (the notebooks' original entry point).
Each colour class of a zone is one matplotlib path: that is what makes 35,000 communes quick.
A single map is drawn in two layers, so that `background` can render the first once: the
axes with their shapes, borders, frames and titles (`single_map_axes`), then the points and
the texts (`draw_points`, `finish_single_map`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.path import Path as MplPath

from pipeline.report.maps.classes import Classification, classify
from pipeline.report.maps.layout import (
    TextPlaces,
    add_texts,
    legend_specs,
    save,
    shared_classes_note,
    stack_legends,
    title_lines,
)
from pipeline.report.maps.style import (
    DPI,
    DROM_BOXES,
    DROM_INSETS,
    FIGSIZE,
    IDF_AXES,
    IDF_AXES_BOX,
    IDF_BOX,
    INSET_LEFT,
    INSET_STEP,
    INSET_TOP,
    INSETS_NOTE,
    LEVEL_COLOURS,
    MARKERS,
    MAX_CLASSES,
    METRO_CRS,
    MISSING_STYLE,
    NO_VALUES_COLOUR,
    NOTE_GREY,
    OVERLAY_BORDER,
    POINT_EDGE,
    POINTS_BACKGROUND,
    RIGHT_COLUMN,
    TEXT_GREY,
    UNKNOWN_LEVEL_STYLE,
    WGS84,
    point_area,
    single_map_places,
)

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


@dataclass
class Parts:
    """What one map (or panel) draws, split by zone: shapes, borders over them, points."""

    shapes: dict[str, gpd.GeoDataFrame]
    borders: dict[str, gpd.GeoDataFrame] | None
    points: dict[str, gpd.GeoDataFrame] | None

    @classmethod
    def split(cls, layer, borders=None, points=None) -> Parts:
        return cls(
            split_zones(layer),
            split_zones(borders) if borders is not None else None,
            split_zones(points) if points is not None else None,
        )

    def drawn(self) -> pd.Index:
        """Codes of the shapes drawn (those with a geometry, in any zone)."""
        return pd.concat([part.index.to_series() for part in self.shapes.values()]).index


# ---------------------------------------------------------------------------------------------
# Shapes and points


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


def draw_points(ax, points: gpd.GeoDataFrame) -> None:
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
        own = points[points["entity"] == entity]
        level = pd.to_numeric(own["arobases"], errors="coerce")
        known, unknown = own[level.notna()], own[level.isna()]
        common = {"marker": MARKERS[entity][0], "edgecolors": POINT_EDGE, "linewidths": 0.5}
        if not known.empty:
            colours = [LEVEL_COLOURS[int(a)] for a in pd.to_numeric(known["arobases"])]
            ax.scatter(
                known.geometry.x,
                known.geometry.y,
                s=known["_area"],
                c=colours,
                zorder=4,
                label=f"points-{entity}",
                **common,
            )
        if not unknown.empty:
            ax.scatter(
                unknown.geometry.x,
                unknown.geometry.y,
                s=unknown["_area"],
                facecolors=UNKNOWN_LEVEL_STYLE["facecolor"],
                hatch=UNKNOWN_LEVEL_STYLE["hatch"],
                zorder=4,
                label=f"points-{entity}-unknown",
                **common,
            )


# ---------------------------------------------------------------------------------------------
# Zones, insets and zoom


def _draw_zone(
    ax, parts: Parts, zone: str, colours: pd.Series | None, fill: str, bounds=None
) -> None:
    """Shapes and borders of one zone ("metro" or a DROM code) in `ax`, fitted to the zone (or
    to `bounds`, a zoom)."""
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


def _draw_insets(fig, boxes, parts: Parts, colours, fill, prefix: str, title: dict) -> None:
    """The five DROM insets, one in each of `boxes` (top to bottom or left to right), labelled
    `<prefix>inset-<code>` and titled with `title` (fontsize, pad)."""
    for box, (code, (label, _)) in zip(boxes, DROM_INSETS.items()):
        inset = fig.add_axes(box)
        inset.set_label(f"{prefix}inset-{code}")
        _draw_zone(inset, parts, code, colours, fill)
        inset.set_title(label, **title)
        _frame(inset)


def single_map_axes(
    fig: Figure, parts: Parts, colours: pd.Series | None, fill: str, idf_inset: bool
) -> dict[str, Axes]:
    """The axes of a single map by label (`single_map_places`), drawn: shapes, borders, and
    the insets' frames and titles. All that is under the points, and nothing else."""
    axes = {}
    for label, place in single_map_places(idf_inset).items():
        ax = fig.add_axes(place.box)
        ax.set_label(label)
        zoom = _box_bounds(IDF_BOX, METRO_CRS) if label == IDF_AXES else None
        _draw_zone(ax, parts, place.zone, colours, fill, bounds=zoom)
        if place.title:
            ax.set_title(place.title, fontsize=9, pad=3)
            _frame(ax)
        axes[label] = ax
    return axes


def draw_single_points(axes: dict[str, Axes], points: dict[str, gpd.GeoDataFrame]) -> None:
    """The laureates' markers in each axes of a single map: the points of the zone it shows
    (`points` split by `split_zones`). One size rule in every axes, the zoom included, so that
    a size means the same population anywhere."""
    places = single_map_places(IDF_AXES in axes)
    for label, ax in axes.items():
        draw_points(ax, points[places[label].zone])


def finish_single_map(
    fig: Figure,
    axes: dict[str, Axes],
    specs: list,
    *,
    title: str,
    subtitle: str | None,
    caption: str,
    notes: Sequence[str],
    out: Path | str | None,
    dpi: int,
) -> None:
    """What a single map draws over its axes and points: the insets' note, the outline of
    the Île-de-France zoom on the mainland, the legends (`legend_specs`), title, subtitle,
    caption and notes; then the file."""
    fig.text(
        INSET_LEFT, INSET_TOP - 4 * INSET_STEP - 0.03, INSETS_NOTE, fontsize=7, color=NOTE_GREY
    )
    idf_inset = IDF_AXES in axes
    if idf_inset:
        x0, y0, x1, y1 = _box_bounds(IDF_BOX, METRO_CRS)
        axes["metro"].add_patch(
            Rectangle(
                (x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=NOTE_GREY, linewidth=0.6, zorder=5
            )
        )
    stack_legends(
        fig,
        specs,
        RIGHT_COLUMN,
        IDF_AXES_BOX[1] - 0.04 if idf_inset else None,
        bottom=0.035 + 0.02 * len(notes),
    )
    lines = title_lines(title)
    add_texts(
        fig, lines, TextPlaces.single(lines, fig.get_size_inches()[1]), subtitle, caption, notes
    )
    save(fig, out, title, dpi)


# ---------------------------------------------------------------------------------------------
# Figures


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
    extension. (`background.points_map` draws the same map without values over shapes
    rendered once.)
    """
    parts = Parts.split(layer, borders, points)
    colours = None
    missing = False
    if values is not None:
        shown = pd.to_numeric(values, errors="raise").reindex(layer.index).astype(float)
        if classification is None:
            classification = classify(shown, scheme, k, bins, unit=unit)
        colours = classification.colour(shown)
        missing = bool(colours.reindex(parts.drawn()).isna().any())
    fill = POINTS_BACKGROUND if points is not None else NO_VALUES_COLOUR

    fig = plt.figure(figsize=FIGSIZE)
    axes = single_map_axes(fig, parts, colours, fill, idf_inset)
    if parts.points is not None:
        draw_single_points(axes, parts.points)
    specs = legend_specs(
        classification if values is not None else None, missing, legend_title, points
    )
    finish_single_map(
        fig,
        axes,
        specs,
        title=title,
        subtitle=subtitle,
        caption=caption,
        notes=notes,
        out=out,
        dpi=dpi,
    )
    return fig


@dataclass
class _Grid:
    """Small multiples' geometry, in inches: columns and rows of cells, each a panel's title
    and note (`note_lines`, wrapped to the cell), its mainland, and its row of insets; the
    legend column on the right."""

    ncols: int
    cell_w: float
    note_lines: dict[str, list[str]]
    head_h: float
    metro_h: float
    inset_h: float
    cell_h: float
    top_in: float
    height_in: float
    width_in: float = 11.0
    legend_in: float = 2.3
    side_in: float = 0.15

    @classmethod
    def make(cls, n: int, ncols, panel_notes, lines, subtitle, notes) -> _Grid:
        ncols = ncols or (n if n <= 3 else 2 if n == 4 else 3)
        nrows = math.ceil(n / ncols)
        cell_w = (cls.width_in - cls.legend_in - cls.side_in) / ncols
        note_lines = {
            name: textwrap.wrap(note, int(cell_w * 16))  # 7.5 pt: ~16 characters/inch
            for name, note in (panel_notes or {}).items()
        }
        extra = max((len(wrapped) for wrapped in note_lines.values()), default=1) - 1
        metro_h, inset_h, head_h = 0.92 * cell_w, 0.22 * cell_w, 0.45 + 0.13 * extra
        cell_h = head_h + metro_h + inset_h + 0.2 + 0.15
        top_in = (1.05 if subtitle else 0.8) + 0.25 * (len(lines) - 1)
        height_in = top_in + nrows * cell_h + (0.5 + 0.18 * len(notes))
        return cls(ncols, cell_w, note_lines, head_h, metro_h, inset_h, cell_h, top_in, height_in)


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
    parts = Parts.split(layer, borders)
    drawn = parts.drawn()
    lines = title_lines(title)
    grid = _Grid.make(len(shown), ncols, panel_notes, lines, subtitle, notes)
    fig = plt.figure(figsize=(grid.width_in, grid.height_in))
    missing = False
    for i, (name, values) in enumerate(shown.items()):
        colours = classification.colour(values)
        missing |= bool(colours.reindex(drawn).isna().any())
        _draw_panel(fig, grid, i, name, parts, colours)
    specs = legend_specs(classification, missing, legend_title, None)
    x = (grid.width_in - grid.legend_in + 0.1) / grid.width_in
    legends = stack_legends(fig, specs, x, None)
    shared_classes_note(fig, legends, x, classification.scheme)
    add_texts(fig, lines, TextPlaces.panels(lines, grid.height_in), subtitle, caption, notes)
    fig.classification = classification  # what the panels share, for callers and tests
    save(fig, out, title, dpi)
    return fig


def _draw_panel(fig, grid: _Grid, i: int, name: str, parts: Parts, colours) -> None:
    """Panel `i` of small multiples: its title and note, its mainland, its row of insets."""
    row, col = divmod(i, grid.ncols)
    width_in, height_in = grid.width_in, grid.height_in
    left = grid.side_in + col * grid.cell_w
    top = height_in - grid.top_in - row * grid.cell_h
    metro_box = (
        left / width_in,
        (top - grid.head_h - grid.metro_h) / height_in,
        (grid.cell_w - 0.1) / width_in,
        grid.metro_h / height_in,
    )
    main = fig.add_axes(metro_box)
    main.set_label(f"{name}/metro")
    _draw_zone(main, parts, "metro", colours, NO_VALUES_COLOUR)
    centre = (left + grid.cell_w / 2) / width_in
    fig.text(
        centre,
        (top - 0.12) / height_in,
        name,
        fontsize=12,
        fontweight="bold",
        ha="center",
        va="top",
    )
    if name in grid.note_lines:
        fig.text(
            centre,
            (top - 0.36) / height_in,
            "\n".join(grid.note_lines[name]),
            fontsize=7.5,
            color=TEXT_GREY,
            ha="center",
            va="top",
        )
    step = (grid.cell_w - 0.1) / len(DROM_INSETS)
    boxes = [
        (
            (left + j * step + 0.03) / width_in,
            (top - grid.head_h - grid.metro_h - grid.inset_h - 0.02) / height_in,
            (step - 0.06) / width_in,
            (grid.inset_h - 0.18) / height_in,
        )
        for j in range(len(DROM_INSETS))
    ]
    _draw_insets(
        fig, boxes, parts, colours, NO_VALUES_COLOUR, f"{name}/", {"fontsize": 6, "pad": 1.5}
    )


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
