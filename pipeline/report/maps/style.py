"""What the maps look like: projections and insets, colours, symbols, the figure's boxes.

Constants only (and the marker size rule, and where the axes of a single map go), so that
drawing, legends, the cached backgrounds and the benchmark share one definition of each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
IDF_AXES = "inset-idf"  # the label of the Île-de-France zoom's axes
DPI = 300
FORMATS = {".png", ".svg", ".pdf"}
INSETS_NOTE = "Encarts à des échelles différentes"
TEXT_GREY = "#333333"
NOTE_GREY = "#555555"


def point_area(population) -> np.ndarray:
    """Marker area in pt² for populations (missing → the floor)."""
    people = pd.to_numeric(pd.Series(population), errors="coerce").fillna(0).to_numpy(float)
    return MIN_POINT_AREA + people * POINT_AREA_PER_INHABITANT


@dataclass(frozen=True)
class Place:
    """Where one axes of a single map goes (figure fractions), the zone it shows, its title."""

    box: tuple[float, float, float, float]
    zone: str
    title: str | None = None


def single_map_places(idf_inset: bool) -> dict[str, Place]:
    """The axes of a single map by label: the mainland ("metro"), the five DROM insets in a
    column on its left ("inset-<code>"), the Île-de-France zoom on its right ("inset-idf")."""
    places = {"metro": Place(MAIN_BOX, "metro")}
    for i, (code, (label, _)) in enumerate(DROM_INSETS.items()):
        box = (INSET_LEFT, INSET_TOP - i * INSET_STEP, INSET_WIDTH, INSET_HEIGHT)
        places[f"inset-{code}"] = Place(box, code, label)
    if idf_inset:
        places[IDF_AXES] = Place(IDF_AXES_BOX, "metro", IDF_LABEL)
    return places
