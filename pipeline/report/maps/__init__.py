"""Print-quality maps of France: régions, départements, EPCI, communes; choropleths and laureates.

Metropolitan France in Lambert-93 with the five overseas départements as labelled insets and
an optional Île-de-France zoom; every map carries a title, a French legend (« 1 234 »,
« 12,5 % »), a hatched "Données non disponibles" class and a caption naming the sources and
their vintage. The file format follows the extension of `out`: PNG (300 dpi), SVG or PDF.

Drawing is apart from the data:

- `style`: projections, insets, colours, symbols, the figure's boxes;
- `classes`: classes of values (mapclassify), shared by every part and panel of a figure;
- `layout`: title, subtitle, caption and credit, notes, legends, the file;
- `draw`: from GeoDataFrames and values, no warehouse: `france_map`, `small_multiples`,
  `plot_departements`;
- `data`: from the warehouse (read-only) and the geometry cache: `validate` (the one check of
  a request), `level_values`, `laureate_table`, `laureate_points`, `geometry_fingerprint`;
- `background`: what a map of points draws under them (the 34,875 communes, the outlines, the
  insets' frames), rendered once per geometry cache and layout and kept in memory and in the
  cache's `backgrounds/` folder; the points are drawn over it, with the same pixels;
- `edition`: the palmarès maps, `edition_map` (what `palmares map` calls) and
  `edition_small_multiples`.

This package exposes what the notebooks, the analyses, the stats pack, the command line, the
benchmark and the tests use. The sample maps of docs/maps are drawn by
docs/maps/make_samples.py.
"""

from pipeline.report.maps.classes import SCHEMES, Classification, classify
from pipeline.report.maps.data import (
    DEFAULT_VARIABLE,
    LEVELS,
    VARIABLES,
    editions_label,
    laureate_points,
    laureate_table,
    level_values,
    resolve_editions,
    validate,
)
from pipeline.report.maps.draw import (
    compound_path,
    france_map,
    plot_departements,
    small_multiples,
    split_zones,
)
from pipeline.report.maps.edition import edition_map, edition_small_multiples
from pipeline.report.maps.layout import caption_for
from pipeline.report.maps.style import (
    DPI,
    DROM_INSETS,
    FIGSIZE,
    INSET_HEIGHT,
    INSET_LEFT,
    INSET_STEP,
    INSET_TOP,
    INSET_WIDTH,
    LEVEL_COLOURS,
    MAIN_BOX,
    MAX_CLASSES,
    METRO_CRS,
    MIN_POINT_AREA,
    MISSING_LABEL,
    UNKNOWN_LEVEL_LABEL,
    point_area,
)

__all__ = [
    "DEFAULT_VARIABLE",
    "DPI",
    "DROM_INSETS",
    "FIGSIZE",
    "INSET_HEIGHT",
    "INSET_LEFT",
    "INSET_STEP",
    "INSET_TOP",
    "INSET_WIDTH",
    "LEVELS",
    "LEVEL_COLOURS",
    "MAIN_BOX",
    "MAX_CLASSES",
    "METRO_CRS",
    "MIN_POINT_AREA",
    "MISSING_LABEL",
    "SCHEMES",
    "UNKNOWN_LEVEL_LABEL",
    "VARIABLES",
    "Classification",
    "caption_for",
    "classify",
    "compound_path",
    "edition_map",
    "edition_small_multiples",
    "editions_label",
    "france_map",
    "laureate_points",
    "laureate_table",
    "level_values",
    "plot_departements",
    "point_area",
    "resolve_editions",
    "small_multiples",
    "split_zones",
    "validate",
]
