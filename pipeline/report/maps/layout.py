"""The words around a map: title, subtitle, caption and credit, notes, legends, and the file.

Written once for both kinds of figure (one map, small multiples): each computes where its
texts go (`TextPlaces`), `add_texts` writes them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from pipeline.analysis import coverage, provenance
from pipeline.formatting import format_fr
from pipeline.io import atomic_path
from pipeline.report.maps.classes import SCHEMES, Classification
from pipeline.report.maps.style import (
    FORMATS,
    INSETS_NOTE,
    LEVEL_COLOURS,
    LEVEL_LABELS,
    MARKERS,
    NOTE_GREY,
    POINT_EDGE,
    REFERENCE_POPULATIONS,
    TEXT_GREY,
    UNKNOWN_LEVEL_LABEL,
    UNKNOWN_LEVEL_STYLE,
    point_area,
)

TITLE_WIDTH = 88  # characters on a line of the title at 15 pt, beyond which it wraps


# ---------------------------------------------------------------------------------------------
# Title, subtitle, caption, notes


def caption_for(con, scheme: str | None) -> str:
    """Sources and vintages, from the warehouse's build_info (COG year), and the classes."""
    cog = provenance.cog_vintage(con)
    text = (
        (coverage.SYNTHETIC_WARNING if coverage.synthetic_flag(con) else "")
        + "Sources : Villes Internet (palmarès rassemblé par le projet), INSEE (populations "
        f"légales, COG {cog}) ; fond : {provenance.geometry_credit()}, COG {cog}"
    )
    if scheme:
        text += f". Classes : {SCHEMES[scheme][1]}"
    return text + "."


def title_lines(title: str, width: int = TITLE_WIDTH) -> list[str]:
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


@dataclass(frozen=True)
class TextPlaces:
    """Where a figure's texts go (figure fractions): title size and height, subtitle height,
    caption height, and the step from one note line up to the next."""

    title_size: float
    title_y: float
    subtitle_y: float
    caption_y: float
    note_step: float

    @classmethod
    def single(cls, lines: Sequence[str], height_in: float) -> TextPlaces:
        """One map: a two-line title is smaller and pushes the subtitle down."""
        size = 15 if len(lines) == 1 else 13.5
        subtitle_y = 0.937 - (len(lines) - 1) * size * 1.2 / 72 / height_in
        return cls(size, 0.975, subtitle_y, 0.015, 0.02)

    @classmethod
    def panels(cls, lines: Sequence[str], height_in: float) -> TextPlaces:
        """Small multiples: a figure of any height, so places are set in inches."""
        subtitle_y = 1 - (0.7 + 0.25 * (len(lines) - 1)) / height_in
        return cls(15, 1 - 0.3 / height_in, subtitle_y, 0.2 / height_in, 0.18 / height_in)


def add_texts(
    fig: Figure,
    lines: Sequence[str],
    places: TextPlaces,
    subtitle: str | None,
    caption: str,
    notes: Sequence[str],
) -> None:
    """The title (its `lines`), the subtitle under it, the caption at the bottom left and the
    notes above the caption."""
    fig.suptitle("\n".join(lines), fontsize=places.title_size, fontweight="bold", y=places.title_y)
    if subtitle:
        fig.text(
            0.5,
            places.subtitle_y,
            subtitle,
            fontsize=9.5,
            color=TEXT_GREY,
            ha="center",
            va="center",
        )
    y = places.caption_y
    fig.text(0.02, y, caption, fontsize=7.5, color=TEXT_GREY, ha="left", va="bottom")
    for note in notes:
        y += places.note_step
        fig.text(0.02, y, note, fontsize=7.5, color=TEXT_GREY, ha="left", va="bottom")


def shared_classes_note(fig: Figure, legends: list, x: float, scheme: str) -> None:
    """Under the legend of small multiples: the classes are the same for every panel."""
    renderer = fig.canvas.get_renderer()
    below = min(
        [legend.get_window_extent(renderer).y0 / fig.bbox.height for legend in legends], default=0.5
    )
    fig.text(
        x,
        below - 0.01,
        f"Mêmes classes pour toutes les cartes\n({SCHEMES[scheme][1]}).\n{INSETS_NOTE}.",
        fontsize=7.5,
        color=NOTE_GREY,
        va="top",
        linespacing=1.4,
    )


# ---------------------------------------------------------------------------------------------
# Legends


