"""What a map of points draws under them, rendered once per geometry cache and layout.

A map of laureates as points (an edition page's commune map) draws them over every shape of
its level, 34,875 communes, and the département outlines: seconds of projecting and rendering
that do not depend on the edition. `backdrop` renders those axes once (shapes, outlines, the
insets' frames and titles) into an image of the whole figure at the PNG's dpi; `points_map`
draws only the points, the legends and the texts over it. Saved at that dpi, the figure has
the very pixels `france_map` would draw (tests/test_map_background.py); shown at another size
(a notebook), the image is resampled. SVG and PDF stay vector: `edition_map` draws them whole.

A backdrop is kept in memory (a long-lived kernel draws many editions) and in the geometry
cache's `backgrounds/` folder (the next kernels), keyed by anything that could change a
pixel: the content of the geometry cache, the layout (level, outlines, zoom, dpi), the code of
this package, matplotlib's version and settings. Files are written whole (`pipeline.io`), so
parallel kernels may render the same one; those of an older geometry cache are removed.
"""

from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import geopandas as gpd
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.transforms import Affine2D, Bbox, TransformedBbox
from PIL import Image

from pipeline import io
from pipeline.report.maps.data import geometry_fingerprint, read_layer
from pipeline.report.maps.draw import (
    Parts,
    draw_single_points,
    finish_single_map,
    single_map_axes,
    split_zones,
)
from pipeline.report.maps.layout import legend_specs
from pipeline.report.maps.style import FIGSIZE, IDF_AXES, POINTS_BACKGROUND, single_map_places

FOLDER = "backgrounds"  # in the geometry cache
METADATA = "palmares-background"  # the PNG text chunk holding the key and the axes' limits
MEMORY_SIZE = 4  # backdrops kept in memory (one is 33 MB at 300 dpi)
IGNORED_SETTINGS = ("backend", "backend_fallback", "interactive")
_MEMORY: dict[str, Backdrop] = {}


@dataclass(frozen=True)
class Backdrop:
    """The axes of a map of points, rendered: `image` (RGBA, bottom row first as renderers
    take it; shared by every figure drawn over it, never written to) is the whole figure at
    `dpi`; `limits` the data limits (x0, x1, y0, y1) of each axes by label."""

    image: np.ndarray
    dpi: int
    limits: dict[str, tuple[float, float, float, float]]
    resized: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, compare=False)

    def sized(self, width: int, height: int) -> np.ndarray:
        """The image at another size in pixels (a figure shown in a notebook), resampled once
        per size: matplotlib's own resampling of 8 million pixels takes seconds."""
        if (width, height) not in self.resized:
            other = Image.fromarray(self.image).resize((width, height), Image.Resampling.LANCZOS)
            self.resized[width, height] = np.array(other)
        return self.resized[width, height]


class BackdropArtist(Artist):
    """Draws a backdrop under everything a figure draws (its first artist), over the whole
    figure: pixel for pixel at the backdrop's dpi (the canvas is then the one it was rendered
    on), resampled at any other (a notebook's), scaled as one image in SVG and PDF. The
    figure's box follows `bbox_inches="tight"`."""

    def __init__(self, backdrop: Backdrop):
        super().__init__()
        self.backdrop = backdrop
        self.set_zorder(-1)
        self.set_in_layout(False)  # the whole figure: nothing for `bbox_inches="tight"` to crop
        self.set_label("background")

    def draw(self, renderer) -> None:
        if not self.get_visible():
            return
        box = TransformedBbox(Bbox.unit(), self.figure.transFigure)
        gc = renderer.new_gc()
        if renderer.option_scale_image():  # vector output: the whole image, scaled
            scale = Affine2D().scale(box.width, box.height)
            renderer.draw_image(gc, box.x0, box.y0, self.backdrop.image, scale)
        else:
            image = (
                self.backdrop.image
                if renderer.dpi == self.backdrop.dpi
                else self.backdrop.sized(round(box.width), round(box.height))
            )
            renderer.draw_image(gc, round(box.x0), round(box.y0), image)
        gc.restore()


def rasterises(out: Path | str | None) -> bool:
    """Whether a map written to `out` is drawn over a backdrop: a PNG. Figures without a file
    (shown at their own size), SVG and PDF are drawn vector."""
    return out is not None and Path(out).suffix.lower() == ".png"


