"""Draw the sample maps of docs/maps from the real warehouse and geometry cache (read-only).

    .venv/bin/python docs/maps/make_samples.py [DIR] [--dpi 150]

`palmares build` first. PNG at 150 dpi, rewritten with a 256-colour palette so that each file
stays small in git (the pipeline itself writes 300 dpi PNG, SVG or PDF).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt

from pipeline.io import atomic_path
from pipeline.paths import Paths
from pipeline.report.maps import edition_map, edition_small_multiples

SAMPLE_DPI = 150
#: File name → the call drawing it: (function, editions, level, options).
SAMPLES = {
    "departements_laureats_2000-2026.png": (
        edition_map,
        None,
        "departement",
        {"variable": "laureates", "scheme": "fisher_jenks", "k": 5, "idf_inset": True},
    ),
    "departements_niveau_max_2000-2026.png": (
        edition_map,
        None,
        "departement",
        {"variable": "max_arobases", "bins": [1, 2, 3, 4, 5]},
    ),
    "communes_laureats_2024.png": (edition_map, 2024, "commune", {"variable": "points"}),
    "epci_population_2000-2026.png": (
        edition_map,
        None,
        "epci",
        {"variable": "population_share", "bins": [0, 10, 25, 50, 75, 100], "idf_inset": True},
    ),
    "regions_2021-2026_small_multiples.png": (
        edition_small_multiples,
        range(2021, 2027),
        "region",
        {"variable": "laureates", "scheme": "fisher_jenks", "k": 4},
    ),
}


def write_samples(directory: Path | str, paths: Paths | None = None, dpi: int = SAMPLE_DPI):
    """Every sample map into `directory`; the paths written."""
    paths = paths or Paths.from_env()
    directory = Path(directory)
    written = []
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for name, (draw, editions, level, options) in SAMPLES.items():
            out = directory / name
            plt.close(draw(con, paths.geometry_cache, editions, level, out, dpi=dpi, **options))
            shrink_png(out)
            written.append(out)
    return written


def shrink_png(path: Path) -> None:
    """Rewrite a PNG with a 256-colour palette (no dithering), keeping its text and dpi."""
    from PIL import Image, PngImagePlugin

    with Image.open(path) as image:
        info = PngImagePlugin.PngInfo()
        for key, value in image.text.items():
            info.add_text(key, value)
        dpi = image.info.get("dpi")
        small = image.convert("RGB").quantize(256, dither=Image.Dither.NONE)
    with atomic_path(path) as tmp:
        small.save(tmp, format="PNG", optimize=True, pnginfo=info, dpi=dpi)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the sample maps of docs/maps.")
    parser.add_argument("directory", nargs="?", default=Path(__file__).parent, type=Path)
    parser.add_argument("--dpi", type=int, default=SAMPLE_DPI)
    args = parser.parse_args(argv)
    for path in write_samples(args.directory, dpi=args.dpi):
        print(f"{path} ({path.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
