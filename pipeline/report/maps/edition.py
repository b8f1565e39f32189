"""The palmarès on maps: what `palmares map`, the notebooks and the stats pack draw.

Each function checks the request once (`data.validate`), reads what is mapped (`data`) and
hands it to the drawing (`draw`, or `background` for a map of points saved as PNG), with the
title, subtitle, notes and caption of the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
from matplotlib.figure import Figure

from pipeline.report.maps import background
from pipeline.report.maps.data import (
    DEFAULT_VARIABLE,
    LEVELS,
    PALMARES_NOTE,
    VARIABLES,
    coverage_subtitle,
    editions_label,
    laureate_points,
    level_values,
    panel_notes,
    points_notes,
    read_layer,
    validate,
)
from pipeline.report.maps.draw import france_map, small_multiples
from pipeline.report.maps.layout import caption_for
from pipeline.report.maps.style import DPI, MAX_CLASSES

#: Levels drawn with the département outlines over their shapes.
FINE_LEVELS = ("epci", "commune")


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
    or .pdf; a map of points alone saved as PNG is drawn over its shapes rendered once per
    geometry cache (`background`). Raises ValueError for an unknown level, variable, scheme,
    format or edition, or an edition without laureate in our data. The caller closes the
    returned figure.
    """
    variable = variable or DEFAULT_VARIABLE.get(level)
    request = validate(level, variable, scheme=scheme, bins=bins, out=out, con=con, edition=edition)
    editions = request.editions
    spec = VARIABLES[variable]
    layers: dict[str, gpd.GeoDataFrame] = {}
    values = None if variable == "points" else level_values(con, level, editions, variable)
    with_points = variable == "points" or points
    laureates = laureate_points(con, geometry_dir, editions, layers) if with_points else None
    label = editions_label(editions)
    if title is None:
        title = (
            f"{spec.title}, {label}"
            if variable == "points"
            else f"{spec.title}, {label}, {LEVELS[level].per}"
        )
    texts = {
        "title": title,
        "caption": caption_for(con, None if values is None else request.scheme),
        "subtitle": coverage_subtitle(con, editions),
        "notes": (points_notes(laureates, editions) if with_points else []) + [PALMARES_NOTE],
        "out": out,
    }
    borders = "departement" if level in FINE_LEVELS else None
    if values is None and background.rasterises(out):
        drawn_once = background.backdrop(
            geometry_dir, level, borders=borders, idf_inset=idf_inset, dpi=dpi
        )
        return background.points_map(drawn_once, laureates, **texts)
    return france_map(
        read_layer(geometry_dir, level, layers),
        values,
        legend_title=spec.legend_title,
        scheme=request.scheme,
        k=k,
        bins=bins,
        unit=spec.unit,
        points=laureates,
        borders=read_layer(geometry_dir, borders, layers) if borders else None,
        idf_inset=idf_inset,
        dpi=dpi,
        **texts,
    )


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
    """One map per edition at `level`, classified once over all of them (see small_multiples).
    ValueError without an edition: the maps are of editions named, not of every edition."""
    editions = list(editions)
    if not editions:
        raise ValueError("small multiples draw one map per edition: name them (--edition)")
    request = validate(
        level,
        variable,
        use="small multiples",
        scheme=scheme,
        bins=bins,
        out=out,
        con=con,
        edition=editions,
    )
    editions = request.editions
    spec = VARIABLES[variable]
    layer = read_layer(geometry_dir, level)
    borders = read_layer(geometry_dir, "departement") if level in FINE_LEVELS else None
    panels = {str(e): level_values(con, level, [e], variable) for e in editions}
    if title is None:
        title = f"{spec.title}, {editions_label(editions)}, {LEVELS[level].per}"
    return small_multiples(
        layer,
        panels,
        title=title,
        caption=caption_for(con, request.scheme),
        legend_title=spec.legend_title,
        scheme=request.scheme,
        k=k,
        bins=bins,
        unit=spec.unit,
        borders=borders,
        subtitle="Collectivités labellisées (communes et intercommunalités) "
        "identifiées dans nos données, par édition",
        panel_notes=panel_notes(con, editions),
        notes=[PALMARES_NOTE],
        out=out,
        dpi=dpi,
    )