def legend_specs(
    classification: Classification | None,
    missing: bool,
    legend_title: str,
    points: pd.DataFrame | None,
) -> list[tuple[str, list, dict]]:
    """(title, handles, extra legend options) of each legend box, top to bottom."""
    specs = []
    if classification is not None and (classification.labels or missing):
        specs.append((legend_title, classification.legend(missing), {}))
    if points is not None and not points.empty:
        specs.append(("Niveau du label", _level_handles(points), {}))
        population = pd.to_numeric(points["population"], errors="coerce").dropna()
        references = _reference_populations(population)
        if references:
            sizes = np.sqrt(point_area(references))
            handles = [
                _marker("o", f"{format_fr(value)} hab.", size, "white", 0.6)
                for value, size in zip(references, sizes)
            ]
            specs.append(
                ("Population", handles, {"marker_size": float(sizes.max()), "labelspacing": 0.6})
            )
    return specs


def _marker(marker: str, label: str, size: float, face: str, edge_width: float) -> Line2D:
    return Line2D(
        [],
        [],
        marker=marker,
        linestyle="",
        markersize=size,
        markerfacecolor=face,
        markeredgecolor=POINT_EDGE,
        markeredgewidth=edge_width,
        label=label,
    )


def _level_handles(points: pd.DataFrame) -> list:
    """The @ levels present (5 to 1, the mention if any, the unknown level if any), then the
    symbols' shapes when both communes and EPCI are drawn."""
    levels = pd.to_numeric(points["arobases"], errors="coerce")
    shown = [5, 4, 3, 2, 1] + ([0] if (levels == 0).any() else [])
    handles = [_marker("o", LEVEL_LABELS[lv], 8, LEVEL_COLOURS[lv], 0.5) for lv in shown]
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
    if len(entities) > 1:
        handles += [_marker(MARKERS[e][0], MARKERS[e][1], 7, "white", 0.6) for e in entities]
    return handles


def _reference_populations(population: pd.Series) -> list[int]:
    """Up to four round populations spanning the laureates' (for the size legend)."""
    if population.empty:
        return []
    low, high = population.min(), population.max()
    chosen = [p for p in REFERENCE_POPULATIONS if low / 3 <= p <= high * 1.5]
    if not chosen:
        chosen = [min(REFERENCE_POPULATIONS, key=lambda p: abs(math.log(p / max(high, 1))))]
    return chosen[-4:]


def stack_legends(fig, specs, x: float, top: float | None, bottom: float = 0.1) -> list:
    """Legend boxes one under the other from `top` (None: centred vertically) at `x`.

    The font shrinks (9, 8, then 7 pt) until the boxes fit between `top` (or the title) and
    `bottom` (the caption). A spec's "marker_size" option (pt) makes room for big markers.
    """
    if not specs:
        return []
    renderer = fig.canvas.get_renderer()
    gap = 0.02
    for fontsize in (9, 8, 7):
        legends = [fig.legend(**_legend_options(spec, x, fontsize)) for spec in specs]
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


def _legend_options(spec: tuple[str, list, dict], x: float, fontsize: float) -> dict:
    """`fig.legend` arguments of one legend box at `fontsize`."""
    title, handles, options = spec
    options = dict(options)
    marker = options.pop("marker_size", None)
    if marker:
        options["handleheight"] = max(0.7, marker / fontsize * 0.9)
        options["handlelength"] = max(2.0, marker / fontsize)
    return dict(
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


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


# ---------------------------------------------------------------------------------------------
# The file


def check_format(out: Path | str) -> None:
    """ValueError unless `out` names a format a map is written in (PNG, SVG, PDF)."""
    if Path(out).suffix.lower() not in FORMATS:
        raise ValueError(f"{out}: unknown map format, use .png, .svg or .pdf")


#: The same figure gives the same bytes in every format: no date in the file's metadata, and
#: the ids of SVG elements derived from a fixed salt instead of a random one.
UNDATED = {".png": {}, ".svg": {"Date": None}, ".pdf": {"CreationDate": None}}
REPRODUCIBLE = {"svg.hashsalt": "palmares"}


def save(fig: Figure, out: Path | str | None, title: str, dpi: int) -> None:
    """Write the figure to `out` (if given) whole or not at all, in the format of its
    extension; the title goes in the file's metadata (the site lists maps by it)."""
    if out is None:
        return
    check_format(out)
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        # what `tight_layout` leaves behind: it makes every savefig draw the whole figure once
        # more (for a layout already done), the same pixels for twice the time
        fig.set_layout_engine(None)
    suffix = Path(out).suffix.lower()
    # zlib's fastest level: a 300 dpi map encodes in a third of the time, for files ~7 % larger
    fast = {"pil_kwargs": {"compress_level": 1}} if suffix == ".png" else {}
    with atomic_path(Path(out)) as tmp, matplotlib.rc_context(REPRODUCIBLE):
        fig.savefig(
            tmp, dpi=dpi, facecolor="white", metadata={"Title": title} | UNDATED[suffix], **fast
        )