def backdrop(
    geometry_dir: Path | str, level: str, *, borders: str | None, idf_inset: bool, dpi: int
) -> Backdrop:
    """The backdrop of a map of points over the `level` layer of the geometry cache, with the
    `borders` layer's outlines (or none) and the Île-de-France zoom if asked: from memory, else
    from the cache's backgrounds folder, else rendered and stored in both.

    One file per geometry cache and layout, named after them; the key in its metadata says
    whether it was drawn by the same code and settings, else it is drawn again over it."""
    directory = Path(geometry_dir)
    geometry = geometry_fingerprint(directory)
    layout = [level, borders, "idf" if idf_inset else None, f"{dpi}dpi"]
    key = io.bytes_sha256(json.dumps([geometry, layout, _drawing_fingerprint()]).encode())
    if key in _MEMORY:
        return _MEMORY[key]
    name = "-".join([geometry[:16], *(part for part in layout if part)])
    path = directory / FOLDER / f"{name}.png"
    found = _read(path, key, dpi)
    if found is None:
        png = _render(directory, level, borders, idf_inset, dpi, key)
        found = _read(BytesIO(png), key, dpi)
        _store(path, png, prefix=geometry[:16])
    _MEMORY[key] = found
    while len(_MEMORY) > MEMORY_SIZE:
        del _MEMORY[next(iter(_MEMORY))]
    return found


def points_map(
    backdrop: Backdrop,
    points: gpd.GeoDataFrame,
    *,
    title: str,
    caption: str,
    subtitle: str | None = None,
    notes=(),
    out: Path | str | None = None,
) -> Figure:
    """The map `france_map` draws without values, over `backdrop` instead of the shapes:
    `points` (laureates, see `laureate_points`), legends and texts; saved to `out` at the
    backdrop's dpi. The caller closes the returned figure."""
    fig = plt.figure(figsize=FIGSIZE)
    fig.add_artist(BackdropArtist(backdrop))
    places = single_map_places(IDF_AXES in backdrop.limits)
    axes = {}
    for label, (x0, x1, y0, y1) in backdrop.limits.items():
        ax = fig.add_axes(places[label].box)
        ax.set_label(label)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.set_axis_off()  # no face, no frame: the backdrop has them
        axes[label] = ax
    draw_single_points(axes, split_zones(points))
    finish_single_map(
        fig,
        axes,
        legend_specs(None, False, "", points),
        title=title,
        subtitle=subtitle,
        caption=caption,
        notes=notes,
        out=out,
        dpi=backdrop.dpi,
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Keys


def _drawing_fingerprint() -> str:
    """What else draws the pixels: this package's code, matplotlib's version and settings
    (a notebook may change a font), but for those that draw nothing here (`IGNORED_SETTINGS`:
    the backend and the interactive mode, which a notebook kernel sets otherwise than a script)."""
    settings = sorted(
        (name, repr(matplotlib.rcParams[name]))
        for name in matplotlib.rcParams
        if name not in IGNORED_SETTINGS
    )
    return io.bytes_sha256(
        json.dumps([_package_fingerprint(), matplotlib.__version__, settings]).encode()
    )


@functools.cache
def _package_fingerprint() -> str:
    package = Path(__file__).parent
    return io.bytes_sha256(
        json.dumps({p.name: io.file_sha256(p) for p in sorted(package.glob("*.py"))}).encode()
    )


# ---------------------------------------------------------------------------------------------
# Rendering and files


def _render(
    geometry_dir: Path, level: str, borders: str | None, idf_inset: bool, dpi: int, key: str
) -> bytes:
    """The backdrop as PNG bytes, the key and the axes' limits in its metadata."""
    layers: dict[str, gpd.GeoDataFrame] = {}
    parts = Parts.split(
        read_layer(geometry_dir, level, layers),
        read_layer(geometry_dir, borders, layers) if borders else None,
    )
    fig = plt.figure(figsize=FIGSIZE)
    try:
        axes = single_map_axes(fig, parts, None, POINTS_BACKGROUND, idf_inset)
        limits = {label: (*ax.get_xlim(), *ax.get_ylim()) for label, ax in axes.items()}
        buffer = BytesIO()
        fig.savefig(
            buffer,
            format="png",
            dpi=dpi,
            facecolor="white",
            metadata={METADATA: json.dumps({"key": key, "limits": limits})},
        )
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _read(source: Path | BytesIO, key: str, dpi: int) -> Backdrop | None:
    """The backdrop in a PNG written for `key`, or None (missing, unreadable, another key)."""
    try:
        with Image.open(source) as png:
            metadata = json.loads(png.text[METADATA])
            if metadata["key"] != key:
                return None
            rows = np.asarray(png.convert("RGBA"))
    except (OSError, ValueError, KeyError):
        return None
    limits = {label: tuple(values) for label, values in metadata["limits"].items()}
    # a copy, bottom row first and writeable: Agg takes no other (and never writes to it)
    return Backdrop(np.ascontiguousarray(rows[::-1]), dpi, limits)


def _store(path: Path, png: bytes, prefix: str) -> None:
    """Write the backdrop whole, then remove those of other geometry caches. A cache folder
    that cannot be written only costs a render per process."""
    with contextlib.suppress(OSError):
        io.write_bytes(path, png)
        for stale in path.parent.glob("*.png"):
            if not stale.name.lstrip(".").startswith(prefix):  # and their temporary files
                stale.unlink(missing_ok=True)
